//! The embedded rule packs: every example behaves as written, every pattern compiles, and bad
//! packs are refused whole with the file, the rule and the reason.

use promptfence::{Config, Engine, ErrorKind, RulePack};

fn examples_engine() -> Engine {
    let packs = RulePack::embedded_with_examples().expect("embedded packs parse");
    Engine::new(Config {
        rule_packs: packs,
        embedded_rules: false,
        ..Config::default()
    })
    .expect("engine builds from the embedded packs")
}

#[test]
fn every_rule_example_behaves_as_written() {
    let engine = examples_engine();
    let failures = engine.check_examples();
    let report: Vec<String> = failures
        .iter()
        .map(|f| {
            format!(
                "{} ({}): {} {:?}",
                f.rule_id,
                f.source,
                if f.expected_match {
                    "missed"
                } else {
                    "wrongly matched"
                },
                f.text
            )
        })
        .collect();
    assert!(
        report.is_empty(),
        "{} failing examples:\n{}",
        report.len(),
        report.join("\n")
    );
}

#[test]
fn every_rule_has_match_and_no_match_examples() {
    let engine = examples_engine();
    assert!(!engine.rules().is_empty());
    for rule in engine.rules() {
        assert!(
            !rule.examples.matches.is_empty(),
            "{} has no match examples",
            rule.id
        );
        assert!(
            !rule.examples.no_match.is_empty(),
            "{} has no no_match examples",
            rule.id
        );
    }
}

#[test]
fn every_embedded_pattern_compiles() {
    let engine = Engine::with_defaults().expect("default engine");
    engine.warm_up().expect("every embedded regex compiles");
}

#[test]
fn embedded_rules_sit_in_the_file_of_their_category() {
    for pack in RulePack::embedded_with_examples().expect("packs parse") {
        for rule in &pack.rules {
            let file = format!("rules/{}.yaml", rule.category.as_str());
            assert_eq!(pack.source, file, "{} belongs in {file}", rule.id);
            assert!(
                rule.id.starts_with(&format!("{}.", rule.category.as_str())),
                "{} should start with its category",
                rule.id
            );
        }
    }
}

fn refused(yaml: &str) -> String {
    let err = RulePack::from_yaml("custom.yaml", yaml).expect_err("pack must be refused");
    assert_eq!(err.kind(), ErrorKind::InvalidRulePack);
    err.message().to_owned()
}

const GOOD_RULE: &str = "  - id: custom.ok\n    category: injection\n    severity: low\n    description: fine\n    patterns: ['fine']\n";

#[test]
fn invalid_regex_is_refused_with_file_rule_and_reason() {
    let msg = refused(&format!(
        "rules:\n{GOOD_RULE}  - id: custom.bad\n    category: injection\n    severity: high\n    description: d\n    patterns: ['(unclosed']\n"
    ));
    assert!(
        msg.starts_with("custom.yaml: rule custom.bad: invalid pattern"),
        "{msg}"
    );
}

#[test]
fn missing_field_is_refused() {
    let msg = refused("rules:\n  - id: custom.nopat\n    category: injection\n    severity: high\n    description: d\n");
    assert!(
        msg.contains("rule custom.nopat") && msg.contains("patterns"),
        "{msg}"
    );
}

#[test]
fn duplicate_id_is_refused() {
    let msg = refused(&format!("rules:\n{GOOD_RULE}{GOOD_RULE}"));
    assert!(msg.contains("rule custom.ok: duplicate id"), "{msg}");
}

#[test]
fn unknown_category_is_refused() {
    let msg = refused("rules:\n  - id: custom.cat\n    category: spam\n    severity: high\n    description: d\n    patterns: ['x']\n");
    assert!(msg.contains("unknown category `spam`"), "{msg}");
}

#[test]
fn rule_without_id_is_named_by_position() {
    let msg = refused(&format!(
        "rules:\n{GOOD_RULE}  - category: injection\n    severity: high\n    description: d\n    patterns: ['x']\n"
    ));
    assert!(msg.contains("rule #2 (no id)"), "{msg}");
}

#[test]
fn custom_rule_clashing_with_an_embedded_id_is_refused() {
    let pack = RulePack::from_yaml(
        "mine.yaml",
        "rules:\n  - id: injection.override.ignore_previous\n    category: injection\n    severity: low\n    description: d\n    patterns: ['x']\n",
    )
    .expect("pack itself is valid");
    let err = Engine::new(Config {
        rule_packs: vec![pack],
        ..Config::default()
    })
    .expect_err("clash with embedded id");
    assert!(err.message().contains("mine.yaml") && err.message().contains("duplicate id"));
}

#[test]
fn json_pack_loads_like_yaml() {
    let pack = RulePack::parse(
        "p.json",
        r#"{"rules":[{"id":"custom.j","category":"exfiltration","score":80,"description":"d","patterns":["send it to evil"]}]}"#,
    )
    .expect("valid JSON pack");
    assert_eq!(pack.rules[0].score, 80);
    let engine = Engine::new(Config {
        rule_packs: vec![pack],
        ..Config::default()
    })
    .expect("engine");
    let report = engine.scan("now SEND IT TO EVIL please").expect("scan");
    assert!(report.findings.iter().any(|f| f.rule_id == "custom.j"));
}
