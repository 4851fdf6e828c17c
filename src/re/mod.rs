//! The engine's own regular expressions: the regex crate's syntax and leftmost-first
//! semantics, in a fraction of its code size, for a WebAssembly module that has to be small.
//!
//! A pattern is parsed ([`parse`]), compiled to a byte-level Thompson NFA ([`nfa`]) and searched
//! with a lazy DFA ([`dfa`]): forwards to find where the first match ends, then backwards over
//! the reversed pattern to find where it starts. Capture groups, when asked for, come from a
//! Pike VM ([`pikevm`]) run over that match alone. Every search is linear in the text.
//!
//! What the regex crate has and this does not: literal prefilters and SIMD (the rules'
//! keyword automaton is the prefilter), Unicode properties and case folding (views are
//! lower-cased; `(?i-u)` folds ASCII), and look-around beyond `^`, `$`, `\A`, `\z`, `\b` and
//! `\B`. Patterns using them are refused with an error that says so.
//!
//! ```
//! use promptfence::re::Regex;
//!
//! let re = Regex::new(r"\bignore (?:all )?previous\b").unwrap();
//! let m = re.find("please ignore all previous notes").unwrap();
//! assert_eq!(m.as_str(), "ignore all previous");
//! assert!(!re.is_match("ignore previously"));
//! ```

mod dfa;
mod nfa;
mod parse;
mod pikevm;
mod unicode_table;

use dfa::{Dfa, Kind};
use nfa::Nfa;
use parse::Hir;
use std::fmt;
use std::sync::{Mutex, OnceLock};

/// The longest stretch, from the search's start to its match's end, in which the match's start
/// is found by anchored forward searches rather than by the reversed pattern.
const ANCHORED_START_MAX: usize = 256;
/// How many of a regex's matches find their start that way before the reversed pattern is
/// compiled: enough for the views of a first scan (the reverse DFA is faster once built).
const ANCHORED_STARTS: u32 = 8;

/// The NFA state count past which a pattern is refused as too large (each state is a few
/// dozen bytes; the rules' largest pattern needs about 40,000).
pub const DEFAULT_STATE_LIMIT: usize = 1 << 20;

/// Why a pattern does not compile.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    message: String,
}

impl Error {
    fn new(message: String) -> Error {
        Error { message }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

/// A compiled regular expression.
pub struct Regex {
    pattern: String,
    hir: Hir,
    names: Vec<Option<String>>,
    /// Compiled for ASCII text only ([`Regex::ascii_with_limit`]).
    ascii: bool,
    limit: usize,
    forward: Nfa,
    /// The reversed pattern, compiled at the first match.
    reverse: OnceLock<Result<Nfa, Error>>,
    /// The pattern with its capture groups, compiled at the first search for them.
    groups: OnceLock<Result<Nfa, Error>>,
    cache: Mutex<Cache>,
}

/// The lazy DFAs' states, built as searches need them.
struct Cache {
    forward: Dfa,
    reverse: Option<Dfa>,
    /// Match starts found by anchored searches so far (see [`ANCHORED_STARTS`]).
    anchored_starts: u32,
}

impl fmt::Debug for Regex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Regex").field(&self.pattern).finish()
    }
}

/// A match: its byte range in the text searched.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Match<'h> {
    text: &'h str,
    start: usize,
    end: usize,
}

impl<'h> Match<'h> {
    pub fn start(&self) -> usize {
        self.start
    }

    pub fn end(&self) -> usize {
        self.end
    }

    pub fn len(&self) -> usize {
        self.end - self.start
    }

    pub fn is_empty(&self) -> bool {
        self.start == self.end
    }

    pub fn range(&self) -> std::ops::Range<usize> {
        self.start..self.end
    }

    /// The matched text; empty if the match does not fall on character boundaries (only a
    /// byte-level pattern such as `(?-u:\xFF)` can do that).
    pub fn as_str(&self) -> &'h str {
        self.text.get(self.start..self.end).unwrap_or("")
    }
}

/// The groups of one match; group 0 is the whole match.
#[derive(Clone, Debug)]
pub struct Captures<'h> {
    text: &'h str,
    slots: Vec<Option<usize>>,
}

impl<'h> Captures<'h> {
    /// Group `i`, if it took part in the match.
    pub fn get(&self, i: usize) -> Option<Match<'h>> {
        let start = (*self.slots.get(i * 2)?)?;
        let end = (*self.slots.get(i * 2 + 1)?)?;
        Some(Match {
            text: self.text,
            start,
            end,
        })
    }

    /// Number of groups, the whole match included.
    pub fn len(&self) -> usize {
        self.slots.len() / 2
    }

    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }
}

impl Regex {
    /// Compiles `pattern`, refusing it past [`DEFAULT_STATE_LIMIT`] NFA states.
    pub fn new(pattern: &str) -> Result<Regex, Error> {
        Regex::with_limit(pattern, DEFAULT_STATE_LIMIT)
    }

    /// Compiles `pattern`, refusing it past `limit` NFA states.
    pub fn with_limit(pattern: &str, limit: usize) -> Result<Regex, Error> {
        let parsed = parse::parse(pattern)?;
        Regex::from_parsed(pattern, parsed.hir, parsed.names, limit, false)
    }

    /// Compiles `pattern` for ASCII text only, `None` if no ASCII text can match it. What only
    /// non-ASCII text can match is left out (see `Hir::ascii_only`), so a pattern written for
    /// many languages compiles to the small part an ASCII text can meet. Searching text that
    /// is not ASCII with it gives wrong answers (debug builds assert it).
    pub fn ascii_with_limit(pattern: &str, limit: usize) -> Result<Option<Regex>, Error> {
        let parsed = parse::parse(pattern)?;
        let Some(hir) = parsed.hir.ascii_only() else {
            return Ok(None);
        };
        Regex::from_parsed(pattern, hir, parsed.names, limit, true).map(Some)
    }

    fn from_parsed(
        pattern: &str,
        hir: parse::Hir,
        names: Vec<Option<String>>,
        limit: usize,
        ascii: bool,
    ) -> Result<Regex, Error> {
        let forward = nfa::compile(&hir, false, false, limit)?;
        let cache = Cache {
            forward: Dfa::new(&forward, Kind::Forward),
            reverse: None,
            anchored_starts: 0,
        };
        Ok(Regex {
            pattern: pattern.to_owned(),
            hir,
            names,
            ascii,
            limit,
            forward,
            reverse: OnceLock::new(),
            groups: OnceLock::new(),
            cache: Mutex::new(cache),
        })
    }

    pub fn as_str(&self) -> &str {
        &self.pattern
    }

    /// Group names by index (index 0, the whole match, has none).
    pub fn group_names(&self) -> impl Iterator<Item = Option<&str>> {
        self.names.iter().map(Option::as_deref)
    }

    /// Runs `f` with the cache, or with a fresh one if another thread holds it.
    fn with_cache<T>(&self, f: impl FnOnce(&mut Cache) -> T) -> T {
        match self.cache.try_lock() {
            Ok(mut cache) => f(&mut cache),
            Err(_) => f(&mut Cache {
                forward: Dfa::new(&self.forward, Kind::Forward),
                reverse: None,
                anchored_starts: 0,
            }),
        }
    }

    /// The byte range of the first match that starts at or after `from`.
    pub fn find_bytes_at(&self, hay: &[u8], from: usize) -> Option<(usize, usize)> {
        debug_assert!(
            !self.ascii || hay.is_ascii(),
            "an ASCII-only regex on other text"
        );
        if from > hay.len() {
            return None;
        }
        self.with_cache(|cache| {
            let end = cache.forward.find_end(&self.forward, hay, from)?;
            // Where the match starts: the first position from which a match can start at all
            // (a match starting further left would have been the one found). For a regex's
            // first few matches over a short stretch, anchored searches with the forward DFA
            // find it without compiling the reversed pattern, which was a fifth of the first
            // scan of an attack. Each stops at `end`, so a stretch costs at most its length
            // squared steps; past those first matches the reverse DFA is cheaper.
            if self.reverse.get().is_none()
                && end - from <= ANCHORED_START_MAX
                && cache.anchored_starts < ANCHORED_STARTS
            {
                cache.anchored_starts += 1;
                let forward = &mut cache.forward;
                if let Some(start) =
                    (from..=end).find(|&s| forward.matches_at(&self.forward, hay, s, end))
                {
                    return Some((start, end));
                }
            }
            let reverse = self
                .reverse
                .get_or_init(|| nfa::compile(&self.hir, true, false, self.limit))
                .as_ref()
                .ok();
            let Some(reverse) = reverse else {
                // The reversed pattern is the same size as the pattern, so it compiles when
                // the pattern did; if it ever did not, the start is found by the Pike VM.
                let groups = self.groups_nfa()?;
                let slots = (from..=end).find_map(|s| pikevm::captures(groups, hay, s, end))?;
                return Some((slots.first().copied().flatten()?, end));
            };
            let rev = cache
                .reverse
                .get_or_insert_with(|| Dfa::new(reverse, Kind::Reverse));
            let start = rev.find_start(reverse, hay, from, end)?;
            Some((start, end))
        })
    }

    fn groups_nfa(&self) -> Option<&Nfa> {
        self.groups
            .get_or_init(|| nfa::compile(&self.hir, false, true, self.limit))
            .as_ref()
            .ok()
    }

    /// The capture slots (two per group) of the first match at or after `from`.
    pub fn captures_bytes_at(&self, hay: &[u8], from: usize) -> Option<Vec<Option<usize>>> {
        let (start, end) = self.find_bytes_at(hay, from)?;
        let groups = self.groups_nfa()?;
        let mut slots = pikevm::captures(groups, hay, start, end)?;
        slots.resize(self.names.len() * 2, None);
        Some(slots)
    }

    pub fn is_match(&self, text: &str) -> bool {
        self.with_cache(|cache| {
            cache
                .forward
                .find_end(&self.forward, text.as_bytes(), 0)
                .is_some()
        })
    }

    pub fn find<'h>(&self, text: &'h str) -> Option<Match<'h>> {
        self.find_at(text, 0)
    }

    pub fn find_at<'h>(&self, text: &'h str, from: usize) -> Option<Match<'h>> {
        let (start, end) = self.find_bytes_at(text.as_bytes(), from)?;
        Some(Match { text, start, end })
    }

    pub fn captures_at<'h>(&self, text: &'h str, from: usize) -> Option<Captures<'h>> {
        let slots = self.captures_bytes_at(text.as_bytes(), from)?;
        Some(Captures { text, slots })
    }

    /// Successive matches, none overlapping; after an empty match the search moves on by one
    /// character.
    pub fn find_iter<'r, 'h>(&'r self, text: &'h str) -> impl Iterator<Item = Match<'h>> + 'r
    where
        'h: 'r,
    {
        let mut from = Some(0);
        std::iter::from_fn(move || {
            let m = self.find_at(text, from?)?;
            from = next_from(text, m.start, m.end);
            Some(m)
        })
    }

    /// The groups of successive matches, as [`Regex::find_iter`] finds them.
    pub fn captures_iter<'r, 'h>(&'r self, text: &'h str) -> impl Iterator<Item = Captures<'h>> + 'r
    where
        'h: 'r,
    {
        let mut from = Some(0);
        std::iter::from_fn(move || {
            let caps = self.captures_at(text, from?)?;
            let whole = caps.get(0)?;
            from = next_from(text, whole.start, whole.end);
            Some(caps)
        })
    }
}

/// Where the search after a match at `start..end` goes on: at its end, or past the next
/// character after an empty match.
fn next_from(text: &str, start: usize, end: usize) -> Option<usize> {
    if end > start {
        return Some(end);
    }
    let step = text.get(end..)?.chars().next().map_or(1, char::len_utf8);
    (end + step <= text.len()).then_some(end + step)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn find(p: &str, t: &str) -> Option<(usize, usize)> {
        Regex::new(p)
            .unwrap_or_else(|e| panic!("{p}: {e}"))
            .find(t)
            .map(|m| (m.start(), m.end()))
    }

    #[test]
    fn leftmost_first_prefers_the_earlier_branch() {
        assert_eq!(find("a|ab", "xab"), Some((1, 2)));
        assert_eq!(find("ab|a", "xab"), Some((1, 3)));
        assert_eq!(find("a+?", "aaa"), Some((0, 1)));
        assert_eq!(find("a+", "baaa"), Some((1, 4)));
        assert_eq!(find("(?:a|b)*c", "ababx abc"), Some((6, 9)));
    }

    #[test]
    fn word_boundaries_are_unicode_aware() {
        assert_eq!(
            find(r"\bигнорируй\b", "пожалуйста игнорируй всё"),
            Some((21, 39))
        );
        assert_eq!(find(r"\bигнор\b", "игнорируй"), None);
        assert_eq!(find(r"\bcat\b", "concat cat"), Some((7, 10)));
        assert_eq!(find(r"(?-u:\b)x", "éx"), Some((2, 3)));
    }

    #[test]
    fn anchors_and_lines() {
        assert_eq!(find("^ab", "ab"), Some((0, 2)));
        assert_eq!(find("^ab", "cab"), None);
        assert_eq!(find("(?m)^b$", "a\nb\nc"), Some((2, 3)));
        assert_eq!(find("b$", "ab\n"), None);
    }

    #[test]
    fn unicode_classes_match_whole_characters() {
        assert_eq!(find(r"\w+", "  日本語 x"), Some((2, 11)));
        assert_eq!(find(r"\S+", "é b"), Some((0, 2)));
        assert_eq!(find(r"(?-u:[^.\n]){0,3}x", "ééx"), Some((1, 5)));
    }

    #[test]
    fn captures_report_each_group() {
        let re = Regex::new(r"(\w+)@(\w+)(x)?").unwrap();
        let caps = re.captures_at("mail bob@host now", 0).unwrap();
        assert_eq!(caps.get(0).map(|m| m.as_str()), Some("bob@host"));
        assert_eq!(caps.get(1).map(|m| m.as_str()), Some("bob"));
        assert_eq!(caps.get(2).map(|m| m.as_str()), Some("host"));
        assert!(caps.get(3).is_none());
    }

    #[test]
    fn iteration_moves_past_empty_matches() {
        let re = Regex::new("a*").unwrap();
        let all: Vec<_> = re.find_iter("baa").map(|m| (m.start(), m.end())).collect();
        assert_eq!(all, vec![(0, 0), (1, 3), (3, 3)]);
    }

    #[test]
    fn pathological_inputs_stay_linear() {
        // Many more DFA states than the cache holds: the cache is cleared and rebuilt.
        let re = Regex::new(r"(?:a|b)*a(?:a|b){12}c").unwrap();
        let text = "ab".repeat(50_000);
        assert!(re.find(&text).is_none());
        assert_eq!(find("(x+x+)+y", &"x".repeat(5000)), None);
    }
}
