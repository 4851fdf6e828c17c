//! Redaction: placeholders with stable numbering, per-kind modes, a vault that survives JSON
//! and restores values, also when a placeholder is split across stream chunks.

use promptfence::{Config, Engine, EntityKind, RedactMode, RedactionPolicy, Vault};
use proptest::prelude::*;

fn engine_with(policy: RedactionPolicy) -> Engine {
    Engine::new(Config {
        redaction: policy,
        ..Config::default()
    })
    .unwrap()
}

#[test]
fn same_value_keeps_its_placeholder_across_turns() {
    let engine = Engine::with_defaults().unwrap();
    let mut vault = Vault::new();
    let first = engine
        .redact(
            "a@acme.io and b@acme.io, card 4539 1488 0343 6467",
            &mut vault,
        )
        .unwrap();
    assert_eq!(first.text, "[EMAIL_1] and [EMAIL_2], card [CREDIT_CARD_1]");
    let second = engine.redact("again: b@acme.io", &mut vault).unwrap();
    assert_eq!(second.text, "again: [EMAIL_2]");
}

#[test]
fn placeholder_already_in_the_text_is_not_reused() {
    let engine = Engine::with_defaults().unwrap();
    let mut vault = Vault::new();
    let text = "literal [EMAIL_1] then a@acme.io";
    let r = engine.redact(text, &mut vault).unwrap();
    assert_eq!(r.text, "literal [EMAIL_1] then [EMAIL_2]");
    assert_eq!(vault.unmask(&r.text), text);
}

#[test]
fn per_kind_modes_hash_remove_and_leave() {
    let engine = engine_with(RedactionPolicy {
        default_mode: RedactMode::Remove,
        modes: vec![
            (EntityKind::Email, RedactMode::Hash),
            (EntityKind::IpAddress, RedactMode::Leave),
        ],
        hash_key: [7; 16],
    });
    let mut vault = Vault::new();
    let r = engine
        .redact("mail a@acme.io from 10.0.0.1 ssn 536-22-1234.", &mut vault)
        .unwrap();
    assert!(r.text.starts_with("mail [EMAIL_"), "{}", r.text);
    assert!(r.text.ends_with(" from 10.0.0.1 ssn ."), "{}", r.text);
    // Hash placeholders depend on the key only, not on the vault.
    let again = engine.redact("a@acme.io", &mut Vault::new()).unwrap();
    assert!(r.text.contains(&again.text));
    assert_eq!(vault.unmask(&again.text), "a@acme.io");
}

#[test]
fn vault_survives_json_and_unmasks_the_answer() {
    let engine = Engine::with_defaults().unwrap();
    let mut vault = Vault::new();
    let r = engine
        .redact("Call +44 20 7946 0958 please", &mut vault)
        .unwrap();
    assert_eq!(r.text, "Call [PHONE_1] please");
    let restored = Vault::from_json(&vault.to_json()).unwrap();
    assert_eq!(
        restored.unmask("I called [PHONE_1]."),
        "I called +44 20 7946 0958."
    );
    assert!(Vault::from_json("not json").is_err());
}

#[test]
fn vault_json_keeps_the_numbers_as_an_object_sorted_by_label() {
    let engine = Engine::with_defaults().unwrap();
    let mut vault = Vault::new();
    engine
        .redact(
            "Call +44 20 7946 0958, mail a@acme.io or b@acme.io",
            &mut vault,
        )
        .unwrap();
    let json: serde_json::Value = serde_json::from_str(&vault.to_json()).unwrap();
    assert_eq!(
        json["numbers"],
        serde_json::json!({ "EMAIL": 2, "PHONE": 1 })
    );
    // In the text itself too, labels in order (serde_json's own map would sort them anyway).
    assert!(
        vault
            .to_json()
            .contains(r#""numbers":{"EMAIL":2,"PHONE":1}"#),
        "{}",
        vault.to_json()
    );
    // Read back, numbering goes on where it stopped; a label written twice keeps its last
    // number, as a map's would.
    let mut restored = Vault::from_json(&vault.to_json()).unwrap();
    assert_eq!(restored, vault);
    let next = engine.redact("and c@acme.io", &mut restored).unwrap();
    assert_eq!(next.text, "and [EMAIL_3]");
    let twice = r#"{"entries":[],"numbers":{"EMAIL":1,"EMAIL":4}}"#;
    let mut from_twice = Vault::from_json(twice).unwrap();
    let r = engine.redact("x@acme.io", &mut from_twice).unwrap();
    assert_eq!(r.text, "[EMAIL_5]");
}

#[test]
fn split_placeholder_is_unmasked_in_a_stream() {
    let engine = Engine::with_defaults().unwrap();
    let mut vault = Vault::new();
    engine.redact("a@acme.io", &mut vault).unwrap();
    let mut u = vault.unmasker();
    let mut out = u.push("Sent to [EMA");
    assert_eq!(out, "Sent to ");
    out.push_str(&u.push("IL_1] and [not a placeholder"));
    out.push_str(&u.finish());
    assert_eq!(out, "Sent to a@acme.io and [not a placeholder");
}

fn entity() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("jane.doe@acme.io".to_owned()),
        Just("+44 20 7946 0958".to_owned()),
        Just("4539 1488 0343 6467".to_owned()),
        Just("DE89 3704 0044 0532 0130 00".to_owned()),
        Just("536-22-1234".to_owned()),
        Just("8.8.8.8".to_owned()),
        Just("ghp_a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8".to_owned()),
        Just("[EMAIL_1]".to_owned()),
    ]
}

fn filler() -> impl Strategy<Value = String> {
    "[ a-zA-Z0-9.,:\\[\\]_\\n-]{0,12}"
}

fn texts() -> impl Strategy<Value = String> {
    prop::collection::vec((filler(), entity()), 0..6).prop_map(|parts| {
        parts.into_iter().fold(String::new(), |mut s, (f, e)| {
            s.push_str(&f);
            s.push(' ');
            s.push_str(&e);
            s.push(' ');
            s
        })
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn unmask_of_redact_is_the_original_text(text in texts(), hash in any::<bool>()) {
        let engine = engine_with(RedactionPolicy {
            default_mode: if hash { RedactMode::Hash } else { RedactMode::Mask },
            ..RedactionPolicy::default()
        });
        let mut vault = Vault::new();
        let r = engine.redact(&text, &mut vault).unwrap();
        prop_assert_eq!(vault.unmask(&r.text), text.clone());
        // And through the streaming unmasker, cut anywhere.
        let cut = r.text.len() / 3;
        let cut = (cut..=r.text.len()).find(|&i| r.text.is_char_boundary(i)).unwrap_or(r.text.len());
        let mut u = vault.unmasker();
        let mut streamed = u.push(&r.text[..cut]);
        streamed.push_str(&u.push(&r.text[cut..]));
        streamed.push_str(&u.finish());
        prop_assert_eq!(streamed, text);
    }
}
