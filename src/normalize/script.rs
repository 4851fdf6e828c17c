//! Just enough of Unicode scripts to tell a look-alike letter inside a Latin word from a letter
//! of real non-Latin prose: the scripts whose letters pass for Latin ones, by block.

/// The script of a letter, as far as look-alikes are concerned.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Script {
    Latin,
    Cyrillic,
    Greek,
    Armenian,
    Cherokee,
    /// Any other letter (Han, Arabic, Devanagari, ...) or a character that is not a letter.
    Other,
}

impl Script {
    /// The script of `c`, by Unicode block.
    pub fn of(c: char) -> Script {
        if c.is_ascii_alphabetic() {
            return Script::Latin;
        }
        if c.is_ascii() || !crate::chars::is_alphabetic(c) {
            return Script::Other;
        }
        match c {
            '\u{00C0}'..='\u{024F}'
            | '\u{0250}'..='\u{02AF}'
            | '\u{1D00}'..='\u{1DBF}'
            | '\u{1E00}'..='\u{1EFF}'
            | '\u{2C60}'..='\u{2C7F}'
            | '\u{A720}'..='\u{A7FF}'
            | '\u{AB30}'..='\u{AB6F}'
            | '\u{FF21}'..='\u{FF5A}' => Script::Latin,
            '\u{0400}'..='\u{052F}'
            | '\u{1C80}'..='\u{1C8F}'
            | '\u{2DE0}'..='\u{2DFF}'
            | '\u{A640}'..='\u{A69F}' => Script::Cyrillic,
            '\u{0370}'..='\u{03FF}' | '\u{1F00}'..='\u{1FFF}' => Script::Greek,
            '\u{0530}'..='\u{058F}' => Script::Armenian,
            '\u{13A0}'..='\u{13FF}' | '\u{AB70}'..='\u{ABBF}' => Script::Cherokee,
            _ => Script::Other,
        }
    }

    /// Whether letters of this script are commonly passed off as Latin ones.
    pub fn is_lookalike_source(self) -> bool {
        matches!(
            self,
            Script::Cyrillic | Script::Greek | Script::Armenian | Script::Cherokee
        )
    }
}

/// Whether `c` is a Latin letter (ASCII or not).
pub fn is_latin_letter(c: char) -> bool {
    Script::of(c) == Script::Latin
}
