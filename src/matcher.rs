//! The rule matcher: every rule compiled once into Aho–Corasick automata over the rules'
//! keywords, used as a prefilter; a rule's regex runs only when one of its keywords occurs in
//! the view (rules without keywords always run). Regexes are compiled on first use, so that
//! building an engine stays cheap at start-up, and all matching is linear-time.
//!
//! Keywords are split by alphabet: the ASCII ones in one automaton, which reads every view,
//! and the others (Cyrillic, CJK, ...) in a second one that reads only views holding non-ASCII
//! bytes, since ASCII text cannot contain them. That second automaton is built on the first
//! such view, so that an engine which only ever sees ASCII text never pays for it. Both are
//! DFAs over byte classes ([`crate::aho`]), natively and in WebAssembly: one table lookup a
//! byte. For the embedded rules the ASCII one is ~1.8 MB and builds in ~0.4 ms natively, the
//! other ~2.5 MB in ~0.2 ms.

use crate::aho::{self, Automaton};
use crate::hash::FastMap;
use crate::normalize::View;
use crate::re::Regex;
use crate::rules::Rule;
use std::sync::OnceLock;

/// One automaton and, for each of its keywords, the rules that listed it.
#[derive(Debug)]
struct KeywordSet {
    automaton: Automaton,
    rules: Vec<Vec<usize>>,
}

impl KeywordSet {
    fn mark(&self, haystack: &[u8], candidate: &mut [bool]) {
        mark_keywords(&self.automaton, &self.rules, haystack, candidate);
    }
}

/// Marks as candidates the rules of every keyword that occurs in `haystack`; `rules[k]` are
/// the rules of keyword `k`.
fn mark_keywords(
    automaton: &Automaton,
    rules: &[Vec<usize>],
    haystack: &[u8],
    candidate: &mut [bool],
) {
    automaton.for_each_match(haystack, |k, _| {
        for &r in &rules[k] {
            candidate[r] = true;
        }
    });
}

/// Keywords whose automaton is built the first time it is needed.
#[derive(Debug)]
struct LazyKeywordSet {
    keywords: Vec<String>,
    rules: Vec<Vec<usize>>,
    automaton: OnceLock<Option<Automaton>>,
}

impl LazyKeywordSet {
    /// Marks the rules of every keyword that occurs in `haystack`. Should the automaton fail
    /// to build (only past 2^31 transitions, which keywords of at most 4 KB from a pack held
    /// in memory do not reach), every rule of the set becomes a candidate and its regex decides.
    fn mark(&self, haystack: &[u8], candidate: &mut [bool]) {
        let automaton = self
            .automaton
            .get_or_init(|| Automaton::new(&self.keywords).ok());
        match automaton {
            Some(automaton) => mark_keywords(automaton, &self.rules, haystack, candidate),
            None => {
                for &r in self.rules.iter().flatten() {
                    candidate[r] = true;
                }
            }
        }
    }
}

/// A rule's match in one view, in view byte offsets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RuleMatch {
    /// Index of the rule in [`Matcher::rules`].
    pub rule: usize,
    pub start: usize,
    pub end: usize,
}

/// All rules, ready to match.
#[derive(Debug)]
pub struct Matcher {
    rules: Vec<Rule>,
    /// Each rule's regex, compiled on first use, and whether it names the part of its match
    /// to report (a `span` group, see [`Rule::has_span_group`]).
    regexes: Vec<OnceLock<Option<(Regex, bool)>>>,
    /// The same for views of ASCII text: each rule's regex without what only non-ASCII text can
    /// match ([`Rule::compile_ascii`]), `None` when that leaves nothing. The multilingual
    /// patterns are most of what an English prompt's rules would otherwise compile.
    ascii_regexes: Vec<OnceLock<Option<(Regex, bool)>>>,
    /// Keywords made of ASCII bytes only.
    ascii: Option<KeywordSet>,
    /// The other keywords: looked for only in views with a non-ASCII byte, with an automaton
    /// built on the first such view.
    other: Option<LazyKeywordSet>,
    /// Rules with no keywords: they run on every view.
    unfiltered: Vec<usize>,
}

/// The range of the `span*` group that took part in the match starting at `start`, if any.
fn reported_part(re: &Regex, text: &[u8], start: usize) -> Option<(usize, usize)> {
    let slots = re.captures_bytes_at(text, start)?;
    re.group_names()
        .enumerate()
        .filter(|(_, name)| name.is_some_and(|n| n.starts_with("span")))
        .find_map(|(i, _)| Some((slots.get(2 * i).copied()??, slots.get(2 * i + 1).copied()??)))
}

/// `start..end` widened to the characters it touches. Rules match bytes, and a byte-level
/// window (`(?-u:[^.\n]){0,40}`) at the edge of a pattern can stop inside a character.
fn char_bounds(text: &str, mut start: usize, mut end: usize) -> (usize, usize) {
    while !text.is_char_boundary(start) {
        start -= 1;
    }
    while !text.is_char_boundary(end) {
        end += 1;
    }
    (start, end)
}

/// Adds rule `i`'s keywords to the index: each keyword's number (a new keyword is numbered
/// next) and the rules it selects. Called once a rule rather than inlined into the loop of
/// [`Matcher::new`], for V8's sake (see `rules::embedded_spec`).
#[inline(never)]
fn index_keywords<'r>(
    i: usize,
    rule: &'r Rule,
    index: &mut FastMap<&'r str, usize>,
    keywords: &mut Vec<&'r str>,
    keyword_rules: &mut Vec<Vec<usize>>,
) {
    for keyword in &rule.keywords {
        let k = *index.entry(keyword.as_str()).or_insert_with(|| {
            keywords.push(keyword.as_str());
            keyword_rules.push(Vec::new());
            keywords.len() - 1
        });
        if let Some(rules) = keyword_rules.get_mut(k).filter(|r| r.last() != Some(&i)) {
            rules.push(i);
        }
    }
}

impl Matcher {
    /// Builds the prefilter over `rules`. Fails only if the automaton cannot be built.
    pub fn new(rules: Vec<Rule>) -> Result<Matcher, String> {
        let listed = rules.iter().map(|r| r.keywords.len()).sum();
        let mut keyword_index: FastMap<&str, usize> = FastMap::default();
        keyword_index.reserve(listed);
        let mut keywords: Vec<&str> = Vec::new();
        let mut keyword_rules: Vec<Vec<usize>> = Vec::new();
        let mut unfiltered = Vec::new();
        for (i, rule) in rules.iter().enumerate() {
            if rule.keywords.is_empty() {
                unfiltered.push(i);
            }
            index_keywords(
                i,
                rule,
                &mut keyword_index,
                &mut keywords,
                &mut keyword_rules,
            );
        }
        let error = |e: aho::TooLarge| format!("cannot build the keyword automaton: {e}");
        let (mut ascii, mut other) = ((Vec::new(), Vec::new()), (Vec::new(), Vec::new()));
        for (keyword, rules) in keywords.into_iter().zip(keyword_rules) {
            let set = if keyword.is_ascii() {
                &mut ascii
            } else {
                &mut other
            };
            set.0.push(keyword);
            set.1.push(rules);
        }
        let ascii = if ascii.0.is_empty() {
            None
        } else {
            Some(KeywordSet {
                automaton: Automaton::new(&ascii.0).map_err(error)?,
                rules: ascii.1,
            })
        };
        let other = if other.0.is_empty() {
            None
        } else {
            Some(LazyKeywordSet {
                keywords: other.0.into_iter().map(str::to_owned).collect(),
                rules: other.1,
                automaton: OnceLock::new(),
            })
        };
        let regexes = (0..rules.len()).map(|_| OnceLock::new()).collect();
        let ascii_regexes = (0..rules.len()).map(|_| OnceLock::new()).collect();
        Ok(Matcher {
            rules,
            regexes,
            ascii_regexes,
            ascii,
            other,
            unfiltered,
        })
    }

    /// The rules, in the order matches refer to them.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// Finds the first match of every rule that applies to `view`.
    pub fn find(&self, view: &View, out: &mut Vec<RuleMatch>) {
        let mut candidate = vec![false; self.rules.len()];
        for &i in &self.unfiltered {
            candidate[i] = true;
        }
        let haystack = view.text.as_bytes();
        if let Some(set) = &self.ascii {
            set.mark(haystack, &mut candidate);
        }
        let ascii = view.text.is_ascii();
        if let Some(set) = self.other.as_ref().filter(|_| !ascii) {
            set.mark(haystack, &mut candidate);
        }
        for (i, (rule, &candidate)) in self.rules.iter().zip(&candidate).enumerate() {
            if !candidate || !rule.applies_to(view.kind) {
                continue;
            }
            if let Some((re, span_group)) = self.regex(i, ascii) {
                let text = view.text.as_bytes();
                if let Some((start, end)) = re.find_bytes_at(text, 0) {
                    let (start, end) = if *span_group {
                        reported_part(re, text, start).unwrap_or((start, end))
                    } else {
                        (start, end)
                    };
                    let (start, end) = char_bounds(&view.text, start, end);
                    out.push(RuleMatch {
                        rule: i,
                        start,
                        end,
                    });
                }
            }
        }
    }

    /// The compiled regex of rule `i`; `None` if it does not compile (packs loaded with
    /// checking never get here with a bad pattern, and the embedded ones are tested).
    /// For a view of ASCII text with `ascii`, the regex made for ASCII text.
    fn regex(&self, i: usize, ascii: bool) -> Option<&(Regex, bool)> {
        let rule = self.rules.get(i)?;
        if ascii {
            return self
                .ascii_regexes
                .get(i)?
                .get_or_init(|| rule.compile_ascii().ok().flatten())
                .as_ref();
        }
        self.regexes
            .get(i)?
            .get_or_init(|| Some((rule.compile().ok()?, rule.has_span_group())))
            .as_ref()
    }

    /// Compiles every rule's regex now, instead of on first use.
    pub fn compile_all(&self) -> Result<(), String> {
        for (i, rule) in self.rules.iter().enumerate() {
            // The ASCII regex may rightly be none; it fails to compile only if the whole does.
            self.regex(i, true);
            if self.regex(i, false).is_none() {
                return Err(format!(
                    "{}: rule {}: pattern does not compile",
                    rule.source, rule.id
                ));
            }
        }
        Ok(())
    }
}
