//! HTML character references: numeric (`&#73;`, `&#x67;`) and common named ones (`&lt;`).

use super::region::{self, Style, Token, Value};
use super::Sink;
use crate::normalize::ViewKind;

const STYLE: Style = Style {
    kind: |_| ViewKind::Entity,
    plain: region::no_plain,
};

/// Named references common in pasted HTML; the rest of the HTML table is rare in prompts.
const NAMED: [(&str, char); 28] = [
    ("amp", '&'),
    ("apos", '\''),
    ("bull", '•'),
    ("colon", ':'),
    ("comma", ','),
    ("copy", '©'),
    ("excl", '!'),
    ("gt", '>'),
    ("hellip", '…'),
    ("laquo", '«'),
    ("ldquo", '“'),
    ("lpar", '('),
    ("lsquo", '‘'),
    ("lt", '<'),
    ("mdash", '—'),
    ("nbsp", ' '),
    ("ndash", '–'),
    ("num", '#'),
    ("period", '.'),
    ("quest", '?'),
    ("quot", '"'),
    ("raquo", '»'),
    ("rdquo", '”'),
    ("reg", '®'),
    ("rpar", ')'),
    ("rsquo", '’'),
    ("sol", '/'),
    ("trade", '™'),
];

/// Finds regions of HTML character references in `text` and decodes up to `cap` bytes.
pub(super) fn find(text: &str, cap: usize, out: &mut dyn Sink) {
    let bytes = text.as_bytes();
    let mut tokens = Vec::new();
    let mut i = 0;
    while let Some(p) = bytes[i..].iter().position(|&b| b == b'&') {
        let at = i + p;
        match reference(bytes, at) {
            Some((c, end)) => {
                tokens.push(Token {
                    start: at,
                    end,
                    value: Value::Char(c),
                });
                i = end;
            }
            None => i = at + 1,
        }
    }
    region::decode(text, &tokens, &STYLE, cap, out);
}

/// The character and end of the reference starting with `&` at `at`.
fn reference(bytes: &[u8], at: usize) -> Option<(char, usize)> {
    let mut i = at + 1;
    if bytes.get(i) == Some(&b'#') {
        i += 1;
        let radix = if matches!(bytes.get(i), Some(b'x' | b'X')) {
            i += 1;
            16
        } else {
            10
        };
        let digits = i;
        let mut value: u32 = 0;
        while let Some(d) = bytes.get(i).and_then(|&b| (b as char).to_digit(radix)) {
            value = value.checked_mul(radix)?.checked_add(d)?;
            i += 1;
            if i - digits > 7 {
                return None;
            }
        }
        if i == digits {
            return None;
        }
        // Browsers accept a numeric reference without its `;`.
        if bytes.get(i) == Some(&b';') {
            i += 1;
        }
        return char::from_u32(value).map(|c| (c, i));
    }
    let name_start = i;
    while i < bytes.len() && i - name_start < 8 && bytes[i].is_ascii_alphanumeric() {
        i += 1;
    }
    if bytes.get(i) != Some(&b';') {
        return None;
    }
    let name = &bytes[name_start..i];
    NAMED
        .binary_search_by(|(n, _)| n.as_bytes().cmp(name))
        .ok()
        .map(|k| (NAMED[k].1, i + 1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::Span;

    #[test]
    fn numeric_and_named_references_decode_and_map() {
        let text = "&#73;&#x67;nore &lt;b&gt;";
        let mut out = Vec::new();
        find(text, 1000, &mut out);
        assert_eq!(String::from_utf8_lossy(&out[0].bytes), "Ignore <b>");
        assert_eq!(out[0].origin.locate(0, 2), Span::new(0, 11));
    }

    #[test]
    fn named_table_is_sorted_for_binary_search() {
        assert!(NAMED.windows(2).all(|w| w[0].0 < w[1].0));
    }

    #[test]
    fn unknown_names_and_bare_ampersands_are_plain_text() {
        let mut out = Vec::new();
        find("Tom & Jerry &foo; R&D", 1000, &mut out);
        assert!(out.is_empty());
    }
}
