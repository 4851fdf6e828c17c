//! The skeleton view: look-alike letters mapped to the Latin letters they pass for, and
//! leetspeak folded back to letters, but only in words that are disguised.
//!
//! Look-alikes come from a table generated from Unicode's confusables data (UTS #39); NFKC has
//! already turned fullwidth and mathematical letters into ASCII by the time this runs. The
//! policy keeps real prose out of it: a word that mixes Latin letters with look-alikes is mapped
//! (`pаssword` with a Cyrillic `а`), a word made only of look-alikes is mapped only inside
//! predominantly Latin text, and a word holding any other non-Latin letter (`привет`, `λόγος`)
//! is left alone. Leetspeak is folded in words that mix letters with digits or `@ $ !` where a
//! digit sits between letters (`1gn0r3`, `pr0mpt`, `$y$tem`); words that only end or start with
//! a number (`mp3`, `covid19`, `4k`) are folded only when the text also has such a word, and
//! words holding a digit no one writes for a letter (`h264`, `x86`, `b2b`) never are.

use super::bytes::any_byte;
use super::confusables_table::CONFUSABLES;
use super::script::Script;
use super::{is_combining_mark, NormalizeStats, View, ViewBuilder, ViewKind};

/// The ASCII letter or digit (lower case) that `c` passes for, if the confusables data says it
/// passes for one. Only letters that survive normalization are listed.
pub fn confusable(c: char) -> Option<char> {
    if c.is_ascii() {
        return look_alike_in_table(c);
    }
    crate::chars::look_alike(c)
}

/// [`confusable`] read from the table (a binary search), without the cache in front of it.
pub(crate) fn look_alike_in_table(c: char) -> Option<char> {
    CONFUSABLES
        .binary_search_by_key(&c, |&(k, _)| k)
        .ok()
        .map(|i| char::from(CONFUSABLES[i].1))
}

/// How a word's look-alike letters are treated.
#[derive(Clone, Copy, PartialEq, Eq)]
enum LookAlikes {
    None,
    /// Latin letters and look-alikes in one word: always mapped.
    Mixed,
    /// Only look-alikes: mapped if the text is predominantly Latin.
    Whole,
}

/// How a word's leetspeak is treated.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Leet {
    None,
    /// Digits or symbols only at the edges (`a11`, `@ll`): folded if the text has strong ones.
    Weak,
    /// A digit or symbol between letters (`pr0mpt`).
    Strong,
}

struct Word {
    start: usize,
    end: usize,
    look: LookAlikes,
    leet: Leet,
}

fn is_word_char(c: char) -> bool {
    crate::chars::is_alphanumeric(c)
        || matches!(c, '@' | '$' | '!')
        || !c.is_ascii() && is_combining_mark(c)
}

/// The letter a leet character stands for; `1` is decided by its neighbours.
fn leet_letter(c: char) -> Option<char> {
    Some(match c {
        '0' => 'o',
        '1' => '1',
        '3' => 'e',
        '4' | '@' => 'a',
        '5' | '$' => 's',
        '7' => 't',
        '8' => 'b',
        '9' => 'g',
        '!' => 'i',
        _ => return None,
    })
}

/// Builds the skeleton of `source` as a view of kind `kind`, or `None` when no word in it is
/// disguised.
pub(super) fn skeleton(source: &View, kind: ViewKind, stats: &mut NormalizeStats) -> Option<View> {
    let text = source.text.as_str();
    // Non-ASCII, or a digit or symbol that stands for a letter (not `2` or `6`); written as
    // compares so that the look at the bytes vectorizes.
    let suspicious = |b: u8| {
        (b >= 0x80)
            | ((b.wrapping_sub(b'0') < 10) & (b != b'2') & (b != b'6'))
            | (b == b'@')
            | (b == b'$')
            | (b == b'!')
    };
    if !any_byte(text.as_bytes(), suspicious) || text.is_ascii() && !has_leet_next_to_letter(text) {
        return None;
    }
    let ascii = text.is_ascii();
    let mut words: Vec<Word> = Vec::new();
    let (mut latin_total, mut foreign_total) = (0usize, 0usize);
    let mut strong = false;
    let mut at = 0;
    while at < text.len() {
        let Some(rest) = text.get(at..) else { break };
        let Some(offset) = rest.find(is_word_char) else {
            break;
        };
        let start = at + offset;
        // In ASCII text only leetspeak can be folded (look-alikes are not ASCII, and the
        // letter counts serve only them), never in a blob, and every word of a
        // whitespace-free stretch longer than a blob is in one (see `in_blob`): skip it.
        if ascii {
            let b = text.as_bytes();
            let left = b[..start]
                .iter()
                .rev()
                .take_while(|c| !c.is_ascii_whitespace())
                .count();
            let right = b[start..]
                .iter()
                .take_while(|c| !c.is_ascii_whitespace())
                .count();
            if left + right > MAX_WORDS_RUN {
                at = start + right;
                continue;
            }
        }
        let len = text[start..]
            .find(|c| !is_word_char(c))
            .unwrap_or(text.len() - start);
        let end = start + len;
        at = end;
        let word = &text[start..end];
        if word.bytes().all(|b| b.is_ascii_alphabetic()) {
            latin_total += word.len();
            continue;
        }
        let (latin, look, other) = count_letters(word);
        latin_total += latin;
        foreign_total += look + other;
        let look = match (look, other, latin) {
            (0, _, _) | (_, 1.., _) => LookAlikes::None,
            (_, 0, 1..) => LookAlikes::Mixed,
            (2.., 0, 0) => LookAlikes::Whole,
            _ => LookAlikes::None,
        };
        let leet = if in_blob(text, start, end) {
            Leet::None
        } else {
            leet_kind(word)
        };
        strong |= leet == Leet::Strong;
        if look != LookAlikes::None || leet != Leet::None {
            words.push(Word {
                start,
                end,
                look,
                leet,
            });
        }
    }
    let latin_text = latin_total > 0 && latin_total >= 2 * foreign_total;
    let mut out: Option<ViewBuilder> = None;
    let mut copied = 0;
    let mut folded: Vec<(char, usize, usize)> = Vec::new();
    for w in &words {
        let look = w.look == LookAlikes::Mixed || (w.look == LookAlikes::Whole && latin_text);
        let leet = w.leet == Leet::Strong || (w.leet == Leet::Weak && strong);
        if !look && !leet {
            continue;
        }
        let word = &text[w.start..w.end];
        folded.clear();
        let mut mapped = 0;
        for (i, c) in word.char_indices() {
            let at = w.start + i;
            let mut out_c = c;
            if look {
                if let Some(t) = confusable(c).filter(|_| !c.is_ascii()) {
                    out_c = t;
                    mapped += 1;
                }
            }
            folded.push((out_c, at, at + c.len_utf8()));
        }
        let mut leet_done = false;
        if leet {
            leet_done = fold_leet(&mut folded);
        }
        if mapped == 0 && !leet_done {
            continue;
        }
        stats.confusables += mapped;
        stats.leet_words += usize::from(leet_done);
        let b = out.get_or_insert_with(|| ViewBuilder::with_capacity(text.len()));
        b.push_from(source, copied..w.start);
        for &(c, s, e) in &folded {
            b.push(c, source.original_span(s, e));
        }
        copied = w.end;
    }
    let mut b = out?;
    b.push_from(source, copied..text.len());
    Some(b.finish(kind, source.depth))
}

/// Longest whitespace-free stretch, in bytes, still read as words rather than as a blob.
const MAX_WORDS_RUN: usize = 64;

/// Whether the word at `start..end` lies inside a long whitespace-free blob (base64, a URL, a
/// hash), where digits between letters are data, not leetspeak. Looks at most
/// [`MAX_WORDS_RUN`] bytes to each side.
fn in_blob(text: &str, start: usize, end: usize) -> bool {
    let b = text.as_bytes();
    let left = b[..start]
        .iter()
        .rev()
        .take(MAX_WORDS_RUN + 1)
        .take_while(|c| !c.is_ascii_whitespace())
        .count();
    let right = b[end..]
        .iter()
        .take(MAX_WORDS_RUN + 1)
        .take_while(|c| !c.is_ascii_whitespace())
        .count();
    left + (end - start) + right > MAX_WORDS_RUN
}

/// Whether an ASCII text has a leet character beside a letter (`!` between two letters).
fn has_leet_next_to_letter(text: &str) -> bool {
    let b = text.as_bytes();
    (0..b.len()).any(|i| {
        let before = i > 0 && b[i - 1].is_ascii_alphabetic();
        let after = b.get(i + 1).is_some_and(u8::is_ascii_alphabetic);
        match b[i] {
            b'!' => before && after,
            b'0' | b'1' | b'3'..=b'5' | b'7'..=b'9' | b'@' | b'$' => before || after,
            _ => false,
        }
    })
}

/// Latin letters, look-alike letters and other letters in a word.
fn count_letters(word: &str) -> (usize, usize, usize) {
    let (mut latin, mut look, mut other) = (0, 0, 0);
    for c in word.chars() {
        if c.is_ascii_alphabetic() {
            latin += 1;
        } else if c.is_ascii() || !crate::chars::is_alphabetic(c) {
            continue;
        } else if confusable(c).is_some() {
            look += 1;
        } else if Script::of(c) == Script::Latin {
            latin += 1;
        } else {
            other += 1;
        }
    }
    (latin, look, other)
}

/// Whether a word is written in leetspeak, and how surely.
fn leet_kind(word: &str) -> Leet {
    // `!` at the edges is punctuation ("stop!"), and `@` between letters is an address.
    let core = word.trim_matches('!');
    let letter =
        |c: char| c.is_ascii_alphabetic() || confusable(c).is_some_and(|t| t.is_ascii_alphabetic());
    let mut letters = 0;
    let mut leet = 0;
    let mut strong = false;
    let mut seen_letter = false;
    let mut pending = false;
    for c in core.chars() {
        if letter(c) {
            letters += 1;
            strong |= pending;
            pending = false;
            seen_letter = true;
        } else if leet_letter(c).is_some() {
            if c == '@' && seen_letter {
                return Leet::None;
            }
            leet += 1;
            pending = seen_letter;
        } else if !is_combining_mark(c) {
            return Leet::None;
        }
    }
    if leet == 0 || letters < 2 {
        Leet::None
    } else if strong {
        Leet::Strong
    } else {
        Leet::Weak
    }
}

/// Folds the leet characters of a word in place; `1` becomes `l` or `i` by its neighbours
/// (`a11`, `ru1es`, `p1ease` → l; `1gn0r3`, `f1lter` → i). Returns whether anything changed.
fn fold_leet(word: &mut [(char, usize, usize)]) -> bool {
    let edge = word
        .iter()
        .position(|&(c, _, _)| c != '!')
        .unwrap_or(word.len());
    let tail = word
        .iter()
        .rposition(|&(c, _, _)| c != '!')
        .map_or(edge, |p| p + 1);
    let core = &mut word[edge..tail];
    let mut changed = false;
    for item in core.iter_mut() {
        if let Some(l) = leet_letter(item.0).filter(|&l| l != '1') {
            item.0 = l;
            changed = true;
        }
    }
    const VOWELS: &[char] = &['a', 'e', 'o', 'u', 'y'];
    const CLUSTER: &[char] = &['b', 'c', 'f', 'g', 'k', 'p', 's'];
    // Decide every `1` from the unfolded neighbours first, so that `a11` reads as `all`.
    let ones: Vec<(usize, char)> = (0..core.len())
        .filter(|&i| core[i].0 == '1')
        .map(|i| {
            let prev = i.checked_sub(1).map(|j| core[j].0);
            let next = core.get(i + 1).map(|x| x.0);
            let vowel = |c: Option<char>| c.is_some_and(|c| VOWELS.contains(&c) && c != 'y');
            let l = prev == Some('1')
                || next == Some('1')
                || (vowel(prev) && next.is_none_or(|n| VOWELS.contains(&n)))
                || (prev.is_some_and(|p| CLUSTER.contains(&p))
                    && next.is_some_and(|n| VOWELS.contains(&n)));
            (i, if l { 'l' } else { 'i' })
        })
        .collect();
    for (i, l) in ones {
        core[i].0 = l;
        changed = true;
    }
    changed
}
