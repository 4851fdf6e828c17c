//! ASCII binary: groups of eight bits (`01001001 01100111`), separated by spaces or not.

use super::{Candidate, Origin, Sink};
use crate::finding::Span;
use crate::normalize::ViewKind;

/// Fewest bytes a binary run must spell.
const MIN_BYTES: usize = 4;

fn is_bit(b: u8) -> bool {
    b == b'0' || b == b'1'
}

/// Finds runs of 8-bit groups in `text` and decodes up to `cap` bytes of each.
pub(super) fn find(text: &str, cap: usize, out: &mut dyn Sink) {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if !is_bit(bytes[i]) || (i > 0 && !super::is_boundary(bytes.get(i - 1))) {
            i += 1;
            continue;
        }
        let start = i;
        let mut decoded = Vec::new();
        let mut end = i;
        let mut bits = 0u8;
        let mut count = 0;
        while i < bytes.len() {
            let b = bytes[i];
            if is_bit(b) {
                bits = bits << 1 | (b - b'0');
                count += 1;
                i += 1;
                if count == 8 {
                    if decoded.len() < cap {
                        decoded.push(bits);
                    }
                    end = i;
                    count = 0;
                }
            } else if b == b' ' && count == 0 && i + 1 < bytes.len() && is_bit(bytes[i + 1]) {
                i += 1;
            } else {
                break;
            }
        }
        // A group cut short ends the run: the whole groups before it still count (a typo
        // in a long message should not hide the rest), and garbage fails the text check.
        if decoded.len() >= MIN_BYTES {
            let candidate = Candidate {
                kind: ViewKind::Binary,
                bytes: decoded,
                origin: Origin::Whole(Span::new(start, end)),
            };
            if !out.take(candidate) {
                return;
            }
        }
        i = i.max(start + 1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spaced_and_packed_groups_decode() {
        let mut out = Vec::new();
        find("x 01001001 01100111 01101110 01101111 y", 100, &mut out);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].bytes, b"Igno");
        assert!(matches!(out[0].origin, Origin::Whole(s) if s == Span::new(2, 37)));
        out.clear();
        find("01001001011001110110111001101111", 100, &mut out);
        assert_eq!(out[0].bytes, b"Igno");
    }

    #[test]
    fn whole_groups_before_a_cut_group_are_kept() {
        let mut out = Vec::new();
        find(
            "01001001 01100111 01101110 01101111 011100 01100101",
            100,
            &mut out,
        );
        assert_eq!(out[0].bytes, b"Igno");
        assert!(matches!(out[0].origin, Origin::Whole(s) if s == Span::new(0, 35)));
    }

    #[test]
    fn cut_groups_are_not_binary() {
        let mut out = Vec::new();
        find("0100100 1011001110110111001101111", 100, &mut out);
        assert!(out.is_empty());
    }
}
