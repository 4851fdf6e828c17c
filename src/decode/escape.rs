//! Backslash escapes from string literals: `\u0049`, `\u{49}`, `\U00000049`, `\x49` (with
//! `\n`, `\t`, `\"` and friends decoded inside a region). A run made only of `\xHH` escapes
//! is hex data written C-style, and goes to the hex view.

use super::region::{self, Style, Token, Value};
use super::{hex_value, Sink};
use crate::normalize::ViewKind;

const STYLE: Style = Style {
    kind: kind_of,
    plain: simple_escape,
};

/// Fewest `\xHH` escapes, back to back, that make a hex run rather than a string escape.
const MIN_HEX_RUN: usize = 4;

fn kind_of(tokens: &[Token]) -> ViewKind {
    let bytes_only = tokens.iter().all(|t| matches!(t.value, Value::Byte(_)));
    let back_to_back = tokens.windows(2).all(|w| w[0].end == w[1].start);
    if bytes_only && back_to_back && tokens.len() >= MIN_HEX_RUN {
        ViewKind::Hex
    } else {
        ViewKind::Escape
    }
}

fn simple_escape(bytes: &[u8], i: usize) -> Option<(char, usize)> {
    if bytes[i] != b'\\' {
        return None;
    }
    let c = match bytes.get(i + 1)? {
        b'n' => '\n',
        b't' => '\t',
        b'r' => '\r',
        b'"' => '"',
        b'\'' => '\'',
        b'\\' => '\\',
        b'/' => '/',
        _ => return None,
    };
    Some((c, 2))
}

/// Finds regions of backslash escapes in `text` and decodes up to `cap` bytes of them.
pub(super) fn find(text: &str, cap: usize, out: &mut dyn Sink) {
    let bytes = text.as_bytes();
    let mut tokens = Vec::new();
    let mut i = 0;
    while let Some(p) = bytes[i..].iter().position(|&b| b == b'\\') {
        let at = i + p;
        match escape(bytes, at) {
            Some((value, end)) => {
                tokens.push(Token {
                    start: at,
                    end,
                    value,
                });
                i = end;
            }
            None => i = at + 1,
        }
    }
    region::decode(text, &tokens, &STYLE, cap, out);
}

/// The value of exactly `n` hex digits at `bytes[i..]`.
fn hex_digits(bytes: &[u8], i: usize, n: usize) -> Option<u32> {
    let digits = bytes.get(i..i + n)?;
    digits
        .iter()
        .try_fold(0u32, |acc, &b| Some(acc << 4 | u32::from(hex_value(b)?)))
}

/// The escape starting with `\` at `at`, and where it ends.
fn escape(bytes: &[u8], at: usize) -> Option<(Value, usize)> {
    match bytes.get(at + 1)? {
        b'x' => {
            let v = hex_digits(bytes, at + 2, 2)?;
            Some((Value::Byte(v as u8), at + 4))
        }
        b'U' => {
            let v = hex_digits(bytes, at + 2, 8)?;
            Some((Value::Char(char::from_u32(v)?), at + 10))
        }
        b'u' if bytes.get(at + 2) == Some(&b'{') => {
            let close = bytes
                .get(at + 3..at + 10)?
                .iter()
                .position(|&b| b == b'}')?;
            let v = hex_digits(bytes, at + 3, close)?;
            (close > 0).then_some(())?;
            Some((Value::Char(char::from_u32(v)?), at + 4 + close))
        }
        b'u' => {
            let v = hex_digits(bytes, at + 2, 4)?;
            if (0xD800..0xDC00).contains(&v) {
                // A UTF-16 surrogate pair written as two escapes.
                if bytes.get(at + 6..at + 8) != Some(b"\\u") {
                    return None;
                }
                let low = hex_digits(bytes, at + 8, 4)?;
                if !(0xDC00..0xE000).contains(&low) {
                    return None;
                }
                let c = 0x10000 + ((v - 0xD800) << 10) + (low - 0xDC00);
                return Some((Value::Char(char::from_u32(c)?), at + 12));
            }
            Some((Value::Char(char::from_u32(v)?), at + 6))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::Span;

    fn found(text: &str) -> Vec<(ViewKind, String)> {
        let mut out = Vec::new();
        find(text, 1000, &mut out);
        out.iter()
            .map(|c| (c.kind, String::from_utf8_lossy(&c.bytes).into_owned()))
            .collect()
    }

    #[test]
    fn unicode_escapes_decode_with_their_line() {
        assert_eq!(
            found(r"say \u0049gnore all\n now"),
            vec![(ViewKind::Escape, "say Ignore all\n now".to_owned())]
        );
        assert_eq!(found(r"\u{49}\U00000067")[0].1, "Ig");
        assert_eq!(found(r"\ud83d\ude00 ok \u0041")[0].1, "😀 ok A");
    }

    #[test]
    fn pure_x_runs_are_hex_and_map_to_the_escapes() {
        let text = r"run \x49\x67\x6e\x6f\x72\x65";
        let mut out = Vec::new();
        find(text, 1000, &mut out);
        assert_eq!(out[0].kind, ViewKind::Hex);
        assert_eq!(String::from_utf8_lossy(&out[0].bytes), "run Ignore");
        assert_eq!(out[0].origin.locate(4, 10), Span::new(4, text.len()));
    }

    #[test]
    fn windows_paths_are_not_escapes() {
        assert!(found(r"C:\xampp\htdocs\users").is_empty());
    }
}
