//! Regions of text where escapes (percent, backslash, HTML entities) are mixed with plain
//! text: escapes close together form one region, widened to the surrounding line so that a
//! partly escaped instruction ("%69gnore all previous instructions") decodes whole. Each
//! decoded character maps to the escape that spelled it; plain characters map to themselves.

use super::{Candidate, Origin, Sink};
use crate::finding::Span;
use crate::normalize::ViewKind;

/// Plain text allowed between two escapes of one region.
const MAX_GAP: usize = 48;
/// Plain text of the same line taken in on each side of a region.
const CONTEXT: usize = 160;

/// What one escape spells.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Value {
    /// One byte of a UTF-8 sequence (adjacent byte escapes are decoded together).
    Byte(u8),
    Char(char),
}

/// One escape found in the text.
#[derive(Clone, Copy, Debug)]
pub(super) struct Token {
    pub start: usize,
    pub end: usize,
    pub value: Value,
}

impl Token {
    /// Whether the escape spells an ASCII letter or digit, which never needs escaping: a sign
    /// of a deliberate disguise even when it is the only escape.
    fn is_needless(&self) -> bool {
        match self.value {
            Value::Byte(b) => b.is_ascii_alphanumeric(),
            Value::Char(c) => c.is_ascii_alphanumeric(),
        }
    }
}

/// How a finder's regions read.
pub(super) struct Style {
    /// The view of a region, from its escapes.
    pub kind: fn(&[Token]) -> ViewKind,
    /// Plain-text sequences the encoding also rewrites (`+` in URLs, `\n` in strings): the
    /// character and the bytes consumed, at `bytes[i]`.
    pub plain: PlainRewrite,
}

/// Rewrites a plain-text sequence at `bytes[i]` into a character and the bytes it took.
pub(super) type PlainRewrite = fn(&[u8], usize) -> Option<(char, usize)>;

/// A stretch of text to decode: `start..end`, holding the escapes `tokens[first..=last]`.
struct Region {
    start: usize,
    end: usize,
    first: usize,
    last: usize,
}

/// Groups `tokens` (in text order, not overlapping) into regions and decodes each.
pub(super) fn decode(text: &str, tokens: &[Token], style: &Style, cap: usize, out: &mut dyn Sink) {
    let bytes = text.as_bytes();
    let mut regions: Vec<Region> = Vec::new();
    let mut first = 0;
    while first < tokens.len() {
        let mut last = first;
        while last + 1 < tokens.len() {
            let (a, b) = (tokens[last].end, tokens[last + 1].start);
            if b < a || b - a > MAX_GAP || bytes[a..b].contains(&b'\n') {
                break;
            }
            last += 1;
        }
        let cluster = &tokens[first..=last];
        if cluster.len() >= 2 || cluster.iter().any(Token::is_needless) {
            let start = line_context_start(text, cluster[0].start);
            let end = line_context_end(text, cluster[cluster.len() - 1].end);
            match regions.last_mut() {
                Some(prev) if start <= prev.end => {
                    prev.end = end;
                    prev.last = last;
                }
                _ => regions.push(Region {
                    start,
                    end,
                    first,
                    last,
                }),
            }
        }
        first = last + 1;
    }
    let mut left = cap;
    for region in regions {
        if left == 0 {
            break;
        }
        let cluster = &tokens[region.first..=region.last];
        let candidate = decode_region(text, region.start, region.end, cluster, style, left);
        left = left.saturating_sub(candidate.bytes.len());
        if !out.take(candidate) {
            return;
        }
    }
}

/// Where the context before `at` starts: the line start, at most `CONTEXT` bytes back (the
/// search never looks further, so many regions on one long line stay linear).
fn line_context_start(text: &str, at: usize) -> usize {
    let mut floor = at.saturating_sub(CONTEXT);
    while !text.is_char_boundary(floor) {
        floor += 1;
    }
    text[floor..at].rfind('\n').map_or(floor, |n| floor + n + 1)
}

fn line_context_end(text: &str, at: usize) -> usize {
    let ceiling = (at + CONTEXT).min(text.len());
    let mut end = text[at..ceiling].find('\n').map_or(ceiling, |n| at + n);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    end
}

/// Decodes `text[start..end]`, whose escapes are `tokens`, up to `cap` bytes.
fn decode_region(
    text: &str,
    start: usize,
    end: usize,
    tokens: &[Token],
    style: &Style,
    cap: usize,
) -> Candidate {
    let bytes = text.as_bytes();
    let mut decoded: Vec<u8> = Vec::new();
    let mut spans: Vec<Span> = Vec::new();
    let mut pending: Vec<u8> = Vec::new();
    let mut pending_span = Span::new(start, start);
    let mut t = 0;
    let mut i = start;
    let mut buf = [0u8; 4];
    while i < end && decoded.len() < cap {
        if let Some(token) = tokens.get(t).filter(|tok| tok.start == i && tok.end <= end) {
            t += 1;
            i = token.end;
            match token.value {
                Value::Byte(b) => {
                    if pending.is_empty() {
                        pending_span.start = token.start;
                    }
                    pending.push(b);
                    pending_span.end = token.end;
                    // Flush unless the next escape continues this byte sequence.
                    let continues = tokens.get(t).is_some_and(|n| {
                        n.start == i && n.end <= end && matches!(n.value, Value::Byte(_))
                    });
                    if continues {
                        continue;
                    }
                    flush(&mut pending, pending_span, &mut decoded, &mut spans);
                }
                Value::Char(c) => {
                    let s = c.encode_utf8(&mut buf);
                    push(
                        s,
                        Span::new(token.start, token.end),
                        &mut decoded,
                        &mut spans,
                    );
                }
            }
            continue;
        }
        while tokens.get(t).is_some_and(|tok| tok.start < i) {
            t += 1;
        }
        if let Some((c, len)) = (style.plain)(bytes, i).filter(|&(_, len)| i + len <= end) {
            push(
                c.encode_utf8(&mut buf),
                Span::new(i, i + len),
                &mut decoded,
                &mut spans,
            );
            i += len;
            continue;
        }
        let Some(c) = text[i..].chars().next() else {
            break;
        };
        let len = c.len_utf8();
        push(
            &text[i..i + len],
            Span::new(i, i + len),
            &mut decoded,
            &mut spans,
        );
        i += len;
    }
    flush(&mut pending, pending_span, &mut decoded, &mut spans);
    Candidate {
        kind: (style.kind)(tokens),
        bytes: decoded,
        origin: Origin::PerByte(spans),
    }
}

fn push(s: &str, span: Span, decoded: &mut Vec<u8>, spans: &mut Vec<Span>) {
    decoded.extend_from_slice(s.as_bytes());
    spans.resize(decoded.len(), span);
}

/// Decodes a sequence of escaped bytes as UTF-8 (invalid bytes become U+FFFD, which the
/// text check counts against the region).
fn flush(pending: &mut Vec<u8>, span: Span, decoded: &mut Vec<u8>, spans: &mut Vec<Span>) {
    if pending.is_empty() {
        return;
    }
    let s = String::from_utf8_lossy(pending).into_owned();
    push(&s, span, decoded, spans);
    pending.clear();
}

/// A style with no plain-text rewriting.
pub(super) fn no_plain(_: &[u8], _: usize) -> Option<(char, usize)> {
    None
}
