//! The rule matcher: every rule compiled once into one Aho–Corasick automaton over the rules'
//! keywords, used as a prefilter; a rule's regex runs only when one of its keywords occurs in
//! the view (rules without keywords always run). Regexes are compiled on first use, so that
//! building an engine stays cheap at start-up, and all matching is linear-time.

use crate::normalize::View;
use crate::rules::Rule;
use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};
use regex::bytes::Regex;
use std::collections::HashMap;
use std::sync::OnceLock;

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
    regexes: Vec<OnceLock<Option<Regex>>>,
    prefilter: Option<AhoCorasick>,
    /// For each keyword of the automaton, the rules that listed it.
    keyword_rules: Vec<Vec<usize>>,
    /// Rules with no keywords: they run on every view.
    unfiltered: Vec<usize>,
    /// Whether each rule names the part of its match to report (`(?P<span>...)`).
    span_groups: Vec<bool>,
}

/// The range of the `span*` group that took part in the match starting at `start`, if any.
fn reported_part(re: &Regex, text: &[u8], start: usize) -> Option<(usize, usize)> {
    let caps = re.captures_at(text, start)?;
    re.capture_names()
        .enumerate()
        .filter(|(_, name)| name.is_some_and(|n| n.starts_with("span")))
        .find_map(|(i, _)| caps.get(i))
        .map(|g| (g.start(), g.end()))
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

impl Matcher {
    /// Builds the prefilter over `rules`. Fails only if the automaton cannot be built.
    pub fn new(rules: Vec<Rule>) -> Result<Matcher, String> {
        let mut keyword_index: HashMap<&str, usize> = HashMap::new();
        let mut keywords: Vec<&str> = Vec::new();
        let mut keyword_rules: Vec<Vec<usize>> = Vec::new();
        let mut unfiltered = Vec::new();
        for (i, rule) in rules.iter().enumerate() {
            if rule.keywords.is_empty() {
                unfiltered.push(i);
            }
            for keyword in &rule.keywords {
                let k = *keyword_index.entry(keyword.as_str()).or_insert_with(|| {
                    keywords.push(keyword.as_str());
                    keyword_rules.push(Vec::new());
                    keywords.len() - 1
                });
                if keyword_rules[k].last() != Some(&i) {
                    keyword_rules[k].push(i);
                }
            }
        }
        let prefilter = if keywords.is_empty() {
            None
        } else {
            Some(
                AhoCorasickBuilder::new()
                    // Every view is lower-cased and keywords are lower-cased at load, so the
                    // automaton needs no case folding (which would double its size).
                    .match_kind(MatchKind::Standard)
                    // A contiguous NFA, not a DFA: with the embedded keywords a DFA saves
                    // ~35k instructions per 1 KB scan but costs ~150M instructions (tens of
                    // milliseconds) to build, which an edge isolate pays at start-up.
                    .kind(Some(AhoCorasickKind::ContiguousNFA))
                    .build(&keywords)
                    .map_err(|e| format!("cannot build the keyword automaton: {e}"))?,
            )
        };
        let regexes = (0..rules.len()).map(|_| OnceLock::new()).collect();
        let span_groups = rules.iter().map(Rule::has_span_group).collect();
        Ok(Matcher {
            rules,
            regexes,
            prefilter,
            keyword_rules,
            unfiltered,
            span_groups,
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
        if let Some(ac) = &self.prefilter {
            for m in ac.find_overlapping_iter(view.text.as_str()) {
                for &i in &self.keyword_rules[m.pattern().as_usize()] {
                    candidate[i] = true;
                }
            }
        }
        for (i, rule) in self.rules.iter().enumerate() {
            if !candidate[i] || !rule.applies_to(view.kind) {
                continue;
            }
            if let Some(re) = self.regex(i) {
                let text = view.text.as_bytes();
                if let Some(m) = re.find(text) {
                    let (start, end) = if self.span_groups[i] {
                        reported_part(re, text, m.start()).unwrap_or((m.start(), m.end()))
                    } else {
                        (m.start(), m.end())
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
    fn regex(&self, i: usize) -> Option<&Regex> {
        self.regexes[i]
            .get_or_init(|| self.rules[i].compile().ok())
            .as_ref()
    }

    /// Compiles every rule's regex now, instead of on first use.
    pub fn compile_all(&self) -> Result<(), String> {
        for (i, rule) in self.rules.iter().enumerate() {
            if self.regex(i).is_none() {
                return Err(format!(
                    "{}: rule {}: pattern does not compile",
                    rule.source, rule.id
                ));
            }
        }
        Ok(())
    }
}
