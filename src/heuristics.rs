//! Heuristic detectors that are not rules: invisible, bidi and tag characters, look-alike
//! letters inside Latin words, high-entropy runs and adversarial gibberish suffixes. They read
//! the original text and the normalized view and report findings like rules do, under the
//! `obfuscation` category.
//!
//! Scores are calibrated against false positives: a lone zero-width space or an emoji's
//! variation selector is weak evidence, Unicode tag characters (an invisible copy of ASCII) are
//! strong, and so is a request followed by a tail of token salad with broken brackets.

use crate::finding::{Category, Finding, Severity, Span};
use crate::normalize::bytes::{any_byte, has_run};
use crate::normalize::{
    confusable, is_bidi_control, is_invisible, is_tag, is_variation_selector, Normalized, Script,
};

/// Score of text hidden in Unicode tag characters.
const TAG_SCORE: u8 = 70;
/// Score of a request followed by adversarial token salad.
const GIBBERISH_SCORE: u8 = 60;
/// Score of a thinner tail of token salad (weak: flags only with another finding).
const GIBBERISH_WEAK_SCORE: u8 = 30;
/// Score of a long random-looking run (weak: keys, hashes and blobs are common).
const ENTROPY_SCORE: u8 = 20;

/// Runs every heuristic detector.
pub fn detect(text: &str, normalized: &Normalized, out: &mut Vec<Finding>) {
    if !text.is_ascii() {
        hidden_characters(text, out);
        mixed_script(normalized, out);
    }
    high_entropy(text, out);
    gibberish_suffix(text, out);
}

/// Characters of scripts written right to left, where bidi marks are ordinary.
fn is_rtl_letter(c: char) -> bool {
    matches!(c, '\u{0590}'..='\u{08FF}' | '\u{FB1D}'..='\u{FDFF}' | '\u{FE70}'..='\u{FEFC}')
        && crate::chars::is_alphabetic(c)
}

/// Invisible, bidi and tag characters, weighed by how innocently they can occur: tag
/// characters outside an emoji flag are strong evidence; zero-width joiners inside emoji or
/// between letters of scripts that need them, bidi marks in right-to-left text and emoji
/// variation selectors are not counted.
fn hidden_characters(text: &str, out: &mut Vec<Finding>) {
    let rtl = text.chars().any(is_rtl_letter);
    let mut tags = 0usize;
    let mut shadow = String::new();
    let mut suspicious = 0usize;
    let mut splitting = 0usize;
    let mut overrides = 0usize;
    let mut first: Option<Span> = None;
    let mut tag_span: Option<Span> = None;
    let mut flag = false;
    let mut prev: Option<char> = None;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let next = chars.peek().map(|&(_, n)| n);
        let span = Span::new(i, i + c.len_utf8());
        let mut hit = false;
        if c == '\u{1F3F4}' {
            flag = true;
        } else if is_tag(c) {
            if !flag {
                tags += 1;
                hit = true;
                let start = tag_span.map_or(i, |t| t.start);
                tag_span = Some(Span::new(start, span.end));
                if let Some(a) = char::from_u32(c as u32 - 0xE0000).filter(|a| !a.is_control()) {
                    if shadow.len() < 80 {
                        shadow.push(a);
                    }
                }
            }
        } else {
            flag = false;
            let joiner_in_place = matches!(c, '\u{200C}' | '\u{200D}')
                && prev.is_some_and(|p| !p.is_ascii())
                && next.is_some_and(|n| !n.is_ascii());
            let emoji_selector = is_variation_selector(c)
                && prev.is_some_and(|p| !p.is_ascii_alphabetic() && !is_variation_selector(p));
            if is_bidi_control(c) {
                let mark = matches!(c, '\u{200E}' | '\u{200F}');
                if matches!(c, '\u{202D}' | '\u{202E}') {
                    overrides += 1;
                    hit = true;
                } else if !rtl
                    || !mark
                        && !matches!(
                            c,
                            '\u{2066}'..='\u{2069}' | '\u{202A}' | '\u{202B}' | '\u{202C}'
                        )
                {
                    hit = true;
                }
            } else if (is_invisible(c) || is_variation_selector(c))
                && !joiner_in_place
                && !emoji_selector
            {
                hit = true;
                if prev.is_some_and(is_word_letter) && next.is_some_and(is_word_letter) {
                    splitting += 1;
                }
            }
            if hit {
                suspicious += 1;
            }
        }
        if hit && first.is_none() {
            first = Some(span);
        }
        prev = Some(c);
    }
    let span = first.unwrap_or(Span::new(0, 0));
    if let Some(tag_span) = tag_span.filter(|_| tags > 0) {
        out.push(finding(
            "obfuscation.invisible_characters",
            TAG_SCORE,
            tag_span,
            format!(
                "{tags} Unicode tag characters hide text that is invisible on screen: {shadow:?}"
            ),
        ));
        return;
    }
    let score = match (suspicious, splitting, overrides) {
        (0, _, _) => return,
        (_, 3.., _) => 50,
        (6.., _, _) => 45,
        (_, _, 1..) => 40,
        (2..=5, _, _) => 30,
        _ => 15,
    };
    out.push(finding(
        "obfuscation.invisible_characters",
        score,
        span,
        format!(
            "{suspicious} invisible or bidirectional control characters{}",
            if splitting > 0 {
                format!(", {splitting} of them inside words")
            } else {
                String::new()
            }
        ),
    ));
}

/// `char::is_alphanumeric`, answered at once for the formatting characters that text full of
/// invisible characters is made of (general punctuation, variation selectors, BOM, tags: none
/// is a letter or digit), which the Unicode tables answer slowly.
fn is_word_letter(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_alphanumeric();
    }
    !matches!(c, '\u{2000}'..='\u{206F}' | '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}' | '\u{E0000}'..='\u{E01EF}')
        && crate::chars::is_alphanumeric(c)
}

/// Words that mix Latin letters with Cyrillic, Greek, Armenian or Cherokee look-alikes
/// (`pаypal` with a Cyrillic `а`). A Greek letter opening a word is a scientific prefix
/// (`μmol`, `αhelix`) and does not count; nor does a Latin letter inside a Cyrillic word.
fn mixed_script(normalized: &Normalized, out: &mut Vec<Finding>) {
    let Some(view) = normalized.views.first() else {
        return;
    };
    let folded = view.text.as_str();
    let mut words = 0usize;
    let mut first: Option<Span> = None;
    let mut start: Option<usize> = None;
    let check = |s: usize, e: usize, words: &mut usize, first: &mut Option<Span>| {
        let word = &folded[s..e];
        let (mut latin, mut foreign, mut other) = (0usize, 0usize, 0usize);
        for (k, c) in word.chars().enumerate() {
            match Script::of(c) {
                Script::Latin => latin += 1,
                Script::Greek if k == 0 => {}
                sc if sc.is_lookalike_source() && confusable(c).is_some() => foreign += 1,
                Script::Other if !crate::chars::is_alphabetic(c) => {}
                _ => other += 1,
            }
        }
        if latin >= 2 && foreign >= 1 && other == 0 && latin >= foreign {
            *words += 1;
            if first.is_none() {
                *first = Some(view.original_span(s, e));
            }
        }
    };
    for (i, c) in folded.char_indices() {
        if crate::chars::is_alphabetic(c) || crate::normalize::is_combining_mark(c) {
            start.get_or_insert(i);
        } else if let Some(s) = start.take() {
            check(s, i, &mut words, &mut first);
        }
    }
    if let Some(s) = start {
        check(s, folded.len(), &mut words, &mut first);
    }
    if words == 0 {
        return;
    }
    let score = match words {
        1 => 40,
        2 => 50,
        _ => 60,
    };
    out.push(finding(
        "obfuscation.mixed_script",
        score,
        first.unwrap_or(Span::new(0, 0)),
        format!("{words} words mix Latin letters with Cyrillic, Greek or other look-alike letters"),
    ));
}

/// Shortest run checked for randomness, in bytes.
const ENTROPY_MIN_LEN: usize = 40;
/// Bits per character above which a run looks random (base64 of random bytes is near 6; hex
/// can reach only 4, English words stay under 4.2).
const ENTROPY_BITS: f64 = 4.6;

/// Long runs that look random and are not hex digests, UUIDs or URLs: weak evidence of an
/// encoded payload.
fn high_entropy(text: &str, out: &mut Vec<Finding>) {
    // A run is checked only if its core, ENTROPY_MIN_LEN bytes or more, is all base64
    // alphabet: text without such a stretch of bytes has nothing to check.
    if !has_run(text.as_bytes(), ENTROPY_MIN_LEN, is_base64ish) {
        return;
    }
    let mut found = 0usize;
    let mut first: Option<Span> = None;
    let mut at = 0;
    // ASCII text splits at whitespace bytes, without decoding characters (the same tokens:
    // `char::is_whitespace` of an ASCII character is tab to carriage return, or space).
    let tokens: Box<dyn Iterator<Item = &str>> = if text.is_ascii() {
        Box::new(
            text.as_bytes()
                .split(|b| matches!(b, b'\t'..=b'\r' | b' '))
                .map(|t| std::str::from_utf8(t).unwrap_or_default()),
        )
    } else {
        Box::new(text.split(|c: char| c.is_whitespace()))
    };
    for token in tokens {
        let start = at;
        at += token.len()
            + text[at + token.len()..]
                .chars()
                .next()
                .map_or(0, char::len_utf8);
        if token.len() < ENTROPY_MIN_LEN
            || token.as_bytes().contains(&b':') && token.contains("://")
            || token.starts_with("www.")
        {
            continue;
        }
        let lead = token.len()
            - token
                .trim_start_matches(|c: char| !c.is_ascii_alphanumeric())
                .len();
        let core = token.trim_matches(|c: char| !c.is_ascii_alphanumeric());
        let base64ish = core.bytes().all(is_base64ish);
        let hex = core.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-');
        let kinds = [
            core.bytes().any(|b| b.is_ascii_lowercase()),
            core.bytes().any(|b| b.is_ascii_uppercase()),
            core.bytes().any(|b| b.is_ascii_digit()),
        ];
        if core.len() < ENTROPY_MIN_LEN || !base64ish || hex || kinds.iter().any(|k| !k) {
            continue;
        }
        if shannon_bits(core) >= ENTROPY_BITS {
            found += 1;
            first.get_or_insert(Span::new(start + lead, start + lead + core.len()));
        }
    }
    if let Some(span) = first {
        out.push(finding(
            "obfuscation.high_entropy",
            ENTROPY_SCORE,
            span,
            format!("{found} long random-looking runs (possibly an encoded payload)"),
        ));
    }
}

/// A byte of the (standard or url-safe) base64 alphabet.
fn is_base64ish(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=' | b'_' | b'-')
}

fn shannon_bits(s: &str) -> f64 {
    let mut counts = [0u32; 256];
    for b in s.bytes() {
        counts[usize::from(b)] += 1;
    }
    let n = s.len() as f64;
    counts
        .iter()
        .filter(|&&k| k > 0)
        .map(|&k| {
            let p = f64::from(k) / n;
            -p * p.log2()
        })
        .sum()
}

/// Fewest clean words the request before a suffix must have.
const GIBBERISH_MIN_PREFIX: usize = 5;
/// Fewest odd tokens a suffix must have.
const GIBBERISH_MIN_ODD: usize = 4;

/// A request followed, on the same line, by a tail of token salad: fragments glued with odd
/// punctuation, words with case changes inside them, brackets that do not nest. That is the
/// shape of optimized adversarial suffixes (GCG and its successors); code and LaTeX have the
/// punctuation but keep their brackets balanced, and prose does not have the punctuation.
fn gibberish_suffix(text: &str, out: &mut Vec<Finding>) {
    // A fenced code block is code; a stray ``` inside a line of salad is not a fence.
    // (`str::contains` of a string does not skip like a byte search does.)
    if text.as_bytes().contains(&b'`') && text.lines().any(|l| l.trim_start().starts_with("```")) {
        return;
    }
    let line_start = text.trim_end().rfind('\n').map_or(0, |i| i + 1);
    let line = &text[line_start..];
    // A suffix counts only if its brackets do not nest; if the whole line nests, so (nearly
    // always) does its tail.
    if brackets_nest(line) {
        return;
    }
    let mut tokens: Vec<(usize, &str)> = Vec::new();
    let mut at = 0;
    for token in line.split(' ') {
        if !token.trim().is_empty() {
            tokens.push((at, token));
        }
        at += token.len() + 1;
    }
    if tokens.len() < GIBBERISH_MIN_PREFIX + GIBBERISH_MIN_ODD {
        return;
    }
    let odd: Vec<bool> = tokens.iter().map(|(_, t)| is_odd_token(t)).collect();
    let mut after = vec![(0usize, 0usize); tokens.len() + 1];
    for i in (0..tokens.len()).rev() {
        let heavy = usize::from(is_heavy_token(tokens[i].1));
        after[i] = (after[i + 1].0 + usize::from(odd[i]), after[i + 1].1 + heavy);
    }
    let unmatched = unmatched_suffix_brackets(&tokens);
    // The longest odd-dense tail behind a clean request: dense (two tokens in five odd), or
    // sparser but holding a token of pure salad (`](`{%({\\In`), or sparser still but with
    // salad and several brackets left open or closed without a partner.
    let total = after[0].0;
    let found = (GIBBERISH_MIN_PREFIX..=tokens.len() - 3).find(|&s| {
        let tail = tokens.len() - s;
        let (odd_tail, heavy) = after[s];
        let odd_head = total - odd_tail;
        let dense = odd_tail >= GIBBERISH_MIN_ODD && odd_tail * 5 >= tail * 2;
        let salted = heavy >= 1 && odd_tail >= 3 && odd_tail * 4 >= tail;
        let broken = heavy >= 1 && odd_tail >= 2 && odd_tail * 6 >= tail && unmatched[s] >= 2;
        (dense || salted || broken) && odd_head * 8 <= s && odd[s]
    });
    // Failing those, a thinner tail of salad is weak evidence: it flags only together with
    // another finding (a harmful request, a persona).
    let (found, score) = match found {
        Some(s) => (Some(s), GIBBERISH_SCORE),
        None => {
            let thin = (GIBBERISH_MIN_PREFIX - 1..=tokens.len() - 3).find(|&s| {
                let tail = tokens.len() - s;
                let (odd_tail, heavy) = after[s];
                let odd_head = total - odd_tail;
                odd_tail >= 2
                    && odd_tail * 8 >= tail
                    && (heavy >= 1 || unmatched[s] >= 2)
                    && odd_head * 8 <= s
                    && odd[s]
            });
            (thin, GIBBERISH_WEAK_SCORE)
        }
    };
    let Some(s) = found else {
        return;
    };
    let tail_start = line_start + tokens[s].0;
    let tail = text[tail_start..].trim_end();
    if brackets_nest(tail) || looks_like_code(tail) {
        return;
    }
    out.push(finding(
        "obfuscation.gibberish_suffix",
        score,
        Span::new(tail_start, tail_start + tail.len()),
        format!(
            "a request is followed by {} tokens of adversarial-looking gibberish",
            tokens.len() - s
        ),
    ));
}

/// Whether a tail reads as a line of source code pasted mid-edit (unclosed braces are
/// normal there): two or more statement shapes that token salad does not produce.
fn looks_like_code(tail: &str) -> bool {
    const MARKERS: [&str; 14] = [
        "for (",
        "if (",
        "while (",
        "return ",
        "=>",
        "function ",
        "def ",
        "#include",
        "();",
        "++",
        "!=",
        "==",
        "= 0;",
        "} else",
    ];
    MARKERS.iter().filter(|m| tail.contains(*m)).count() >= 2
}

/// A token that does not read as a word: glued symbols, a case change inside letters,
/// backslashes, or punctuation that prose does not use alone.
fn is_odd_token(token: &str) -> bool {
    const ODD: &[char] = &[
        '\\', '{', '}', '[', ']', '(', ')', '<', '>', '|', '^', '~', '`', '$', '%', '*', '=', '_',
        '#', '@',
    ];
    if token.contains('\\') {
        return true;
    }
    if is_emoticon(token) {
        return false;
    }
    let symbols = token.chars().filter(|c| ODD.contains(c)).count();
    let letters = token
        .chars()
        .filter(|&c| crate::chars::is_alphabetic(c))
        .count();
    if letters == 0 {
        return symbols > 0 && !matches!(token, "(" | ")" | "\"" | "*" | "=" | "|" | "#" | "##");
    }
    if symbols >= 2 {
        return true;
    }
    // A lower-case letter followed by an upper-case one inside a long token (`similarlyNow`),
    // or capitals glued after lower case and before it (`SureBEtera`).
    let mut camel = false;
    let mut glued = false;
    let (mut a, mut b) = (' ', ' ');
    for (i, c) in token.chars().enumerate() {
        camel |= b.is_lowercase() && c.is_uppercase();
        glued |= i >= 2 && a.is_uppercase() && b.is_uppercase() && c.is_lowercase();
        (a, b) = (b, c);
    }
    glued &= token.chars().next().is_some_and(char::is_uppercase);
    (camel || glued) && letters >= 6 || (symbols == 1 && inner_symbol(token))
}

/// A sideways face (`:)`, `:-(`, `;]`), which prose uses and salad rarely does.
fn is_emoticon(token: &str) -> bool {
    let t = token.trim_end_matches(['.', ',', '!', '?']);
    let mut chars = t.chars();
    let eyes = matches!(chars.next(), Some(':' | ';' | '='));
    let rest: String = chars.collect();
    let face = rest.strip_prefix('-').unwrap_or(&rest);
    eyes && matches!(
        face,
        ")" | "(" | "]" | "[" | "/" | "D" | "P" | "p" | "))" | "(("
    )
}

/// A token of pure salad: letters glued to three or more brackets, backslashes and the like.
fn is_heavy_token(token: &str) -> bool {
    let symbols = token
        .chars()
        .filter(|c| {
            matches!(
                c,
                '\\' | '{' | '}' | '[' | ']' | '(' | ')' | '<' | '>' | '`' | '$' | '%' | '|' | '^'
            )
        })
        .count();
    symbols >= 3 && token.chars().any(crate::chars::is_alphabetic)
}

/// Whether a symbol sits between letters inside the token (`giving*ONE`, `well]done`).
fn inner_symbol(token: &str) -> bool {
    let trimmed = token.trim_matches(|c: char| !crate::chars::is_alphanumeric(c));
    trimmed.chars().any(|c| {
        matches!(
            c,
            '{' | '}'
                | '['
                | ']'
                | '('
                | ')'
                | '<'
                | '>'
                | '\\'
                | '|'
                | '^'
                | '`'
                | '*'
                | '='
                | '"'
        )
    })
}

/// For each token index `i`, how many brackets of the tokens `i..` have no partner among those
/// same tokens (emoticons aside). Computed right to left in one pass: closing brackets wait on
/// a stack for their opener.
fn unmatched_suffix_brackets(tokens: &[(usize, &str)]) -> Vec<usize> {
    let mut out = vec![0usize; tokens.len() + 1];
    let mut waiting: Vec<char> = Vec::new();
    let mut lonely_openers = 0usize;
    for i in (0..tokens.len()).rev() {
        let chars: Vec<char> = tokens[i].1.chars().collect();
        for k in (0..chars.len()).rev() {
            let c = chars[k];
            let emoticon = k > 0 && matches!(chars[k - 1], ':' | ';' | '=')
                || k > 1 && chars[k - 1] == '-' && matches!(chars[k - 2], ':' | ';');
            match c {
                ')' | ']' | '}' if !emoticon => waiting.push(c),
                '(' | '[' | '{' if !emoticon => {
                    let close = match c {
                        '(' => ')',
                        '[' => ']',
                        _ => '}',
                    };
                    if waiting.last() == Some(&close) {
                        waiting.pop();
                    } else {
                        lonely_openers += 1;
                    }
                }
                _ => {}
            }
        }
        out[i] = lonely_openers + waiting.len();
    }
    out
}

/// Whether the brackets of `s` nest properly (emoticons aside).
///
/// Brackets and emoticon eyes are ASCII, and no byte of a multi-byte character is ASCII, so
/// reading bytes gives the same answer as reading characters; text without brackets (most
/// prompts) is ruled in by one vectorizable look at its bytes.
fn brackets_nest(s: &str) -> bool {
    let bytes = s.as_bytes();
    if !any_byte(bytes, is_bracket) {
        return true;
    }
    let mut stack: Vec<u8> = Vec::new();
    let mut prev = b' ';
    for &c in bytes {
        let emoticon = matches!(prev, b':' | b';' | b'=');
        prev = c;
        if emoticon {
            continue;
        }
        match c {
            b'(' | b'[' | b'{' => stack.push(c),
            b')' | b']' | b'}' => {
                let open = match c {
                    b')' => b'(',
                    b']' => b'[',
                    _ => b'{',
                };
                if stack.pop() != Some(open) {
                    return false;
                }
            }
            _ => {}
        }
    }
    stack.is_empty()
}

/// `(`, `)`, `[`, `]`, `{` or `}`, by arithmetic rather than a table so that scans vectorize.
fn is_bracket(b: u8) -> bool {
    // `(` and `)` differ in bit 0; `[`/`{` and `]`/`}` in bit 5.
    ((b | 1) == b')') | ((b & !0x20) == b'[') | ((b & !0x20) == b']')
}

fn finding(rule_id: &str, score: u8, span: Span, message: String) -> Finding {
    Finding {
        rule_id: rule_id.to_owned(),
        category: Category::Obfuscation,
        severity: Severity::from_score(score),
        score,
        span,
        span_utf16: span,
        excerpt: String::new(),
        view: "original",
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn word_letter_shortcut_agrees_with_unicode() {
        let ranges = [
            0x2000..=0x206F,
            0xFE00..=0xFE0F,
            0xFEFF..=0xFEFF,
            0xE0000..=0xE01EF,
            0x0..=0x3FF,
        ];
        for c in ranges.into_iter().flatten().filter_map(char::from_u32) {
            assert_eq!(is_word_letter(c), c.is_alphanumeric(), "{c:?}");
        }
    }
}
