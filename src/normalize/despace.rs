//! The despaced view: letters written one by one with spaces, dots, underscores, dashes or
//! similar between them (`i g n o r e`, `i.g.n.o.r.e`, `i-g-n-o-r-e`) joined back into words.
//! Inside a run, a gap wider than the one between letters (two spaces where letters have one, a
//! space where letters have a dot) is a word gap and stays a single space.

use super::bytes::has_run_of_positions;
use super::{is_combining_mark, NormalizeStats, OffsetMap, View, ViewBuilder, ViewKind};
use crate::finding::Span;

/// Fewest single letters that make a run worth joining (`a l l`).
const MIN_RUN: usize = 3;
/// Longest gap, in characters, between two letters of a run.
const MAX_GAP: usize = 3;

/// Characters written between split letters. `/` and `+` are left out: in base64 blobs they
/// sit between single letters all the time.
fn is_separator(c: char) -> bool {
    matches!(
        c,
        ' ' | '\t' | '.' | '_' | '-' | '*' | '|' | '~' | '·' | '•' | '\u{a0}'
    )
}

fn is_letter(c: char) -> bool {
    crate::chars::is_alphanumeric(c) || !c.is_ascii() && is_combining_mark(c)
}

/// A run of single letters: where each letter is, and the gaps between them.
struct Run {
    letters: Vec<Span>,
    /// `gaps[i]` lies between `letters[i]` and `letters[i + 1]`: its span and its weight
    /// (whitespace counts more than punctuation).
    gaps: Vec<(Span, usize)>,
}

/// Joins the runs of split letters in `source`, or `None` when it has none.
pub(super) fn despace(source: &View, stats: &mut NormalizeStats) -> Option<View> {
    if !may_have_runs(&source.text) {
        return None;
    }
    let runs = find_runs(&source.text);
    if runs.is_empty() {
        return None;
    }
    stats.despaced_runs += runs.len();
    let mut out = ViewBuilder::with_capacity(source.text.len());
    // In ASCII text read as is, a letter is one byte that maps to itself: pushed directly.
    let bytes = source.text.as_bytes();
    let direct = source.map == OffsetMap::Identity && source.text.is_ascii();
    let mut copied = 0;
    for run in &runs {
        let (Some(first), Some(last)) = (run.letters.first(), run.letters.last()) else {
            continue;
        };
        out.push_from(source, copied..first.start);
        let unit = run.gaps.iter().map(|g| g.1).min().unwrap_or(0);
        for (i, letter) in run.letters.iter().enumerate() {
            if direct {
                out.push(char::from(bytes[letter.start]), *letter);
            } else {
                out.push_from(source, letter.start..letter.end);
            }
            if let Some(&(gap, weight)) = run.gaps.get(i) {
                if weight > unit {
                    out.push(' ', source.original_span(gap.start, gap.end));
                }
            }
        }
        copied = last.end;
    }
    out.push_from(source, copied..source.text.len());
    Some(out.finish(ViewKind::Despaced, source.depth))
}

/// A quick look at the bytes: whether the text may hold a run of single letters. Text with
/// non-ASCII characters is left to [`find_runs`].
fn may_have_runs(text: &str) -> bool {
    let b = text.as_bytes();
    if text.is_ascii() && !has_unworded_stretch(b) {
        return false;
    }
    let (mut singles, mut gap, mut i) = (0usize, 0usize, 0usize);
    while i < b.len() {
        let c = b[i];
        if !c.is_ascii() {
            return true;
        }
        if c.is_ascii_alphanumeric() {
            let start = i;
            while i < b.len() && b[i].is_ascii_alphanumeric() {
                i += 1;
            }
            singles = match (i - start, singles) {
                (1, 0) => 1,
                (1, n) if gap <= MAX_GAP => n + 1,
                (1, _) => 1,
                _ => 0,
            };
            if singles >= MIN_RUN {
                return true;
            }
            gap = 0;
            continue;
        }
        if is_separator(char::from(c)) {
            gap += 1;
        } else {
            singles = 0;
        }
        i += 1;
    }
    false
}

/// Whether the text has a stretch of [`MIN_RUN`] * 2 bytes in which no byte is a letter
/// followed by a letter: the shape of every run of single letters with the byte before it
/// (` i g n`: a letter, a gap, ...), and rare in prose, where nearly every letter has a
/// neighbour. The start of the text counts as one such byte. Probing skips most of the text.
fn has_unworded_stretch(b: &[u8]) -> bool {
    // Position 0 stands for the start of the text; position `i + 1` for byte `i`.
    let in_word = |p: usize| {
        p > 0 && b[p - 1].is_ascii_alphanumeric() && b.get(p).is_some_and(u8::is_ascii_alphanumeric)
    };
    has_run_of_positions(b.len() + 1, MIN_RUN * 2, |p| !in_word(p))
}

/// Finds the runs of at least [`MIN_RUN`] single letters (one of them alphabetic) separated by
/// short gaps of separators.
fn find_runs(text: &str) -> Vec<Run> {
    let mut runs = Vec::new();
    let mut current = Run {
        letters: Vec::new(),
        gaps: Vec::new(),
    };
    // The word just read, if it was a single letter; and the gap read after it.
    let mut chars = text.char_indices().peekable();
    let mut gap: Option<(Span, usize, usize)> = None; // span, characters, weight
    while let Some((i, c)) = chars.next() {
        if is_letter(c) {
            let mut end = i + c.len_utf8();
            let mut single = true;
            while let Some(&(j, d)) = chars.peek() {
                if !is_letter(d) {
                    break;
                }
                if !is_combining_mark(d) {
                    single = false;
                }
                end = j + d.len_utf8();
                chars.next();
            }
            let joined = gap
                .take()
                .filter(|g| g.1 <= MAX_GAP && !current.letters.is_empty());
            match (single, joined) {
                (true, Some((span, _, weight))) => {
                    current.gaps.push((span, weight));
                    current.letters.push(Span::new(i, end));
                }
                (true, None) => {
                    close(&mut current, &mut runs, text);
                    current.letters.push(Span::new(i, end));
                }
                (false, _) => close(&mut current, &mut runs, text),
            }
            continue;
        }
        if !is_separator(c) {
            close(&mut current, &mut runs, text);
            gap = None;
            continue;
        }
        let w = if c.is_whitespace() { 4 } else { 1 };
        let len = c.len_utf8();
        gap = Some(match gap {
            Some((span, n, weight)) => (Span::new(span.start, i + len), n + 1, weight + w),
            None => (Span::new(i, i + len), 1, w),
        });
    }
    close(&mut current, &mut runs, text);
    runs
}

/// Keeps the run read so far if it is long enough, and starts a new one.
fn close(current: &mut Run, runs: &mut Vec<Run>, text: &str) {
    let letters = std::mem::take(&mut current.letters);
    let gaps = std::mem::take(&mut current.gaps);
    let alphabetic = letters.iter().any(|s| {
        text.get(s.start..s.end)
            .is_some_and(|l| l.chars().any(crate::chars::is_alphabetic))
    });
    if letters.len() >= MIN_RUN && alphabetic {
        runs.push(Run { letters, gaps });
    }
}
