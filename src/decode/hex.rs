//! Hex runs: contiguous digits (`49676e6f7265`, `0x49676e...`) and lists of byte pairs
//! (`49 67 6e`, `0x49 0x67`, `49:67:6e`, `0x49,0x67`). `\x49\x67` is found by the escape
//! finder, which hands pure `\x` runs to the hex view.

use super::{hex_byte, hex_value, is_boundary, Candidate, Origin, Sink};
use crate::finding::Span;
use crate::normalize::ViewKind;

/// Fewest bytes a hex run must spell.
const MIN_BYTES: usize = 6;

/// Finds hex runs in `text` and decodes up to `cap` bytes of each.
pub(super) fn find(text: &str, cap: usize, out: &mut dyn Sink) {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if hex_value(bytes[i]).is_none() || (i > 0 && !is_boundary(bytes.get(i - 1))) {
            i += 1;
            continue;
        }
        let (Some(a), Some(b)) = (contiguous(bytes, i, cap, out), pairs(bytes, i, cap, out)) else {
            return;
        };
        i = a.max(b).max(i + 1);
    }
}

/// Length of a `0x`/`0X` prefix at `i`.
fn prefix(bytes: &[u8], i: usize) -> usize {
    match (bytes.get(i), bytes.get(i + 1)) {
        (Some(b'0'), Some(b'x' | b'X')) => 2,
        _ => 0,
    }
}

/// A run of hex digits from `i` (after an optional `0x`); returns where the scan may go on,
/// or `None` when the sink wants no more.
fn contiguous(bytes: &[u8], i: usize, cap: usize, out: &mut dyn Sink) -> Option<usize> {
    let digits_start = i + prefix(bytes, i);
    let mut end = digits_start;
    while end < bytes.len() && hex_value(bytes[end]).is_some() {
        end += 1;
    }
    let digits = end - digits_start;
    if digits < 2 * MIN_BYTES || digits % 2 != 0 || !is_boundary(bytes.get(end)) {
        return Some(if digits_start > i { end } else { i });
    }
    let take = (digits / 2).min(cap);
    let decoded: Vec<u8> = (0..take)
        .filter_map(|k| hex_byte(bytes, digits_start + 2 * k))
        .collect();
    let candidate = Candidate {
        kind: ViewKind::Hex,
        bytes: decoded,
        origin: Origin::Whole(Span::new(i, end)),
    };
    out.take(candidate).then_some(end)
}

/// A list of byte pairs from `i`, one separator style throughout; returns where the scan may
/// go on, or `None` when the sink wants no more.
fn pairs(bytes: &[u8], i: usize, cap: usize, out: &mut dyn Sink) -> Option<usize> {
    let mut decoded = Vec::new();
    let mut pos = i;
    let mut end = i;
    let mut separator: Option<&[u8]> = None;
    loop {
        let digits = pos + prefix(bytes, pos);
        let Some(byte) = hex_byte(bytes, digits) else {
            break;
        };
        if !is_boundary(bytes.get(digits + 2)) {
            break;
        }
        if decoded.len() < cap {
            decoded.push(byte);
        }
        end = digits + 2;
        let sep_len = match bytes.get(end..end + 2) {
            Some([b',', b' ']) => 2,
            _ => match bytes.get(end) {
                Some(b' ' | b',' | b':') => 1,
                _ => 0,
            },
        };
        if sep_len == 0 {
            break;
        }
        let sep = &bytes[end..end + sep_len];
        if separator.is_some_and(|s| s != sep) {
            break;
        }
        separator = Some(sep);
        pos = end + sep_len;
    }
    if decoded.len() < MIN_BYTES {
        return Some(i);
    }
    let candidate = Candidate {
        kind: ViewKind::Hex,
        bytes: decoded,
        origin: Origin::Whole(Span::new(i, end)),
    };
    out.take(candidate).then_some(end)
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
                    Origin::Whole(s) => s,
                    _ => Span::new(0, 0),
                };
                (String::from_utf8_lossy(&c.bytes).into_owned(), span)
            })
            .collect()
    }

    #[test]
    fn every_hex_form_decodes_to_its_span() {
        assert_eq!(
            decoded("see 49676e6f7265!"),
            vec![("Ignore".into(), Span::new(4, 16))]
        );
        assert_eq!(decoded("0x49676e6f7265")[0].0, "Ignore");
        assert_eq!(
            decoded("49 67 6e 6f 72 65"),
            vec![("Ignore".into(), Span::new(0, 17))]
        );
        assert_eq!(decoded("0x49 0x67 0x6e 0x6f 0x72 0x65")[0].0, "Ignore");
        assert_eq!(decoded("0x49, 0x67, 0x6e, 0x6f, 0x72, 0x65")[0].0, "Ignore");
        assert_eq!(decoded("49:67:6e:6f:72:65")[0].0, "Ignore");
    }

    #[test]
    fn short_odd_or_glued_hex_is_skipped() {
        assert!(decoded("#ffaa00 and #abcdef").is_empty());
        assert!(decoded("49676e6f726").is_empty());
        assert!(decoded("x49676e6f7265").is_empty());
        assert!(decoded("49 67 6e").is_empty());
    }
}
