//! Validated PII and secrets: what is found (rule id, span), what is refused, and the default
//! policy (PII alone never flags; secrets warn; private keys and live cloud keys block).

use promptfence::dlp::{self, corpus, EntityKind};
use promptfence::{Category, Engine, Verdict};

fn kinds(text: &str) -> Vec<(EntityKind, String)> {
    dlp::detect(text)
        .iter()
        .map(|e| (e.kind, e.value(text).to_owned()))
        .collect()
}

fn found(text: &str, kind: EntityKind, value: &str) {
    let k = kinds(text);
    assert!(
        k.contains(&(kind, value.to_owned())),
        "expected {kind:?} `{value}` in {text:?}, found {k:?}"
    );
}

fn nothing(text: &str) {
    let k = kinds(text);
    assert!(k.is_empty(), "expected nothing in {text:?}, found {k:?}");
}

#[test]
fn email_is_found_with_its_span() {
    let text = "write to jane.doe+news@mail.example.co.uk today";
    let e = dlp::detect(text);
    assert_eq!(e.len(), 1);
    assert_eq!(e[0].kind, EntityKind::Email);
    assert_eq!(
        &text[e[0].span.start..e[0].span.end],
        "jane.doe+news@mail.example.co.uk"
    );
}

#[test]
fn file_names_and_package_specs_are_not_emails() {
    nothing("see icon@2x.png and @types/node@20.11.5");
}

#[test]
fn luhn_valid_card_is_found_and_luhn_invalid_card_is_ignored() {
    found(
        "card 4539 1488 0343 6467 exp 10/27",
        EntityKind::CreditCard,
        "4539 1488 0343 6467",
    );
    nothing("card 4539 1488 0343 6468 exp 10/27");
}

#[test]
fn order_numbers_are_not_cards() {
    nothing("Order #4539148803436467 shipped");
    nothing("order number 4539 1488 0343 6467");
}

#[test]
fn iban_needs_the_country_length_and_mod97() {
    found(
        "IBAN DE89 3704 0044 0532 0130 00.",
        EntityKind::Iban,
        "DE89 3704 0044 0532 0130 00",
    );
    found(
        "GB82WEST12345698765432",
        EntityKind::Iban,
        "GB82WEST12345698765432",
    );
    nothing("IBAN DE88 3704 0044 0532 0130 00");
    nothing("DE89 3704 0044 0532 0130 0");
}

#[test]
fn ssn_never_issued_ranges_are_refused() {
    found("SSN 536-22-1234", EntityKind::Ssn, "536-22-1234");
    for bad in [
        "000-12-3456",
        "666-12-3456",
        "912-12-3456",
        "123-00-4567",
        "123-45-0000",
        "078-05-1120",
    ] {
        nothing(&format!("number {bad}"));
    }
    nothing("536221234 items");
    found("ssn: 536221234", EntityKind::Ssn, "536221234");
}

#[test]
fn phone_numbers_follow_country_digit_rules() {
    found(
        "call +44 20 7946 0958",
        EntityKind::Phone,
        "+44 20 7946 0958",
    );
    found("call (415) 555-0132", EntityKind::Phone, "(415) 555-0132");
    found("Tel. 01 42 68 53 00", EntityKind::Phone, "01 42 68 53 00");
    // US area codes do not start with 0 or 1; bare digit runs need a phone word.
    nothing("code 123-456-7890");
    nothing("population 4155550132");
    found("phone: 4155550132", EntityKind::Phone, "4155550132");
}

#[test]
fn uuids_hashes_versions_and_timestamps_are_not_entities() {
    nothing("id 550e8400-e29b-41d4-a716-446655440000 ok");
    nothing("commit 3f786850e387550fdab836ed7e6dc881de23001b");
    nothing("at 2024-01-15T10:30:00.123Z build 1.2.3.4 version 10.0.0.1");
    nothing("ISBN 978-3-16-148410-0");
}

#[test]
fn ip_addresses_are_labelled_private_or_loopback_and_scored_lower() {
    let text = "from 8.8.8.8 via 192.168.1.1 and ::1";
    let e = dlp::detect(text);
    assert_eq!(e.len(), 3, "{e:?}");
    assert_eq!(
        (e[0].label, e[1].label, e[2].label),
        ("", "private", "loopback")
    );
    assert!(e[1].score < e[0].score);
}

#[test]
fn provider_tokens_are_found_and_example_values_are_labelled() {
    found(
        "key AKIAZ3MHJZ7Q5R2XK4TA here",
        EntityKind::AwsAccessKeyId,
        "AKIAZ3MHJZ7Q5R2XK4TA",
    );
    let e = dlp::detect("AKIAIOSFODNN7EXAMPLE");
    assert_eq!(e[0].label, "example");
    assert!(e[0].score <= 15);
    found(
        "GITHUB_TOKEN=ghp_a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8",
        EntityKind::GithubToken,
        "ghp_a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8",
    );
    nothing("pip install scikit-learn; sk-learn is not a key");
}

#[test]
fn jwt_header_must_decode_to_json_with_alg() {
    let good = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U";
    found(&format!("Bearer {good}"), EntityKind::Jwt, good);
    // Header {"typ":"JWT"}: no alg.
    nothing("eyJ0eXAiOiJKV1QifQ.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U");
}

#[test]
fn password_assignments_are_gated_by_entropy_and_placeholders() {
    found(
        "DB_PASSWORD=\"q8Zr!x2LmP0v\"",
        EntityKind::PasswordAssignment,
        "q8Zr!x2LmP0v",
    );
    nothing("password = changeme");
    nothing("api_key: ${OPENAI_API_KEY}");
    nothing("max_tokens: 4096");
    nothing("that would get you 5 tokens:  ChatGPT: how do I");
}

#[test]
fn pem_private_key_block_is_one_entity_and_blocks() {
    let body = "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gunVTLw7onLRnrq0";
    let text = format!("-----BEGIN RSA PRIVATE KEY-----\n{body}\n-----END RSA PRIVATE KEY-----\n");
    let e = dlp::detect(&text);
    assert_eq!(e.len(), 1);
    assert_eq!(e[0].kind, EntityKind::PrivateKey);
    assert_eq!(e[0].span.end, text.len() - 1);
    let report = Engine::with_defaults().unwrap().scan(&text).unwrap();
    assert_eq!(report.verdict, Verdict::Block);
}

#[test]
fn pii_alone_never_flags_a_prompt() {
    let engine = Engine::with_defaults().unwrap();
    let text = "Hi, I'm Jane (jane@acme.io, +1 415 555 0132, SSN 536-22-1234, card 4539 1488 0343 6467, IBAN DE89 3704 0044 0532 0130 00). Can you draft a cover letter?";
    let report = engine.scan(text).unwrap();
    assert_eq!(report.verdict, Verdict::Allow, "{report:?}");
    let pii: Vec<&str> = report
        .findings
        .iter()
        .filter(|f| f.category == Category::Pii)
        .map(|f| f.rule_id.as_str())
        .collect();
    for id in [
        "pii.email",
        "pii.phone",
        "pii.ssn",
        "pii.credit_card",
        "pii.iban",
    ] {
        assert!(pii.contains(&id), "{id} missing from {pii:?}");
    }
}

#[test]
fn secrets_warn() {
    let engine = Engine::with_defaults().unwrap();
    let report = engine
        .scan("why does this fail? export GITHUB_TOKEN=ghp_a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8")
        .unwrap();
    assert_eq!(report.verdict, Verdict::Warn);
    assert_eq!(report.findings[0].rule_id, "secret.github_token");
    assert_eq!(report.findings[0].category, Category::Secret);
}

#[test]
fn dlp_can_be_turned_off() {
    let engine = Engine::new(promptfence::Config {
        dlp: false,
        ..promptfence::Config::default()
    })
    .unwrap();
    let report = engine.scan("mail jane@acme.io").unwrap();
    assert!(report.findings.iter().all(|f| !f.category.is_data()));
}

#[test]
fn detection_is_linear_on_long_digit_and_address_runs() {
    // Candidates restart inside refused ones; this must stay fast on hostile input.
    let text = "1 ".repeat(50_000) + &"a.".repeat(50_000) + &"@".repeat(10_000);
    let started = std::time::Instant::now();
    let _ = dlp::detect(&text);
    assert!(started.elapsed().as_secs() < 10);
}

/// Acceptance: entity-level precision ≥ 0.98 and recall ≥ 0.95 on tests/data/entities.jsonl,
/// computed as `promptfence eval` computes it.
#[test]
fn entity_corpus_meets_precision_and_recall_targets() {
    let raw = include_str!("data/entities.jsonl");
    assert!(corpus::is_entity_corpus(raw));
    let cases = corpus::parse(raw).unwrap();
    let positives = cases.iter().filter(|c| !c.entities.is_empty()).count();
    let negatives = cases.len() - positives;
    assert!(cases.len() >= 150, "{} cases", cases.len());
    assert!(negatives >= 60, "{negatives} near-miss negatives");
    let result = corpus::score(&Engine::with_defaults().unwrap(), &cases);
    let errors: Vec<String> = result
        .errors
        .iter()
        .map(|e| {
            format!(
                "{} {} {:?}",
                if e.spurious { "spurious" } else { "missed" },
                e.entity.kind,
                e.entity.value
            )
        })
        .collect();
    assert!(
        result.total.precision() >= 0.98,
        "precision {} {errors:?}",
        result.total.precision()
    );
    assert!(
        result.total.recall() >= 0.95,
        "recall {} {errors:?}",
        result.total.recall()
    );
}
