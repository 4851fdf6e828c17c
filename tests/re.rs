//! The engine's own regex (`promptfence::re`) against the regex crates it replaced: the same
//! matches, position for position, for every embedded rule on the rules' examples and the
//! corpus (when present), and for generated patterns on generated text.
#![cfg(not(target_arch = "wasm32"))]

use promptfence::re::Regex;
use promptfence::RulePack;
use proptest::prelude::*;
use regex_automata::meta;
use regex_automata::util::syntax;
use regex_automata::Input;

/// The reference: regex-automata configured as the rules' regexes were before (bytes,
/// leftmost-first, no UTF-8 requirement on the text or on empty matches).
fn reference(pattern: &str) -> meta::Regex {
    meta::Regex::builder()
        .syntax(syntax::Config::new().utf8(false))
        .configure(meta::Regex::config().utf8_empty(false))
        .build(pattern)
        .unwrap_or_else(|e| panic!("reference does not compile {pattern}: {e}"))
}

fn same_first_match(pattern: &str, ours: &Regex, theirs: &meta::Regex, text: &str) {
    let got = ours.find_bytes_at(text.as_bytes(), 0);
    let want = theirs.find(text.as_bytes()).map(|m| (m.start(), m.end()));
    assert_eq!(got, want, "pattern {pattern:.120}\ntext {text:?}");
}

/// The lower-cased texts the rules see: the examples of every embedded rule, and a sample
/// of the corpus when it is present.
fn texts() -> Vec<String> {
    let mut texts: Vec<String> = RulePack::embedded_with_examples()
        .expect("embedded packs load")
        .iter()
        .flat_map(|pack| &pack.rules)
        .flat_map(|rule| rule.examples.matches.iter().chain(&rule.examples.no_match))
        .map(|t| t.to_lowercase())
        .collect();
    let corpus = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/corpus/dev.jsonl");
    match std::fs::read_to_string(corpus) {
        Ok(lines) => {
            for line in lines.lines().step_by(4) {
                let value: serde_json::Value = serde_json::from_str(line).expect("corpus JSON");
                if let Some(text) = value["text"].as_str() {
                    texts.push(text.to_lowercase());
                }
            }
        }
        Err(_) => eprintln!("{corpus} not present: rule examples only"),
    }
    texts
}

#[test]
fn every_rule_finds_what_regex_automata_finds() {
    let texts = texts();
    let packs = RulePack::embedded().expect("embedded packs load");
    let (mut checked, mut ascii_checked) = (0, 0);
    for rule in packs.iter().flat_map(|pack| &pack.rules) {
        let pattern = rule.combined_pattern().expect("pattern lowers");
        let ours = Regex::new(&pattern).unwrap_or_else(|e| panic!("{}: {e}", rule.id));
        let theirs = reference(&pattern);
        // The regex for ASCII views, without the patterns marked as needing a non-ASCII
        // character and with classes cut to ASCII: on ASCII text, the same first match.
        let ascii = rule
            .compile_ascii()
            .unwrap_or_else(|e| panic!("{}: {e}", rule.id));
        for text in &texts {
            same_first_match(&pattern, &ours, &theirs, text);
            checked += 1;
            if text.is_ascii() {
                let got = ascii
                    .as_ref()
                    .and_then(|(re, _)| re.find_bytes_at(text.as_bytes(), 0));
                let want = theirs.find(text.as_bytes()).map(|m| (m.start(), m.end()));
                assert_eq!(got, want, "{} (ASCII regex)\ntext {text:?}", rule.id);
                ascii_checked += 1;
            }
        }
    }
    assert!(checked > 100_000, "only {checked} searches");
    assert!(
        ascii_checked > 50_000,
        "only {ascii_checked} ASCII searches"
    );
}

#[test]
fn span_groups_match_regex_automata() {
    let texts = texts();
    let packs = RulePack::embedded().expect("embedded packs load");
    for rule in packs
        .iter()
        .flat_map(|pack| &pack.rules)
        .filter(|r| r.has_span_group())
    {
        let pattern = rule.combined_pattern().expect("pattern lowers");
        let ours = Regex::new(&pattern).expect("compiles");
        let theirs = reference(&pattern);
        let mut caps = theirs.create_captures();
        for text in &texts {
            theirs.search_captures(&Input::new(text.as_bytes()), &mut caps);
            let got = ours.captures_bytes_at(text.as_bytes(), 0);
            match got {
                None => assert!(!caps.is_match(), "{}: {text:?}", rule.id),
                Some(slots) => {
                    for group in 0..caps.group_len() {
                        let want = caps.get_group(group).map(|s| (s.start, s.end));
                        let have = slots[2 * group].zip(slots[2 * group + 1]);
                        assert_eq!(have, want, "{} group {group}: {text:?}", rule.id);
                    }
                }
            }
        }
    }
}

/// Patterns built from the constructs the rules use.
fn pattern() -> impl Strategy<Value = String> {
    let atom = prop::sample::select(vec![
        "a",
        "b",
        "ab",
        "é",
        "ж",
        "日",
        r"\s",
        r"\S",
        r"\w",
        r"\W",
        r"\d",
        ".",
        "[a-c]",
        "[^a]",
        r"(?-u:[^.\n])",
        r"\b",
        r"\B",
        "(?m:^)",
        "(?m:$)",
        "^",
        "$",
        " ",
        "(?i-u:a)",
        // Runs of plain characters whose last one a quantifier takes.
        "ab+",
        "abc?",
        "aé{2}",
        "ba*b",
        "ab{0,2}?a",
    ]);
    let leaf = atom.prop_map(str::to_owned);
    leaf.prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 1..4).prop_map(|v| v.concat()),
            prop::collection::vec(inner.clone(), 2..4).prop_map(|v| format!("(?:{})", v.join("|"))),
            (
                inner.clone(),
                prop::sample::select(vec![
                    "*", "+", "?", "*?", "+?", "??", "{0,3}", "{1,2}?", "{2}"
                ])
            )
                .prop_map(|(p, q)| format!("(?:{p}){q}")),
            inner.prop_map(|p| format!("({p})")),
        ]
    })
}

/// Texts of ASCII characters, for the regexes compiled for them.
fn ascii_text() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop::sample::select(vec!["a", "b", " ", "\n", ".", "1", "_", "A"]),
        0..24,
    )
    .prop_map(|v| v.concat())
}

fn text() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop::sample::select(vec![
            "a", "b", "é", "ж", "日", " ", "\n", ".", "1", "_", "A",
        ]),
        0..24,
    )
    .prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn ascii_regexes_match_like_regex_automata_on_ascii_text(
        pattern in pattern(),
        text in ascii_text(),
    ) {
        let ours = Regex::ascii_with_limit(&pattern, 100_000).expect("compiles");
        let theirs = reference(&pattern);
        let got = ours.as_ref().and_then(|re| re.find_bytes_at(text.as_bytes(), 0));
        let want = theirs.find(text.as_bytes()).map(|m| (m.start(), m.end()));
        prop_assert_eq!(got, want, "pattern {} text {:?}", pattern, text);
        if let Some(slots) = ours.as_ref().and_then(|re| re.captures_bytes_at(text.as_bytes(), 0)) {
            let mut caps = theirs.create_captures();
            theirs.search_captures(&Input::new(text.as_bytes()), &mut caps);
            for group in 0..caps.group_len() {
                let want = caps.get_group(group).map(|s| (s.start, s.end));
                prop_assert_eq!(slots[2 * group].zip(slots[2 * group + 1]), want, "group {}", group);
            }
        }
    }

    #[test]
    fn generated_patterns_match_like_regex_automata(
        pattern in pattern(),
        text in text(),
        from in 0usize..64,
    ) {
        let ours = Regex::new(&pattern).expect("compiles");
        let theirs = reference(&pattern);
        let got = ours.find_bytes_at(text.as_bytes(), 0);
        let want = theirs.find(text.as_bytes()).map(|m| (m.start(), m.end()));
        prop_assert_eq!(got, want, "pattern {} text {:?}", pattern, text);
        // A search from inside the text still sees the text before it (for `\b` and `^`).
        let from = from % (text.len() + 1);
        let got = ours.find_bytes_at(text.as_bytes(), from);
        let want = theirs
            .find(Input::new(text.as_bytes()).range(from..))
            .map(|m| (m.start(), m.end()));
        prop_assert_eq!(got, want, "pattern {} text {:?} from {}", pattern, text, from);
        let mut caps = theirs.create_captures();
        theirs.search_captures(&Input::new(text.as_bytes()), &mut caps);
        if let Some(slots) = ours.captures_bytes_at(text.as_bytes(), 0) {
            for group in 0..caps.group_len() {
                let want = caps.get_group(group).map(|s| (s.start, s.end));
                prop_assert_eq!(slots[2 * group].zip(slots[2 * group + 1]), want, "group {}", group);
            }
        }
    }
}
