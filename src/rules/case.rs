//! Case-insensitive rules without case folding in the regex engine. Every view is lower-cased
//! (and NFKC-normalized), so a pattern in lower case matches any case of the text; a pattern
//! with upper-case letters, or with a `(?i)` flag from a user's pack, is rewritten to lower case
//! here instead of being folded. Folding needs the regex crate's Unicode case tables
//! (`unicode-case`, ~20 KB of the gzipped wasm module), and folding `\S` or `\w` was most of
//! what made a Unicode regex expensive to compile.
//!
//! The Greek sigma is the one lower-case letter that needs care: lower-casing turns a final `Σ`
//! into `σ`, not `ς`, so the two must be the same letter; it is written `[σς]` (`σς` inside a
//! class), which matches what folding would in a lower-cased view.

use std::iter::Peekable;
use std::str::Chars;

/// A pattern as compiled: in a group `(?:...)`, in lower case if it had an upper-case letter or
/// a case-insensitive flag (which is removed), with the sigma written as both forms.
///
/// Letters in escapes (`\S`, `\x{93C}`, `\pL`), group names (`(?P<span>`) and flags (`(?U)`) are
/// left as they are. In a class, an upper-case letter or range keeps its upper-case form and
/// gains the lower-case one (`[A-Z]` becomes `[A-Za-z]`), which is exactly what folding does,
/// negated classes included. Fails, with a reason a rule author can act on, on what cannot be
/// rewritten: `(?-i)` (case-sensitive matching, which lower-cased text cannot honour), a class
/// range between an upper-case letter and an escape, and a negated `[:upper:]` or `[:lower:]`.
pub(crate) fn lower_cased(pattern: &str) -> Result<String, String> {
    let plain = rewrite(pattern, false)?;
    let body = if plain.folds {
        rewrite(pattern, true)?.text
    } else {
        plain.text
    };
    Ok(format!("(?:{body})"))
}

struct Rewritten {
    text: String,
    /// Whether the pattern asked for case folding: an upper-case letter or an `i` flag.
    folds: bool,
}

/// One pass over the pattern: with `fold`, letters are lower-cased; without it, only the sigma
/// is rewritten, and the pass finds out whether folding is needed.
fn rewrite(pattern: &str, fold: bool) -> Result<Rewritten, String> {
    let mut out = String::with_capacity(pattern.len() + 8);
    let mut folds = false;
    let mut class_depth = 0usize;
    let mut chars = pattern.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                copy_escape(&mut chars, &mut out);
                if class_depth > 0 && fold && ends_range_at_upper_case(&chars) {
                    return Err(
                        "a class range from an escape to an upper-case letter cannot be \
                                made case-insensitive by lower-casing: write it in lower case"
                            .into(),
                    );
                }
            }
            '(' if class_depth == 0 && chars.peek() == Some(&'?') => {
                chars.next();
                folds |= group_start(&mut chars, &mut out)?;
            }
            '[' if class_depth > 0 && chars.peek() == Some(&':') => {
                ascii_class(&mut chars, &mut out, fold)?;
            }
            '[' => {
                class_depth += 1;
                out.push('[');
                if chars.peek() == Some(&'^') {
                    out.push('^');
                    chars.next();
                }
                // A `]` right after `[` or `[^` is a literal, not the end of the class.
                if chars.peek() == Some(&']') {
                    out.push(']');
                    chars.next();
                }
            }
            ']' if class_depth > 0 => {
                class_depth -= 1;
                out.push(']');
            }
            c if class_depth > 0 => {
                folds |= c.is_uppercase();
                class_item(c, &mut chars, &mut out, fold)?;
            }
            c => {
                folds |= c.is_uppercase();
                let c = if fold { lower(c).unwrap_or(c) } else { c };
                match c {
                    'σ' | 'ς' => out.push_str("[σς]"),
                    c => out.push(c),
                }
            }
        }
    }
    Ok(Rewritten { text: out, folds })
}

/// The single lower-case letter `c` becomes, if it is not one already.
fn lower(c: char) -> Option<char> {
    let mut lowered = crate::lowercase::lower(c);
    match (lowered.next(), lowered.next()) {
        (Some(l), None) if l != c => Some(l),
        _ => None,
    }
}

/// Whether what follows an escape in a class is `-` and a letter with a lower-case form: a
/// range from the escape to that letter.
fn ends_range_at_upper_case(chars: &Peekable<Chars>) -> bool {
    let mut ahead = chars.clone();
    ahead.next() == Some('-') && ahead.next().and_then(lower).is_some()
}

/// Copies an escape (the `\` is already read): its letter, and the braces of `\x{..}`, `\p{..}`,
/// `\u{..}` or the letter of `\pL`, none of which is text to match.
fn copy_escape(chars: &mut Peekable<Chars>, out: &mut String) {
    out.push('\\');
    let Some(e) = chars.next() else { return };
    out.push(e);
    if matches!(e, 'x' | 'p' | 'P' | 'u' | 'U') && chars.peek() == Some(&'{') {
        for b in chars.by_ref() {
            out.push(b);
            if b == '}' {
                break;
            }
        }
    } else if matches!(e, 'p' | 'P') {
        out.extend(chars.next());
    }
}

/// Copies what follows `(?`: a group name, or flags without `i`. Returns whether an `i` flag was
/// removed.
fn group_start(chars: &mut Peekable<Chars>, out: &mut String) -> Result<bool, String> {
    out.push_str("(?");
    match chars.peek() {
        Some('P' | '<') => {
            // `(?P<name>` or `(?<name>`: copied up to the `>`.
            let named = chars.clone().take(2).collect::<String>();
            if named == "P<" || (named.starts_with('<') && !named.ends_with(['=', '!'])) {
                for b in chars.by_ref() {
                    out.push(b);
                    if b == '>' {
                        break;
                    }
                }
            }
            return Ok(false);
        }
        Some(':') => return Ok(false),
        _ => {}
    }
    let mut flags = String::new();
    let mut negated = false;
    let mut removed = false;
    while let Some(&f) = chars.peek() {
        if !(f.is_ascii_alphabetic() || f == '-') {
            break;
        }
        chars.next();
        match f {
            '-' => {
                negated = true;
                flags.push(f);
            }
            'i' if negated => {
                return Err("`(?-i)` asks for case-sensitive matching, but rules match \
                            lower-cased text: remove the flag"
                    .into());
            }
            'i' => removed = true,
            f => flags.push(f),
        }
    }
    if flags.ends_with('-') {
        flags.pop();
    }
    out.truncate(out.len() - 2);
    match (flags.is_empty(), chars.peek()) {
        // `(?i)`: nothing left to say.
        (true, Some(')')) => {
            chars.next();
        }
        _ => {
            out.push_str("(?");
            out.push_str(&flags);
        }
    }
    Ok(removed)
}

/// Copies an ASCII class inside a class (`[:alpha:]`; the `[` is already read). Folded,
/// `[:upper:]` and `[:lower:]` are both `[:alpha:]`.
fn ascii_class(chars: &mut Peekable<Chars>, out: &mut String, fold: bool) -> Result<(), String> {
    let mut name = String::new();
    for b in chars.by_ref() {
        name.push(b);
        if name.len() > 1 && name.ends_with(":]") {
            break;
        }
    }
    let folded = match name.as_str() {
        ":upper:]" | ":lower:]" if fold => ":alpha:]",
        ":^upper:]" | ":^lower:]" if fold => {
            return Err(format!(
                "`[{name}` cannot be made case-insensitive by lower-casing: write the letters"
            ))
        }
        name => name,
    };
    out.push('[');
    out.push_str(folded);
    Ok(())
}

/// Copies one item of a class: a letter or a range `c-d`. Folded, the item keeps its form and
/// gains the lower-case forms of its letters.
fn class_item(
    c: char,
    chars: &mut Peekable<Chars>,
    out: &mut String,
    fold: bool,
) -> Result<(), String> {
    let mut ahead = chars.clone();
    let is_range =
        ahead.next() == Some('-') && ahead.next().is_some_and(|d| !matches!(d, ']' | '[' | '-'));
    if !is_range {
        match c {
            'σ' | 'ς' => out.push_str("σς"),
            c => {
                out.push(c);
                if fold {
                    match lower(c) {
                        Some('σ') => out.push_str("σς"),
                        Some(l) => out.push(l),
                        None => {}
                    }
                }
            }
        }
        return Ok(());
    }
    chars.next();
    let Some(d) = chars.next() else {
        return Ok(());
    };
    out.push(c);
    out.push('-');
    if d == '\\' {
        // The range ends at an escape: its lower-case letters cannot be listed without reading
        // the escape; only a range from a letter that has none needs nothing more.
        if fold && lower(c).is_some() {
            return Err(format!(
                "the class range from `{c}` to an escape cannot be made case-insensitive by \
                 lower-casing: write it in lower case"
            ));
        }
        copy_escape(chars, out);
        return Ok(());
    }
    out.push(d);
    if fold {
        let mut lowered: Vec<char> = (c..=d).filter_map(lower).collect();
        if lowered.contains(&'σ') {
            lowered.push('ς');
        }
        crate::sort::sort(&mut lowered);
        lowered.dedup();
        push_ranges(&lowered, out);
    }
    Ok(())
}

/// Writes sorted, distinct letters as class items, runs of consecutive ones as ranges.
fn push_ranges(letters: &[char], out: &mut String) {
    let mut i = 0;
    while i < letters.len() {
        let mut j = i;
        while j + 1 < letters.len() && letters[j + 1] as u32 == letters[j] as u32 + 1 {
            j += 1;
        }
        out.push(letters[i]);
        if j > i {
            out.push('-');
            out.push(letters[j]);
        }
        i = j + 1;
    }
}

#[cfg(test)]
mod tests {
    use super::lower_cased;

    fn rewritten(pattern: &str) -> String {
        lower_cased(pattern).expect("rewritable")
    }

    #[test]
    fn lower_case_patterns_are_only_grouped() {
        assert_eq!(
            rewritten(r"\bignore\s+(?P<span>all)\S+"),
            r"(?:\bignore\s+(?P<span>all)\S+)"
        );
    }

    #[test]
    fn upper_case_letters_are_lowered_outside_escapes_names_and_flags() {
        assert_eq!(rewritten("ignore ALL"), "(?:ignore all)");
        assert_eq!(
            rewritten(r"(?P<Span>Ignore)\S\pL\p{Han}\x{41}(?U:X+)"),
            r"(?:(?P<Span>ignore)\S\pL\p{Han}\x{41}(?U:x+))"
        );
    }

    #[test]
    fn case_insensitive_flags_are_removed() {
        assert_eq!(rewritten("(?i)Ignore"), "(?:ignore)");
        assert_eq!(rewritten("(?i:Ignore) rules"), "(?:(?:ignore) rules)");
        assert_eq!(rewritten("(?is)A.b"), "(?:(?s)a.b)");
        assert_eq!(rewritten("(?i-u:X)"), "(?:(?-u:x))");
        assert_eq!(rewritten("(?i)ignore"), "(?:ignore)");
    }

    #[test]
    fn classes_gain_the_lower_case_forms_as_folding_would() {
        assert_eq!(rewritten("[A-Z]x"), "(?:[A-Za-z]x)");
        assert_eq!(rewritten("[^A-CQ]"), "(?:[^A-Ca-cQq])");
        assert_eq!(rewritten("[[:upper:]]X"), "(?:[[:alpha:]]x)");
        assert_eq!(rewritten("[ΑΣ]"), "(?:[ΑαΣσς])");
    }

    #[test]
    fn sigma_is_written_as_both_forms() {
        assert_eq!(rewritten("οδηγίες"), "(?:οδηγίε[σς])");
        assert_eq!(rewritten("ΟΔΗΓΊΕΣ"), "(?:οδηγίε[σς])");
        assert_eq!(rewritten("[^σ.]x"), "(?:[^σς.]x)");
        assert_eq!(rewritten(r"[\]σ]"), r"(?:[\]σς])");
        assert_eq!(rewritten("[]σ]"), "(?:[]σς])");
    }

    #[test]
    fn what_lower_casing_cannot_honour_is_refused() {
        for pattern in [
            "(?-i:Foo)",
            "(?s-i)x",
            "[A-\\x{5A}]",
            "[\\x{41}-Z]",
            "[[:^upper:]]X",
        ] {
            let reason = lower_cased(pattern).expect_err(pattern);
            assert!(reason.contains("case"), "{pattern}: {reason}");
        }
    }
}
