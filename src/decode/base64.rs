//! Base64 runs, standard (`+/`) and url-safe (`-_`), with or without padding, also wrapped
//! across lines (as MIME and PEM wrap them).

use super::{Candidate, Sink};
use crate::finding::Span;
use crate::normalize::ViewKind;

/// Shortest run worth decoding (16 characters decode to 12 bytes).
const MIN_CHARS: usize = 16;
/// A line break continues a run only after a line at least this long (wrapped base64).
const MIN_WRAPPED_LINE: usize = 16;

/// The 6-bit value of a base64 character of either alphabet.
fn sextet(b: u8) -> Option<u8> {
    match b {
        b'A'..=b'Z' => Some(b - b'A'),
        b'a'..=b'z' => Some(b - b'a' + 26),
        b'0'..=b'9' => Some(b - b'0' + 52),
        b'+' | b'-' => Some(62),
        b'/' | b'_' => Some(63),
        _ => None,
    }
}

/// Finds base64 runs in `text` and decodes up to `cap` bytes of each.
pub(super) fn find(text: &str, cap: usize, out: &mut dyn Sink) {
    let bytes = text.as_bytes();
    let mut i = 0;
    let mut chars: Vec<u8> = Vec::new();
    while i < bytes.len() {
        if sextet(bytes[i]).is_none() || (i > 0 && !beside_run(bytes[i - 1])) {
            i += 1;
            continue;
        }
        // Most runs in prose are words: skip them without collecting anything.
        let word_end = i + bytes[i..]
            .iter()
            .take_while(|&&b| sextet(b).is_some())
            .count();
        let continues = matches!(bytes.get(word_end), Some(b'=' | b'\n' | b'\r'));
        if word_end - i < MIN_CHARS && !continues {
            i = word_end;
            continue;
        }
        // A maximal run starting at `i`: base64 characters, line breaks between long lines,
        // and at most two `=` that end it.
        let start = i;
        chars.clear();
        let mut line = 0;
        let mut end = i;
        let mut padded = false;
        while i < bytes.len() {
            let b = bytes[i];
            if let Some(v) = sextet(b) {
                if chars.len() < cap / 3 * 4 + 4 {
                    chars.push(v);
                }
                line += 1;
                i += 1;
                end = i;
            } else if b == b'=' {
                while i < bytes.len() && bytes[i] == b'=' && i - end < 2 {
                    i += 1;
                }
                end = i;
                padded = true;
                break;
            } else if (b == b'\n' || b == b'\r') && line >= MIN_WRAPPED_LINE && line % 4 == 0 {
                let mut j = i;
                while j < bytes.len() && matches!(bytes[j], b'\r' | b'\n' | b' ' | b'\t') {
                    j += 1;
                }
                if j - i > 8 || !is_wrapped_line(bytes, j) {
                    break;
                }
                i = j;
                line = 0;
            } else {
                break;
            }
        }
        let run_end = i;
        // A run glued to a word of another script is part of that word, not data; padding
        // ends a run even when the next one follows at once.
        let ended = padded || bytes.get(run_end).is_none_or(|&b| beside_run(b));
        if end - start >= MIN_CHARS && ended {
            let decoded = decode_sextets(&chars, cap);
            let candidate = Candidate {
                kind: ViewKind::Base64,
                bytes: decoded,
                origin: super::Origin::Whole(Span::new(start, end)),
            };
            if !out.take(candidate) {
                return;
            }
        }
        i = run_end.max(start + 1);
    }
}

/// Whether the line starting at `j` continues wrapped base64: nothing but base64 characters
/// (and final padding), in whole groups of four, so that prose after a run is never glued on.
fn is_wrapped_line(bytes: &[u8], j: usize) -> bool {
    let mut k = j;
    while k < bytes.len() && sextet(bytes[k]).is_some() {
        k += 1;
    }
    let mut padded = k;
    while padded < bytes.len() && bytes[padded] == b'=' && padded - k < 2 {
        padded += 1;
    }
    let line_ends = matches!(bytes.get(padded), None | Some(b'\n' | b'\r'));
    k - j >= 4 && (padded - j) % 4 == 0 && line_ends
}

/// Whether `b` may border a base64 run: ASCII, and not itself base64 (runs are maximal).
fn beside_run(b: u8) -> bool {
    b.is_ascii() && sextet(b).is_none()
}

/// Decodes 6-bit values into bytes (a trailing single value carries no full byte).
fn decode_sextets(values: &[u8], cap: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity((values.len() / 4 * 3 + 2).min(cap));
    for group in values.chunks(4) {
        if out.len() >= cap {
            break;
        }
        let v = |k: usize| u32::from(group.get(k).copied().unwrap_or(0));
        let n = v(0) << 18 | v(1) << 12 | v(2) << 6 | v(3);
        let full = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        let take = match group.len() {
            4 => 3,
            3 => 2,
            2 => 1,
            _ => 0,
        };
        out.extend_from_slice(&full[..take]);
    }
    out.truncate(cap);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decoded(text: &str) -> Vec<(String, Span)> {
        let mut out = Vec::new();
        find(text, 1 << 20, &mut out);
        out.into_iter()
            .map(|c| {
                let span = match c.origin {
                    super::super::Origin::Whole(s) => s,
                    _ => Span::new(0, 0),
                };
                (String::from_utf8_lossy(&c.bytes).into_owned(), span)
            })
            .collect()
    }

    #[test]
    fn padded_and_unpadded_and_url_safe_runs_decode() {
        assert_eq!(
            decoded("x aGVsbG8gd29ybGQ= y"),
            vec![("hello world".to_owned(), Span::new(2, 18))]
        );
        assert_eq!(decoded("aGVsbG8gd29ybGQh")[0].0, "hello world!");
        // "??>??>" in both alphabets.
        assert_eq!(
            decoded("Pz8-Pz8-Pz8-Pz8-")[0].0,
            decoded("Pz8+Pz8+Pz8+Pz8+")[0].0
        );
    }

    #[test]
    fn padded_runs_back_to_back_are_each_decoded() {
        let runs = decoded("aGVsbG8gd29ybGQ=aGVsbG8gd29ybGQ=");
        assert_eq!(runs.len(), 2);
        assert_eq!(runs[1], ("hello world".to_owned(), Span::new(16, 32)));
    }

    #[test]
    fn wrapped_lines_join_into_one_run() {
        let text = "aGVsbG8gd29ybGQgaGVs\nbG8gd29ybGQ=";
        let runs = decoded(text);
        assert_eq!(runs.len(), 1);
        assert_eq!(runs[0].0, "hello world hello world");
        assert_eq!(runs[0].1, Span::new(0, text.len()));
    }

    #[test]
    fn short_runs_and_identifiers_are_skipped() {
        assert!(decoded("aGVsbG8= short").is_empty());
        assert!(decoded("aGVsbG8gd29ybGQgaGVs\u{e9}").is_empty());
        // Prose on the next line is not glued onto the run.
        let runs = decoded("aGVsbG8gd29ybGQgaGVs\nfunction build() {}");
        assert_eq!(runs[0].0, "hello world hel");
    }
}
