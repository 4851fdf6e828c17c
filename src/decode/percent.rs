//! Percent-encoding (`%49%67nore`, `ignore%20all%20previous`), alone or mixed with plain text.

use super::region::{self, Style, Token, Value};
use super::{hex_byte, Sink};
use crate::normalize::ViewKind;

const STYLE: Style = Style {
    kind: |_| ViewKind::Percent,
    plain: plus_is_space,
};

/// In a URL query, `+` stands for a space.
fn plus_is_space(bytes: &[u8], i: usize) -> Option<(char, usize)> {
    (bytes[i] == b'+').then_some((' ', 1))
}

/// Finds percent-encoded regions in `text` and decodes up to `cap` bytes of them.
pub(super) fn find(text: &str, cap: usize, out: &mut dyn Sink) {
    let bytes = text.as_bytes();
    let mut tokens = Vec::new();
    let mut i = 0;
    while let Some(p) = bytes[i..].iter().position(|&b| b == b'%') {
        let at = i + p;
        match hex_byte(bytes, at + 1) {
            Some(b) => {
                tokens.push(Token {
                    start: at,
                    end: at + 3,
                    value: Value::Byte(b),
                });
                i = at + 3;
            }
            None => i = at + 1,
        }
    }
    region::decode(text, &tokens, &STYLE, cap, out);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::Span;

    #[test]
    fn mixed_percent_text_maps_each_char_to_its_escape() {
        let text = "please %69gnore%20all";
        let mut out = Vec::new();
        find(text, 1000, &mut out);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].bytes, b"please ignore all");
        assert_eq!(out[0].origin.locate(7, 8), Span::new(7, 10));
        assert_eq!(out[0].origin.locate(7, 13), Span::new(7, 15));
    }

    #[test]
    fn multibyte_sequences_decode_as_utf8() {
        let mut out = Vec::new();
        find("caf%C3%A9 au lait", 1000, &mut out);
        assert_eq!(String::from_utf8_lossy(&out[0].bytes), "café au lait");
    }

    #[test]
    fn one_space_escape_alone_makes_no_region() {
        let mut out = Vec::new();
        find("https://example.com/a%20b", 1000, &mut out);
        assert!(out.is_empty());
    }
}
