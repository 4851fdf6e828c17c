//! Normalization: turns one text into several *views* (folded, de-obfuscated, de-spaced), each
//! with a map from view offsets back to byte offsets in the original text, so that a rule
//! matched in any view reports a span the caller can highlight.

use crate::finding::Span;
use unicode_normalization::UnicodeNormalization;

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
    /// The view is byte-for-byte the original text.
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
        let mut buf = [0u8; 4];
        self.push_str(c.encode_utf8(&mut buf), original);
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

/// Whether a character is a bidirectional control.
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Whether a character is a Unicode tag character (invisible ASCII shadow alphabet).
pub fn is_tag(c: char) -> bool {
    ('\u{E0000}'..='\u{E007F}').contains(&c)
}

/// Produces the views of `text`.
pub fn normalize(text: &str) -> Normalized {
    let mut stats = NormalizeStats::default();
    let normalized = fold(text, &mut stats);
    Normalized {
        views: vec![normalized],
        stats,
    }
}

/// NFKC, lower case, invisible characters removed: the view every rule runs on.
fn fold(text: &str, stats: &mut NormalizeStats) -> View {
    let plain = text
        .bytes()
        .all(|b| b.is_ascii() && !b.is_ascii_uppercase());
    if plain {
        return View::identity(ViewKind::Normalized, text);
    }
    let mut out = ViewBuilder::with_capacity(text.len());
    let mut buf = [0u8; 4];
    for (i, c) in text.char_indices() {
        let span = Span::new(i, i + c.len_utf8());
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
            continue;
        }
        if c.is_ascii() {
            out.push(c.to_ascii_lowercase(), span);
            continue;
        }
        let s: &str = c.encode_utf8(&mut buf);
        let mut changed = false;
        for n in s.nfkc() {
            if n != c {
                changed = true;
            }
            for l in n.to_lowercase() {
                out.push(l, span);
            }
        }
        if changed {
            stats.compatibility += 1;
        }
    }
    out.finish(ViewKind::Normalized, 0)
}
