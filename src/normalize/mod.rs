//! Normalization: turns one text into several *views* (folded, de-obfuscated, de-spaced), each
//! with a map from view offsets back to byte offsets in the original text, so that a rule
//! matched in any view reports a span the caller can highlight.

pub(crate) mod bytes;
mod confusables_table;
mod despace;
mod nfkc;
// The WebAssembly build normalizes through the host (nfkc.rs): of these tables it keeps the
// bitmaps and the combining marks, and the rest is left out of the module.
#[cfg_attr(target_arch = "wasm32", allow(dead_code))]
mod nfkc_table;
mod script;
mod skeleton;

pub use nfkc::{combining_class, is_combining_mark, is_nfkc_stable, nfkc};
pub use script::{is_latin_letter, Script};
pub use skeleton::confusable;
pub(crate) use skeleton::look_alike_in_table;

use crate::finding::Span;

/// Which transformation of the original text a view is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ViewKind {
    /// NFKC, lower-cased, invisible characters removed. Rules always run here.
    Normalized,
    /// Look-alike letters mapped to Latin and leetspeak folded, in words that are disguised.
    Skeleton,
    /// Letters split by spaces, dots, underscores or dashes joined back into words.
    Despaced,
    Base64,
    Hex,
    Percent,
    Escape,
    Entity,
    Rot13,
    Binary,
}

impl ViewKind {
    /// The name reported in findings (`view: "base64"`).
    pub fn as_str(self) -> &'static str {
        match self {
            ViewKind::Normalized => "normalized",
            ViewKind::Skeleton => "skeleton",
            ViewKind::Despaced => "despaced",
            ViewKind::Base64 => "base64",
            ViewKind::Hex => "hex",
            ViewKind::Percent => "percent",
            ViewKind::Escape => "escape",
            ViewKind::Entity => "entity",
            ViewKind::Rot13 => "rot13",
            ViewKind::Binary => "binary",
        }
    }

    /// Parses a view name as written in rule packs.
    pub fn parse(name: &str) -> Option<ViewKind> {
        ViewKind::ALL.into_iter().find(|v| v.as_str() == name)
    }

    pub const ALL: [ViewKind; 10] = [
        ViewKind::Normalized,
        ViewKind::Skeleton,
        ViewKind::Despaced,
        ViewKind::Base64,
        ViewKind::Hex,
        ViewKind::Percent,
        ViewKind::Escape,
        ViewKind::Entity,
        ViewKind::Rot13,
        ViewKind::Binary,
    ];

    /// Whether this view exists only because the text was disguised: a match here means the
    /// author hid what the match says.
    pub fn is_disguised(self) -> bool {
        self != ViewKind::Normalized
    }

    /// Whether this view is decoded from an encoding.
    pub fn is_decoded(self) -> bool {
        !matches!(
            self,
            ViewKind::Normalized | ViewKind::Skeleton | ViewKind::Despaced
        )
    }
}

/// Maps each byte of a view back to the byte range of the original text it came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OffsetMap {
    /// Byte `i` of the view came from byte `i` of the original (the view is the original, or
    /// the original with ASCII letters lower-cased).
    Identity,
    /// `start[i]..end[i]` is the original range that view byte `i` came from.
    Table { start: Vec<u32>, end: Vec<u32> },
}

/// One transformation of the text, with its offset map.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct View {
    pub kind: ViewKind,
    pub text: String,
    pub map: OffsetMap,
    /// How many decoding steps produced this view (0 for non-decoded views).
    pub depth: u8,
}

impl View {
    /// A view that is the original text itself.
    pub fn identity(kind: ViewKind, text: &str) -> View {
        View {
            kind,
            text: text.to_owned(),
            map: OffsetMap::Identity,
            depth: 0,
        }
    }

    /// The original span that the view range `start..end` came from.
    pub fn original_span(&self, start: usize, end: usize) -> Span {
        match &self.map {
            OffsetMap::Identity => Span::new(start, end),
            OffsetMap::Table { start: s, end: e } => {
                if s.is_empty() {
                    return Span::new(0, 0);
                }
                let first = start.min(s.len() - 1);
                let last = end.saturating_sub(1).clamp(first, s.len() - 1);
                Span::new(s[first] as usize, e[last] as usize)
            }
        }
    }
}

/// Builds a view's text and offset map together, so that they cannot drift apart.
#[derive(Default)]
pub struct ViewBuilder {
    text: String,
    start: Vec<u32>,
    end: Vec<u32>,
}

impl ViewBuilder {
    pub fn with_capacity(bytes: usize) -> ViewBuilder {
        ViewBuilder {
            text: String::with_capacity(bytes),
            start: Vec::with_capacity(bytes),
            end: Vec::with_capacity(bytes),
        }
    }

    /// Appends `s`, every byte of which came from `original` in the original text.
    pub fn push_str(&mut self, s: &str, original: Span) {
        self.text.push_str(s);
        let (a, b) = (original.start as u32, original.end as u32);
        self.start.resize(self.text.len(), a);
        self.end.resize(self.text.len(), b);
    }

    /// Appends one character that came from `original`.
    pub fn push(&mut self, c: char, original: Span) {
        if c.is_ascii() {
            self.text.push(c);
            self.start.push(original.start as u32);
            self.end.push(original.end as u32);
            return;
        }
        let mut buf = [0u8; 4];
        self.push_str(c.encode_utf8(&mut buf), original);
    }

    /// Appends `view.text[range]`, every byte keeping the original span it has in `view`.
    /// `range` must lie on character boundaries of the view; otherwise nothing is appended.
    pub fn push_from(&mut self, view: &View, range: std::ops::Range<usize>) {
        let Some(s) = view.text.get(range.clone()) else {
            return;
        };
        match &view.map {
            OffsetMap::Identity if s.is_ascii() => {
                // One byte per character: byte `i` came from byte `i`.
                self.text.push_str(s);
                let (a, b) = (range.start as u32, range.end as u32);
                self.start.extend(a..b);
                self.end.extend(a + 1..b + 1);
            }
            OffsetMap::Identity => {
                for (i, c) in s.char_indices() {
                    let at = range.start + i;
                    self.push(c, Span::new(at, at + c.len_utf8()));
                }
            }
            OffsetMap::Table { start, end } => {
                if let (Some(a), Some(b)) = (start.get(range.clone()), end.get(range)) {
                    self.text.push_str(s);
                    self.start.extend_from_slice(a);
                    self.end.extend_from_slice(b);
                }
            }
        }
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn finish(self, kind: ViewKind, depth: u8) -> View {
        View {
            kind,
            text: self.text,
            map: OffsetMap::Table {
                start: self.start,
                end: self.end,
            },
            depth,
        }
    }
}

/// Counts of the disguises normalization undid; heuristics and scoring read them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NormalizeStats {
    /// Zero-width characters, soft hyphens, variation selectors removed.
    pub invisible: usize,
    /// Bidirectional control characters removed.
    pub bidi: usize,
    /// Unicode tag characters (U+E0000–U+E007F) removed.
    pub tags: usize,
    /// Characters that NFKC changed (fullwidth and mathematical letters among them).
    pub compatibility: usize,
    /// Look-alike letters mapped to Latin in the skeleton view.
    pub confusables: usize,
    /// Words folded from leetspeak in the skeleton view.
    pub leet_words: usize,
    /// Runs of split letters joined in the despaced view.
    pub despaced_runs: usize,
    /// Variation selectors that follow an emoji, symbol or ideograph, as in ordinary emoji
    /// presentation (`❤️`): removed like other invisible characters but not counted there.
    pub variation_selectors: usize,
}

/// The views of one text.
#[derive(Clone, Debug)]
pub struct Normalized {
    /// The normalized view first; other views only where they differ from it.
    pub views: Vec<View>,
    pub stats: NormalizeStats,
}

/// Whether a character is invisible formatting that an attacker can use to hide or split words.
pub fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{115F}' | '\u{1160}' | '\u{17B4}' | '\u{17B5}'
        | '\u{180E}' | '\u{200B}'..='\u{200D}' | '\u{2060}'..='\u{2064}' | '\u{3164}'
        | '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}' | '\u{FFA0}' | '\u{E0100}'..='\u{E01EF}')
}

/// Whether a character is a variation selector (VS1–VS256).
pub fn is_variation_selector(c: char) -> bool {
    matches!(c, '\u{FE00}'..='\u{FE0F}' | '\u{E0100}'..='\u{E01EF}')
}

/// A combining mark that belongs to the character before it (variation selectors and the
/// combining grapheme joiner are combining marks too, but normalization removes them).
fn is_attached_mark(c: char) -> bool {
    !c.is_ascii() && is_combining_mark(c) && !is_variation_selector(c) && !is_invisible(c)
}

/// Whether a character is a bidirectional control.
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Whether a character is a Unicode tag character (invisible ASCII shadow alphabet).
pub fn is_tag(c: char) -> bool {
    ('\u{E0000}'..='\u{E007F}').contains(&c)
}

/// Produces the views of `text`: the normalized view first, then the skeleton view (look-alike
/// letters and leetspeak folded) and the despaced view (split letters joined) when they differ
/// from it. Plain ASCII prose builds one view and costs one pass over the bytes.
pub fn normalize(text: &str) -> Normalized {
    let mut stats = NormalizeStats::default();
    let normalized = fold(text, false, &mut stats);
    let mut views = Vec::with_capacity(1);
    let skeleton = if stats.tags > 0 {
        // Tag characters are an invisible copy of ASCII: the skeleton view shows what they
        // spell, in place, so that rules read the hidden text.
        let revealed = fold(text, true, &mut NormalizeStats::default());
        let folded = skeleton::skeleton(&revealed, ViewKind::Skeleton, &mut stats);
        Some(folded.unwrap_or(View {
            kind: ViewKind::Skeleton,
            ..revealed
        }))
    } else {
        skeleton::skeleton(&normalized, ViewKind::Skeleton, &mut stats)
    };
    let despaced = despace::despace(&normalized, &mut stats).map(|joined| {
        // Split letters may also be disguised ("1 g n 0 r 3"): fold the joined text too. Its
        // look-alikes and leet words were counted already if they were in the skeleton view.
        let mut again = NormalizeStats::default();
        skeleton::skeleton(&joined, ViewKind::Despaced, &mut again).unwrap_or(joined)
    });
    views.push(normalized);
    views.extend(skeleton);
    views.extend(despaced);
    Normalized { views, stats }
}

/// NFKC, lower case, invisible characters removed: the view every rule runs on.
///
/// A character and the combining marks after it are normalized together, so that decomposed
/// text (`e` + U+0301) composes as NFKC would compose it; every output character maps back to
/// the whole sequence it came from. With `reveal_tags`, tag characters are replaced by the
/// ASCII characters they shadow instead of being removed.
fn fold(text: &str, reveal_tags: bool, stats: &mut NormalizeStats) -> View {
    if text.is_ascii() {
        // Lower-casing ASCII keeps every byte in place, so the map stays the identity.
        return View {
            kind: ViewKind::Normalized,
            text: text.to_ascii_lowercase(),
            map: OffsetMap::Identity,
            depth: 0,
        };
    }
    let mut out = ViewBuilder::with_capacity(text.len());
    let mut segment = String::new();
    let mut composed = String::new();
    let mut normalizer = nfkc::Nfkc::default();
    let mut previous: Option<char> = None;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let after = previous;
        previous = Some(c);
        if is_variation_selector(c) {
            // One selector after an emoji, symbol or ideograph is ordinary presentation; one
            // after a Latin letter, or a second in a row, carries nothing visible.
            let ordinary = after.is_some_and(|p| {
                !p.is_ascii_alphabetic() && !is_variation_selector(p) && !p.is_whitespace()
            });
            if ordinary {
                stats.variation_selectors += 1;
            } else {
                stats.invisible += 1;
            }
            continue;
        }
        if is_invisible(c) {
            stats.invisible += 1;
            continue;
        }
        if is_bidi_control(c) {
            stats.bidi += 1;
            continue;
        }
        if is_tag(c) {
            stats.tags += 1;
            let shadow = char::from_u32(u32::from(c) - 0xE0000)
                .filter(|a| a.is_ascii_graphic() || *a == ' ');
            if let Some(a) = shadow.filter(|_| reveal_tags) {
                let span = Span::new(i, i + c.len_utf8());
                // The hidden text is a message of its own: start it on a new line so that it
                // does not glue onto the visible word before it.
                if !after.is_some_and(is_tag) {
                    out.push('\n', span);
                }
                out.push(a.to_ascii_lowercase(), span);
            }
            continue;
        }
        let mut end = i + c.len_utf8();
        let marked = chars.peek().is_some_and(|&(_, m)| is_attached_mark(m));
        if c.is_ascii() && !marked {
            out.push(c.to_ascii_lowercase(), Span::new(i, end));
            continue;
        }
        if !marked && nfkc::is_nfkc_stable(c) {
            for l in crate::lowercase::lower(c) {
                out.push(l, Span::new(i, end));
            }
            continue;
        }
        segment.clear();
        segment.push(c);
        while let Some(&(j, m)) = chars.peek() {
            if !is_attached_mark(m) {
                break;
            }
            segment.push(m);
            end = j + m.len_utf8();
            previous = Some(m);
            chars.next();
        }
        let span = Span::new(i, end);
        let mut changed = false;
        let mut original = segment.chars();
        composed.clear();
        normalizer.append(&segment, &mut composed);
        for n in composed.chars() {
            if original.next() != Some(n) {
                changed = true;
            }
            for l in crate::lowercase::lower(n) {
                out.push(l, span);
            }
        }
        if changed || original.next().is_some() {
            stats.compatibility += 1;
        }
    }
    out.finish(ViewKind::Normalized, 0)
}
