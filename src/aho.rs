//! A small Aho–Corasick automaton over bytes: it finds every occurrence of a set of keywords in
//! one pass, overlapping ones included. The rule matcher uses it as its keyword prefilter and
//! the secret detector to tell whether any token format can occur in a text.
//!
//! It is a DFA over byte classes: the bytes that occur in no keyword share one class, every
//! other byte has its own, and each state has one row of `classes` transitions, so reading a
//! byte is one table lookup. Building it is one pass to lay out the trie and one breadth-first
//! pass that fills each row from its failure state's row, O(states × classes), with no separate
//! NFA. This replaces the `aho-corasick` crate, whose DFA, contiguous NFA and prefilters the
//! engine only ever used a fraction of. There is no case folding: views and keywords are both
//! lower-cased before they get here.

use std::fmt;
use std::ops::ControlFlow;

/// Set on a transition whose target state ends at least one keyword, so the search loop tests
/// one bit a byte; the rest of the word is the target's row offset in the table.
const MATCH: u32 = 1 << 31;

/// The end of a list of keywords while the automaton is built.
const NONE: u32 = u32::MAX;

/// An automaton over a list of keywords; keyword `k` is the `k`th of that list.
#[derive(Clone, Debug)]
pub(crate) struct Automaton {
    /// The class of each byte.
    classes: [u8; 256],
    /// Whether each byte leaves the root: whether it starts a keyword.
    starts: [bool; 256],
    /// Row length: the number of classes.
    stride: usize,
    /// The transitions: row offset of the next state, with [`MATCH`] when it ends a keyword.
    table: Vec<u32>,
    /// The start state's offset (and [`MATCH`] if there is an empty keyword).
    start: u32,
    /// For each state, the range of `keywords` that end there: its own, then its failure
    /// state's.
    ends: Vec<(u32, u32)>,
    keywords: Vec<u32>,
}

/// The automaton would have more states than a transition word can address (2^31 table
/// entries, far beyond what keywords that fit in memory with the rules need).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct TooLarge;

impl fmt::Display for TooLarge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the keyword automaton would exceed 2^31 transitions")
    }
}

/// The keywords' trie while the automaton is built: each state with its first child and next
/// sibling (0, the root, is no state's child or sibling, so it means "none") and the class of
/// the byte into it; the keywords that end at each state, as lists linked through `own_next`
/// (first and last keyword of each state's list), so that states need no vector of their own.
///
/// Built a keyword and a state at a time by methods of their own, not in loops inlined into
/// [`Automaton::new`], which runs once (see `rules::embedded_spec` for why that matters to V8).
struct Trie {
    nodes: Vec<(u32, u32, u8)>,
    own: Vec<(u32, u32)>,
    own_next: Vec<u32>,
}

impl Trie {
    /// Adds keyword `k`.
    #[inline(never)]
    fn insert(
        &mut self,
        k: u32,
        keyword: &[u8],
        classes: &[u8; 256],
        stride: usize,
    ) -> Result<(), TooLarge> {
        let mut state = 0;
        for &b in keyword {
            let class = classes[usize::from(b)];
            let mut child = self.nodes[state].0;
            while child != 0 && self.nodes[child as usize].2 != class {
                child = self.nodes[child as usize].1;
            }
            if child == 0 {
                child = self.nodes.len() as u32;
                if (self.nodes.len() + 1) * stride > MATCH as usize {
                    return Err(TooLarge);
                }
                self.nodes.push((0, self.nodes[state].0, class));
                self.nodes[state].0 = child;
                self.own.push((NONE, NONE));
            }
            state = child as usize;
        }
        match self.own[state] {
            (NONE, _) => self.own[state] = (k, k),
            (first, last) => {
                self.own_next[last as usize] = k;
                self.own[state] = (first, k);
            }
        }
        Ok(())
    }

    /// The keywords that end at `state` itself.
    fn own_keywords(&self, state: usize) -> impl Iterator<Item = u32> + '_ {
        std::iter::successors(Some(self.own[state].0).filter(|&k| k != NONE), |&k| {
            Some(self.own_next[k as usize]).filter(|&k| k != NONE)
        })
    }
}

/// The automaton's rows while they are filled, breadth first (see [`Automaton::new`]).
struct Rows {
    stride: usize,
    start: u32,
    table: Vec<u32>,
    fail: Vec<u32>,
    ends: Vec<(u32, u32)>,
    ends_at: Vec<u32>,
    queue: Vec<u32>,
}

impl Rows {
    /// Completes `state`'s row and keyword list, and queues its children.
    #[inline(never)]
    fn complete(&mut self, trie: &Trie, state: usize) {
        let stride = self.stride;
        let f = self.fail[state] as usize;
        let from = self.ends_at.len() as u32;
        self.ends_at.extend(trie.own_keywords(state));
        let row = state * stride;
        if state != 0 {
            let (f_from, f_to) = self.ends[f];
            self.ends_at
                .extend_from_within(f_from as usize..f_to as usize);
            self.table.copy_within(f * stride..(f + 1) * stride, row);
        }
        self.ends[state] = (from, self.ends_at.len() as u32);
        let mut child = trie.nodes[state].0;
        while child != 0 {
            let (_, sibling, class) = trie.nodes[child as usize];
            // Where the child's failure leads: the failure state's transition, or, from the
            // root, the root.
            let on_failure = if state == 0 {
                self.start
            } else {
                self.table[f * stride + usize::from(class)]
            };
            self.fail[child as usize] = (on_failure & !MATCH) / stride as u32;
            let ends_keyword = trie.own[child as usize].0 != NONE || on_failure & MATCH != 0;
            self.table[row + usize::from(class)] =
                (child * stride as u32) | if ends_keyword { MATCH } else { 0 };
            self.queue.push(child);
            child = sibling;
        }
    }
}

impl Automaton {
    /// Builds the automaton over `keywords`.
    pub(crate) fn new<K: AsRef<[u8]>>(keywords: &[K]) -> Result<Automaton, TooLarge> {
        let mut classes = [0u8; 256];
        let mut used = [false; 256];
        for &b in keywords.iter().flat_map(|k| k.as_ref()) {
            used[usize::from(b)] = true;
        }
        // Class 0 is the bytes no keyword has; with every byte value in a keyword, there is none.
        let mut stride = usize::from(used.contains(&false));
        for (b, _) in used.iter().enumerate().filter(|(_, &u)| u) {
            classes[b] = stride as u8;
            stride += 1;
        }

        let mut trie = Trie {
            nodes: vec![(0u32, 0u32, 0u8)],
            own: vec![(NONE, NONE)],
            own_next: vec![NONE; keywords.len()],
        };
        for (k, keyword) in keywords.iter().enumerate() {
            trie.insert(k as u32, keyword.as_ref(), &classes, stride)?;
        }

        // Breadth first, so that a state's failure state (always shallower) has its row and
        // its keywords complete before the state itself: a row is its failure state's row
        // with the state's own children written over it. The queue is every state once.
        let states = trie.nodes.len();
        let start = if trie.own[0].0 == NONE { 0 } else { MATCH };
        // Zeroed memory comes cheaper than filled (a large allocation is fresh, already zeroed
        // pages): every row but the root's is copied from its failure row below anyway.
        let mut rows = Rows {
            stride,
            start,
            table: vec![0u32; states * stride],
            fail: vec![0u32; states],
            ends: vec![(0u32, 0u32); states],
            ends_at: Vec::new(),
            queue: Vec::with_capacity(states),
        };
        rows.table[..stride].fill(start);
        rows.queue.push(0u32);
        let mut next = 0;
        while let Some(&state) = rows.queue.get(next) {
            next += 1;
            rows.complete(&trie, state as usize);
        }
        let Rows {
            table,
            ends,
            ends_at,
            ..
        } = rows;

        let mut starts = [false; 256];
        for (b, class) in classes.iter().enumerate() {
            starts[b] = table[usize::from(*class)] & !MATCH != 0;
        }
        Ok(Automaton {
            classes,
            starts,
            stride,
            table,
            start,
            ends,
            keywords: ends_at,
        })
    }

    /// Calls `found(keyword, end)` for every occurrence of every keyword in `haystack`, in
    /// order of `end` (the offset just past the occurrence), overlapping occurrences included.
    pub(crate) fn for_each_match(&self, haystack: &[u8], mut found: impl FnMut(usize, usize)) {
        let _ = self.walk(haystack, |keyword, end| {
            found(keyword, end);
            ControlFlow::<()>::Continue(())
        });
    }

    /// Whether any keyword occurs in `haystack`.
    pub(crate) fn is_match(&self, haystack: &[u8]) -> bool {
        self.walk(haystack, |_, _| ControlFlow::Break(()))
            .is_break()
    }

    fn walk<B>(
        &self,
        haystack: &[u8],
        mut found: impl FnMut(usize, usize) -> ControlFlow<B>,
    ) -> ControlFlow<B> {
        let mut state = self.start;
        if state & MATCH != 0 {
            self.report(state, 0, &mut found)?;
        }
        // Indexed as a slice: `Vec`'s `Index` is a call of its own in the size-optimized wasm
        // build.
        let table: &[u32] = &self.table;
        let mut i = 0;
        while i < haystack.len() {
            // At the root (state 0, which only a set without an empty keyword returns to), the
            // bytes that start no keyword are skipped without walking the table.
            if state == 0 {
                match haystack[i..]
                    .iter()
                    .position(|&b| self.starts[usize::from(b)])
                {
                    Some(skip) => i += skip,
                    None => break,
                }
            }
            let row = (state & !MATCH) as usize;
            state = table[row + usize::from(self.classes[usize::from(haystack[i])])];
            i += 1;
            if state & MATCH != 0 {
                self.report(state, i, &mut found)?;
            }
        }
        ControlFlow::Continue(())
    }

    fn report<B>(
        &self,
        state: u32,
        end: usize,
        found: &mut impl FnMut(usize, usize) -> ControlFlow<B>,
    ) -> ControlFlow<B> {
        let (from, to) = self.ends[(state & !MATCH) as usize / self.stride];
        for &k in &self.keywords[from as usize..to as usize] {
            found(k as usize, end)?;
        }
        ControlFlow::Continue(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matches(keywords: &[&str], haystack: &str) -> Vec<(usize, usize)> {
        let aut = Automaton::new(keywords).unwrap();
        let mut out = Vec::new();
        aut.for_each_match(haystack.as_bytes(), |k, end| out.push((k, end)));
        out
    }

    #[test]
    fn overlapping_keywords_are_all_reported() {
        assert_eq!(
            matches(&["he", "she", "his", "hers"], "ushers"),
            vec![(1, 4), (0, 4), (3, 6)]
        );
    }

    #[test]
    fn a_keyword_inside_another_is_reported_where_it_ends() {
        assert_eq!(
            matches(
                &["ignore previous", "previous", "ignore"],
                "ignore previous"
            ),
            vec![(2, 6), (0, 15), (1, 15)]
        );
    }

    #[test]
    fn repeated_occurrences_are_each_reported() {
        assert_eq!(matches(&["aa"], "aaaa"), vec![(0, 2), (0, 3), (0, 4)]);
    }

    #[test]
    fn duplicate_keywords_are_both_reported() {
        assert_eq!(matches(&["ab", "ab"], "xab"), vec![(0, 3), (1, 3)]);
    }

    #[test]
    fn non_ascii_keywords_match_their_utf8_bytes() {
        assert_eq!(
            matches(&["игнорируй", "системный"], "игнорируй системный промпт"),
            vec![(0, 18), (1, 37)]
        );
        assert_eq!(matches(&["忽略"], "请忽略之前的指令"), vec![(0, 9)]);
    }

    #[test]
    fn empty_keyword_matches_at_every_offset() {
        assert_eq!(
            matches(&["", "b"], "ab"),
            vec![(0, 0), (0, 1), (1, 2), (0, 2)]
        );
    }

    #[test]
    fn every_byte_value_can_be_in_a_keyword() {
        let all: Vec<u8> = (0..=255).collect();
        let aut = Automaton::new(&[&all[..], &[255, 0]]).unwrap();
        let mut out = Vec::new();
        aut.for_each_match(&[all.as_slice(), &[0]].concat(), |k, end| {
            out.push((k, end))
        });
        assert_eq!(out, vec![(0, 256), (1, 257)]);
    }

    #[test]
    fn nothing_is_found_without_keywords_or_text() {
        assert!(matches(&[], "anything").is_empty());
        assert!(matches(&["x"], "").is_empty());
        assert!(!Automaton::new::<&str>(&[]).unwrap().is_match(b"abc"));
    }

    #[test]
    fn is_match_tells_whether_any_keyword_occurs() {
        let aut = Automaton::new(&["sk-", "AKIA"]).unwrap();
        assert!(aut.is_match(b"key: AKIAIOSFODNN7"));
        assert!(aut.is_match(b"sk-"));
        assert!(!aut.is_match(b"akia sk"));
        assert!(!aut.is_match(b""));
    }
}

/// The automaton against the `aho-corasick` crate's overlapping search, which it replaces.
#[cfg(all(test, not(target_arch = "wasm32")))]
mod differential {
    use super::Automaton;
    use aho_corasick::{AhoCorasick, MatchKind};
    use proptest::prelude::*;

    fn ours(keywords: &[Vec<u8>], haystack: &[u8]) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        Automaton::new(keywords)
            .unwrap()
            .for_each_match(haystack, |k, end| out.push((k, end)));
        out.sort_unstable();
        out
    }

    fn reference(keywords: &[Vec<u8>], haystack: &[u8]) -> Vec<(usize, usize)> {
        let ac = AhoCorasick::builder()
            .match_kind(MatchKind::Standard)
            .build(keywords)
            .unwrap();
        let mut out: Vec<(usize, usize)> = ac
            .find_overlapping_iter(haystack)
            .map(|m| (m.pattern().as_usize(), m.end()))
            .collect();
        out.sort_unstable();
        // With an empty keyword among them, the crate can report its match at one offset twice.
        out.dedup();
        out
    }

    /// Text from a small alphabet of ASCII letters and multi-byte characters, so that keywords
    /// drawn from it occur often, share prefixes and suffixes, and split characters.
    fn text(max: usize) -> impl Strategy<Value = Vec<u8>> {
        proptest::collection::vec(
            prop_oneof![
                Just("a"),
                Just("b"),
                Just("c"),
                Just(" "),
                Just("é"),
                Just("я"),
                Just("忽"),
                Just("😀")
            ],
            0..max,
        )
        .prop_map(|parts| parts.concat().into_bytes())
    }

    /// A keyword: a piece of text, a piece of a character's bytes, or now and then empty.
    fn keyword() -> impl Strategy<Value = Vec<u8>> {
        let piece = (text(3), 1..4usize, 0..4usize)
            .prop_map(|(t, len, skip)| t.into_iter().skip(skip).take(len).collect::<Vec<u8>>());
        prop_oneof![
            12 => text(5).prop_filter("not empty", |k| !k.is_empty()),
            3 => piece.prop_filter("not empty", |k| !k.is_empty()),
            1 => Just(Vec::new()),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn reports_what_aho_corasick_reports(
            keywords in proptest::collection::vec(keyword(), 0..12),
            haystack in text(40),
        ) {
            prop_assert_eq!(ours(&keywords, &haystack), reference(&keywords, &haystack));
        }

        #[test]
        fn keywords_that_are_prefixes_and_suffixes_of_each_other(
            word in text(8),
            cuts in proptest::collection::vec((0..32usize, 0..32usize), 1..8),
            haystack in text(40),
        ) {
            let keywords: Vec<Vec<u8>> = cuts
                .into_iter()
                .filter_map(|(a, b)| {
                    let (a, b) = (a % (word.len() + 1), b % (word.len() + 1));
                    let (a, b) = (a.min(b), a.max(b));
                    (a < b).then(|| word[a..b].to_vec())
                })
                .collect();
            let haystack = [&haystack[..], &word, &haystack[..]].concat();
            prop_assert_eq!(ours(&keywords, &haystack), reference(&keywords, &haystack));
        }

        #[test]
        fn is_match_agrees_with_aho_corasick(
            keywords in proptest::collection::vec(keyword(), 0..6),
            haystack in text(30),
        ) {
            let ac = AhoCorasick::new(&keywords).unwrap();
            prop_assert_eq!(Automaton::new(&keywords).unwrap().is_match(&haystack), ac.is_match(&haystack));
        }
    }
}
