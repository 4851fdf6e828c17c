//! NFKC: the generated tables, and the engine's own normalization checked against the
//! `unicode-normalization` crate on every scalar value, on generated strings and on the corpus.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use promptfence::normalize::{combining_class, is_combining_mark, is_nfkc_stable, nfkc};
use proptest::prelude::*;
use std::collections::BTreeSet;
use std::fmt::Write as _;
use unicode_normalization::char as reference;
use unicode_normalization::UnicodeNormalization;

const TABLE_PATH: &str = "src/normalize/nfkc_table.rs";

fn scalar_values() -> impl Iterator<Item = char> {
    (0u32..=0x10FFFF).filter_map(char::from_u32)
}

/// Hangul syllables are decomposed and composed by arithmetic, not by table.
fn is_hangul_syllable(c: char) -> bool {
    ('\u{AC00}'..='\u{D7A3}').contains(&c)
}

/// Runs of consecutive code points sharing one value, as `(first, length, value)`, with lengths
/// at most `max_len`. Code points where `value` is `None` are left out.
fn runs<T: PartialEq + Copy>(
    value: impl Fn(char) -> Option<T>,
    max_len: u32,
) -> Vec<(u32, u32, T)> {
    let mut runs: Vec<(u32, u32, T)> = Vec::new();
    for c in scalar_values() {
        let Some(v) = value(c) else {
            continue;
        };
        let cp = c as u32;
        match runs.last_mut() {
            Some((first, len, w)) if *first + *len == cp && *w == v && *len < max_len => *len += 1,
            _ => runs.push((cp, 1, v)),
        }
    }
    runs
}

/// One row of the decomposition table: `len` code points from `first`, the first decomposing
/// to `text`; in a run of several, each decomposes to one character, counting up from the
/// first one's.
struct Decomposition {
    first: u32,
    len: u32,
    text: String,
    single: Option<char>,
}

/// Rows per block of the decomposition table at most: a lookup reads one block row by row.
const BLOCK_ROWS: usize = 32;

fn canonical_decomposition(c: char) -> Vec<char> {
    let mut d = Vec::new();
    reference::decompose_canonical(c, |x| d.push(x));
    d
}

/// The primary composites: every `(first, second, composite)` that canonical composition
/// produces, Hangul left out. A pair that composes is the one-step canonical decomposition of
/// its composite, so `first` is either the start of some full canonical decomposition or a
/// composite itself, and `second` is either a later character of one or a composite itself;
/// trying all such pairs finds them all.
fn composition_pairs() -> Vec<(char, char, char)> {
    let mut firsts = BTreeSet::new();
    let mut seconds = BTreeSet::new();
    for c in scalar_values().filter(|&c| !is_hangul_syllable(c)) {
        let d = canonical_decomposition(c);
        if d == [c] {
            continue;
        }
        firsts.insert(c);
        seconds.insert(c);
        firsts.insert(d[0]);
        seconds.extend(d[1..].iter().copied());
    }
    let mut pairs = Vec::new();
    for &a in &firsts {
        for &b in &seconds {
            if let Some(x) = reference::compose(a, b).filter(|&x| !is_hangul_syllable(x)) {
                pairs.push((a, b, x));
            }
        }
    }
    pairs
}

/// Sets the bit of the 32-code-point chunk holding `cp` in a bitmap of bytes (kept as `u32`s
/// for `write_array`), growing it as needed.
fn set_chunk_bit(bits: &mut Vec<u32>, cp: u32) {
    let chunk = (cp >> 5) as usize;
    if bits.len() <= chunk / 8 {
        bits.resize(chunk / 8 + 1, 0);
    }
    bits[chunk / 8] |= 1 << (chunk % 8);
}

/// Writes `static NAME: [TYPE; N]`, hexadecimal for code points, decimal for small numbers.
fn write_array(out: &mut String, name: &str, doc: &str, ty: &str, values: &[u32]) {
    let _ = writeln!(
        out,
        "{doc}\n#[rustfmt::skip]\npub(super) static {name}: [{ty}; {}] = [",
        values.len()
    );
    let hex = ty == "u32";
    for chunk in values.chunks(if hex { 8 } else { 16 }) {
        out.push_str("   ");
        for v in chunk {
            let _ = if hex {
                write!(out, " 0x{v:X},")
            } else {
                write!(out, " {v},")
            };
        }
        out.push('\n');
    }
    out.push_str("];\n\n");
}

/// The rows of the decomposition table: every code point whose full compatibility
/// decomposition is not itself, with runs merged. Hangul syllables are left out, and so are the
/// composites that NFKC composes back (`composed_back`): they decompose through their pair.
fn decompositions(composed_back: &BTreeSet<char>) -> Vec<Decomposition> {
    let mut rows: Vec<Decomposition> = Vec::new();
    for c in scalar_values().filter(|&c| !is_hangul_syllable(c) && !composed_back.contains(&c)) {
        let mut d = Vec::new();
        reference::decompose_compatible(c, |x| d.push(x));
        if d == [c] {
            continue;
        }
        let cp = c as u32;
        if let (Some(last), [one]) = (rows.last_mut(), &d[..]) {
            let follows = last.single.map(|s| s as u32 + last.len) == Some(*one as u32);
            if last.first + last.len == cp && follows && last.len < 256 {
                last.len += 1;
                continue;
            }
        }
        rows.push(Decomposition {
            first: cp,
            len: 1,
            text: d.iter().collect(),
            single: (d.len() == 1).then_some(d[0]),
        });
    }
    rows
}

/// Builds the text of `src/normalize/nfkc_table.rs` from the data in the `unicode-normalization`
/// crate. The layout is chosen to compress: small numbers in byte arrays (gaps between code
/// points, run lengths, decomposition lengths) rather than sorted 32-bit code points, with a
/// short index of blocks to find a row in, and the decompositions in one string.
fn generate_nfkc_table() -> String {
    let classes = runs(
        |c| Some(reference::canonical_combining_class(c)).filter(|&k| k != 0),
        256,
    );
    let marks = runs(|c| reference::is_combining_mark(c).then_some(()), 2048);
    let mut mark_chunks: Vec<u32> = Vec::new();
    let mut all_mark_chunks: Vec<u32> = Vec::new();
    for chunk in 0..=0x10FFFFu32 >> 5 {
        let all = (chunk << 5..(chunk + 1) << 5)
            .all(|cp| char::from_u32(cp).is_some_and(reference::is_combining_mark));
        if all {
            set_chunk_bit(&mut all_mark_chunks, chunk << 5);
        }
    }
    let mark_runs = marks.iter().map(|&(first, len, _)| (first, len));
    for (first, len) in mark_runs.chain(classes.iter().map(|&(first, len, _)| (first, len))) {
        (first..first + len).for_each(|cp| set_chunk_bit(&mut mark_chunks, cp));
    }

    // Decompositions: a new block where the last is full, a page starts, or the gap is too wide
    // for a byte.
    let pairs = composition_pairs();
    let composed_back: BTreeSet<char> = pairs
        .iter()
        .map(|p| p.2)
        .filter(|&x| reference_nfkc(&x.to_string()) == x.to_string())
        .collect();
    let rows = decompositions(&composed_back);
    let mut text = String::new();
    let (mut gaps, mut lens, mut bytes) = (Vec::new(), Vec::new(), Vec::new());
    let mut blocks: Vec<(u32, u32, u32)> = Vec::new();
    let mut decomposing: Vec<u32> = Vec::new();
    let mut unstable: Vec<u32> = Vec::new();
    let mut end = 0;
    for (i, row) in rows.iter().enumerate() {
        let gap = row.first - end;
        let full = blocks
            .last()
            .is_some_and(|&(_, at, _)| i - at as usize == BLOCK_ROWS);
        // A block also starts with each page of 256 code points, so that the rows of the
        // common compatibility characters (fullwidth forms at U+FF01) are read first.
        let page = blocks
            .last()
            .is_some_and(|&(first, _, _)| first >> 8 != row.first >> 8);
        if blocks.is_empty() || full || page || gap > 255 {
            blocks.push((row.first, i as u32, text.len() as u32));
            gaps.push(0);
        } else {
            gaps.push(gap);
        }
        assert!(
            row.text.len() < 256,
            "decomposition of U+{:X} is too long",
            row.first
        );
        lens.push(row.len - 1);
        bytes.push(row.text.len() as u32);
        text.push_str(&row.text);
        end = row.first + row.len;
        for cp in row.first..end {
            set_chunk_bit(&mut decomposing, cp);
            set_chunk_bit(&mut unstable, cp);
        }
    }
    assert!(
        rows.len() < 1 << 16 && text.len() < 1 << 16,
        "the table outgrew u16 indexes"
    );

    composed_back
        .iter()
        .for_each(|&x| set_chunk_bit(&mut decomposing, x as u32));
    let seconds: Vec<char> = pairs
        .iter()
        .map(|p| p.1)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    assert!(
        seconds.len() <= 256,
        "too many second characters to index in a byte"
    );
    let mut by_composite: Vec<(char, u32)> = pairs
        .iter()
        .map(|&(a, b, x)| {
            let j = seconds.binary_search(&b).unwrap_or(0) as u32;
            (x, (a as u32) << 8 | j)
        })
        .collect();
    by_composite.sort();
    let mut by_pair: Vec<u32> = (0..by_composite.len() as u32).collect();
    by_pair.sort_by_key(|&i| by_composite[i as usize].1);
    assert!(
        by_pair.len() < 1 << 16,
        "too many compositions for u16 indexes"
    );

    let mut out = String::new();
    let (major, minor, update) = unicode_normalization::UNICODE_VERSION;
    let _ = write!(
        out,
        "//! Generated from the Unicode {major}.{minor}.{update} normalization data (via the \
         `unicode-normalization` crate)\n\
         //! by `PROMPTFENCE_REGEN=1 cargo test --test nfkc nfkc_table_is_up_to_date`. Do not edit by\n\
         //! hand. Layout and lookups: src/normalize/nfkc.rs.\n\n"
    );
    write_array(
        &mut out,
        "COMBINING_CLASS",
        "/// Runs of non-zero canonical combining class, sorted: `first << 8 | class`.",
        "u32",
        &classes
            .iter()
            .map(|&(first, _, k)| first << 8 | u32::from(k))
            .collect::<Vec<_>>(),
    );
    write_array(
        &mut out,
        "COMBINING_CLASS_LEN",
        "/// Length minus one of each `COMBINING_CLASS` run.",
        "u8",
        &classes
            .iter()
            .map(|&(_, len, _)| len - 1)
            .collect::<Vec<_>>(),
    );
    write_array(
        &mut out,
        "MARKS",
        "/// Runs of combining marks (general category M), sorted: `first << 11 | (length - 1)`.",
        "u32",
        &marks
            .iter()
            .map(|&(first, len, ())| first << 11 | (len - 1))
            .collect::<Vec<_>>(),
    );
    write_array(
        &mut out,
        "DECOMPOSING_CHUNKS",
        "/// One bit per 32 code points: whether any of them has a row in the decomposition table\n\
         /// or is a `COMPOSITE`.",
        "u8",
        &decomposing,
    );
    write_array(
        &mut out,
        "MARK_CHUNKS",
        "/// One bit per 32 code points: whether any of them is a combining mark or has a non-zero\n\
         /// combining class.",
        "u8",
        &mark_chunks,
    );
    write_array(
        &mut out,
        "ALL_MARK_CHUNKS",
        "/// One bit per 32 code points: whether all of them are combining marks.",
        "u8",
        &all_mark_chunks,
    );
    write_array(
        &mut out,
        "UNSTABLE_CHUNKS",
        "/// One bit per 32 code points: whether NFKC changes any of them standing alone.",
        "u8",
        &unstable,
    );
    write_array(
        &mut out,
        "DECOMPOSED_BLOCK",
        "/// The first code point of each block of decomposition rows.",
        "u32",
        &blocks.iter().map(|b| b.0).collect::<Vec<_>>(),
    );
    write_array(
        &mut out,
        "DECOMPOSED_BLOCK_ROW",
        "/// The first row of each block.",
        "u16",
        &blocks.iter().map(|b| b.1).collect::<Vec<_>>(),
    );
    write_array(
        &mut out,
        "DECOMPOSED_BLOCK_TEXT",
        "/// Where the first row's decomposition starts in `DECOMPOSITION_TEXT`, for each block.",
        "u16",
        &blocks.iter().map(|b| b.2).collect::<Vec<_>>(),
    );
    write_array(
        &mut out,
        "DECOMPOSED_GAP",
        "/// Per row: code points between the end of the row before and this row's first (0 for\n\
         /// the first row of a block).",
        "u8",
        &gaps,
    );
    write_array(
        &mut out,
        "DECOMPOSED_LEN",
        "/// Per row: code points in the row minus one. A row of several decomposes each to one\n\
         /// character, counting up from the first one's.",
        "u8",
        &lens,
    );
    write_array(
        &mut out,
        "DECOMPOSITION_LEN",
        "/// Per row: bytes of the first code point's decomposition in `DECOMPOSITION_TEXT`.",
        "u8",
        &bytes,
    );
    let _ = writeln!(
        out,
        "/// The full decomposition of each row's first code point, one after another.\n\
         #[rustfmt::skip]\npub(super) static DECOMPOSITION_TEXT: &str = \"\\"
    );
    let escaped: Vec<String> = text
        .chars()
        .map(|c| format!("\\u{{{:X}}}", c as u32))
        .collect();
    for chunk in escaped.chunks(12) {
        let _ = writeln!(out, "    {}\\", chunk.concat());
    }
    out.push_str("\";\n\n");
    write_array(
        &mut out,
        "COMPOSITION_SECOND",
        "/// The characters that can come second in a canonical composition, sorted.",
        "u32",
        &seconds.iter().map(|&c| c as u32).collect::<Vec<_>>(),
    );
    write_array(
        &mut out,
        "COMPOSITE",
        "/// The primary composites (Hangul aside), sorted.",
        "u32",
        &by_composite
            .iter()
            .map(|&(x, _)| x as u32)
            .collect::<Vec<_>>(),
    );
    write_array(
        &mut out,
        "COMPOSITE_PAIR",
        "/// The pair each `COMPOSITE` is composed from: `first << 8 | index in COMPOSITION_SECOND`.",
        "u32",
        &by_composite.iter().map(|&(_, k)| k).collect::<Vec<_>>(),
    );
    write_array(
        &mut out,
        "COMPOSITION",
        "/// Indexes into `COMPOSITE_PAIR`, in the order of the pairs, to find a pair's composite.",
        "u16",
        &by_pair,
    );
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}

#[test]
fn nfkc_table_is_up_to_date() {
    common::check_generated(
        TABLE_PATH,
        &generate_nfkc_table(),
        "nfkc nfkc_table_is_up_to_date",
    );
}

/// The crate's NFKC, the reference.
fn reference_nfkc(text: &str) -> String {
    text.nfkc().collect()
}

fn assert_same_as_reference(text: &str) {
    let ours = nfkc(text);
    let theirs = reference_nfkc(text);
    assert!(
        ours == theirs,
        "nfkc({:?}) = {:?}, the reference gives {:?}",
        text.escape_unicode().to_string(),
        ours.escape_unicode().to_string(),
        theirs.escape_unicode().to_string()
    );
}

#[test]
fn every_scalar_value_normalizes_as_the_reference_does() {
    let mut buf = [0u8; 4];
    for c in scalar_values() {
        assert_same_as_reference(c.encode_utf8(&mut buf));
    }
}

#[test]
fn stable_characters_are_exactly_those_nfkc_leaves_alone() {
    let mut buf = [0u8; 4];
    for c in scalar_values() {
        let alone = reference_nfkc(c.encode_utf8(&mut buf));
        assert_eq!(
            is_nfkc_stable(c),
            alone == c.to_string(),
            "{c:?} normalizes to {alone:?}"
        );
    }
    assert!(is_nfkc_stable('\u{E9}') && is_nfkc_stable('\u{AC00}'));
    assert!(!is_nfkc_stable('\u{FB01}') && !is_nfkc_stable('\u{1E9B}'));
}

#[test]
fn every_scalar_value_has_the_reference_class_and_mark_flag() {
    for c in scalar_values() {
        assert_eq!(
            combining_class(c),
            reference::canonical_combining_class(c),
            "combining class of {c:?}"
        );
        assert_eq!(
            is_combining_mark(c),
            reference::is_combining_mark(c),
            "whether {c:?} is a combining mark"
        );
    }
}

#[test]
fn every_composing_pair_composes_as_the_reference_does() {
    for (a, b, composite) in composition_pairs() {
        let pair: String = [a, b].iter().collect();
        assert_eq!(nfkc(&pair), reference_nfkc(&pair), "{a:?} + {b:?}");
        // The composite itself decomposes and composes back.
        assert_same_as_reference(&composite.to_string());
    }
}

#[test]
fn marks_out_of_canonical_order_are_ordered_then_composed() {
    // U+0323 (class 220, below) and U+0302/U+0301/U+0308 (230, above), in every order.
    for text in [
        "a\u{301}\u{323}",
        "a\u{323}\u{301}",
        "e\u{302}\u{323}\u{301}",
        "o\u{308}\u{331}\u{304}\u{323}",
        "A\u{30A}\u{327}\u{301}",
        "u\u{31B}\u{323}\u{301}",
        "\u{3C9}\u{345}\u{313}\u{301}",
        "\u{1FF3}\u{301}",
        "s\u{307}\u{323}",
        "q\u{307}\u{323}",
        // Two marks of class 230, the second a singleton decomposition (U+0340 to U+0300).
        "\u{FF49}\u{11100}\u{340}",
    ] {
        assert_same_as_reference(text);
    }
    assert_eq!(nfkc("a\u{301}\u{323}"), "\u{1EA1}\u{301}");
    assert_eq!(nfkc("e\u{302}\u{323}\u{301}"), "\u{1EC7}\u{301}");
    assert_eq!(nfkc("s\u{307}\u{323}"), "\u{1E69}");
}

#[test]
fn blocked_marks_do_not_compose() {
    // The second U+0301 is blocked by the first (same class, left in place). A mark that
    // composed is gone, so it blocks nothing: u + U+0308 + U+0301 is one letter.
    assert_eq!(nfkc("e\u{301}\u{301}"), "\u{E9}\u{301}");
    assert_eq!(nfkc("u\u{308}\u{301}"), "\u{1D8}");
    assert_eq!(nfkc("a\u{308}\u{301}"), "\u{E4}\u{301}");
    for text in [
        "e\u{301}\u{301}",
        "u\u{308}\u{301}",
        "\u{301}e",
        "\u{301}\u{301}",
    ] {
        assert_same_as_reference(text);
    }
}

#[test]
fn hangul_is_composed_from_jamo_and_kept_whole() {
    assert_eq!(nfkc("\u{1100}\u{1161}"), "\u{AC00}");
    assert_eq!(nfkc("\u{1100}\u{1161}\u{11A8}"), "\u{AC01}");
    assert_eq!(nfkc("\u{AC00}\u{11A8}"), "\u{AC01}");
    assert_eq!(nfkc("\u{AC01}\u{11A8}"), "\u{AC01}\u{11A8}");
    assert_eq!(nfkc("\u{3131}\u{314F}"), "\u{AC00}");
    for text in [
        "\u{1100}\u{1161}\u{11A7}",
        "\u{1100}\u{301}\u{1161}",
        "\u{D7A3}\u{11A8}",
    ] {
        assert_same_as_reference(text);
    }
}

#[test]
fn compatibility_forms_fold_to_plain_text() {
    assert_eq!(
        nfkc("\u{FF29}\u{FF47}\u{FF4E}\u{FF4F}\u{FF52}\u{FF45}"),
        "Ignore"
    );
    assert_eq!(nfkc("\u{1D422}\u{1D420}\u{1D427}"), "ign");
    assert_eq!(nfkc("\u{FB01}le \u{2460} \u{33A1}"), "file 1 m2");
    assert_eq!(nfkc("\u{212B}"), "\u{C5}");
    assert_eq!(nfkc("plain ascii"), "plain ascii");
}

/// Characters that exercise each part of normalization: ASCII, marks of several classes,
/// conjoining jamo and syllables, compatibility forms, precomposed letters, two-part vowels.
fn interesting_char() -> impl Strategy<Value = char> {
    prop_oneof![
        proptest::char::range('a', 'z'),
        proptest::char::range(' ', '~'),
        proptest::char::range('\u{300}', '\u{36F}'),
        proptest::char::range('\u{591}', '\u{5C7}'),
        proptest::char::range('\u{1DC0}', '\u{1DFF}'),
        proptest::char::range('\u{20D0}', '\u{20F0}'),
        proptest::char::range('\u{1100}', '\u{1112}'),
        proptest::char::range('\u{1161}', '\u{1175}'),
        proptest::char::range('\u{11A7}', '\u{11C3}'),
        proptest::char::range('\u{AC00}', '\u{D7A3}'),
        proptest::char::range('\u{3131}', '\u{318E}'),
        proptest::char::range('\u{A0}', '\u{24F}'),
        proptest::char::range('\u{1E00}', '\u{1FFF}'),
        proptest::char::range('\u{370}', '\u{3FF}'),
        proptest::char::range('\u{FB00}', '\u{FDFF}'),
        proptest::char::range('\u{FF00}', '\u{FFEF}'),
        proptest::char::range('\u{2460}', '\u{24FF}'),
        proptest::char::range('\u{3300}', '\u{33FF}'),
        proptest::char::range('\u{1D400}', '\u{1D7FF}'),
        proptest::char::range('\u{B00}', '\u{DFF}'),
        proptest::char::range('\u{1000}', '\u{109F}'),
        proptest::char::range('\u{F900}', '\u{FAFF}'),
        proptest::char::range('\u{11100}', '\u{1114F}'),
        proptest::char::any(),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn mixed_strings_normalize_as_the_reference_does(
        chars in proptest::collection::vec(interesting_char(), 0..24)
    ) {
        let text: String = chars.into_iter().collect();
        prop_assert_eq!(nfkc(&text), reference_nfkc(&text));
    }
}

#[test]
fn corpus_texts_normalize_as_the_reference_does() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/corpus/dev.jsonl");
    let Ok(raw) = std::fs::read_to_string(path) else {
        eprintln!("corpus_texts_normalize_as_the_reference_does: {path} not present, skipped");
        return;
    };
    let mut checked = 0;
    for line in raw.lines().filter(|l| !l.trim().is_empty()) {
        let record: serde_json::Value = serde_json::from_str(line).expect("a JSON line");
        let Some(text) = record.get("text").and_then(|t| t.as_str()) else {
            continue;
        };
        assert_same_as_reference(text);
        checked += 1;
    }
    assert!(checked > 0, "no texts in {path}");
}
