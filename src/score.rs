//! Scoring: findings → one risk score 0–100 → a verdict. The strongest finding dominates;
//! findings of other rules corroborate it and raise the score; a disguise raises the score of
//! what it disguises. Data findings (PII, secrets) score on their own scale.

use crate::config::Thresholds;
use crate::finding::{Category, Finding, Severity};
use serde::Serialize;

/// What to do with the text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Allow,
    Warn,
    Block,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Allow => "allow",
            Verdict::Warn => "warn",
            Verdict::Block => "block",
        }
    }

    pub fn from_score(score: u8, thresholds: Thresholds) -> Verdict {
        if score >= thresholds.block {
            Verdict::Block
        } else if score >= thresholds.warn {
            Verdict::Warn
        } else {
            Verdict::Allow
        }
    }
}

/// How much a second, third, ... finding adds, as a share of its own score.
const CORROBORATION: f64 = 0.5;
/// Points an attack finding gains when the text also disguises itself.
const DISGUISE_BONUS: u8 = 10;

/// Score of a finding of the learned model that nothing else supports: it warns under the
/// balanced and fast profiles (and blocks under paranoid).
pub const MODEL_SCORE: u8 = 55;
/// Score of a model finding corroborated by a rule or a disguise: it blocks under every profile.
pub const MODEL_CORROBORATED_SCORE: u8 = 80;

/// Raises the learned model's finding when another attack or obfuscation finding supports it:
/// the model alone only warns, the model and a second, independent signal block.
/// A finding `i` with `discussed[i]` set (the text only quotes or discusses it) does not count.
pub fn corroborate_model(findings: &mut [Finding], discussed: &[bool]) {
    let support = findings
        .iter()
        .enumerate()
        .filter(|(i, f)| !discussed.get(*i).copied().unwrap_or(false) && supports_model(f))
        .map(|(_, f)| f)
        .max_by_key(|f| f.score)
        .map(|f| f.rule_id.clone());
    let Some(support) = support else {
        return;
    };
    for f in findings
        .iter_mut()
        .filter(|f| f.rule_id.starts_with("model."))
    {
        f.score = f.score.max(MODEL_CORROBORATED_SCORE);
        f.severity = Severity::from_score(f.score);
        f.message.push_str(&format!(" (corroborated by {support})"));
    }
}

/// Whether a finding is an attack or disguise signal that can back the learned model: not the
/// model itself, not personal data or secrets, not the truncation notice.
pub fn supports_model(f: &Finding) -> bool {
    !f.rule_id.starts_with("model.") && !f.category.is_data() && f.rule_id != "input.truncated"
}

/// Combines findings into the text's risk score. Personal data neither adds up nor
/// corroborates: an email address in a prompt does not make a weak attack signal stronger,
/// and only the strongest PII finding counts on its own.
pub fn risk_score(findings: &[Finding]) -> u8 {
    let pii = findings
        .iter()
        .filter(|f| f.category == Category::Pii)
        .map(|f| f.score)
        .max()
        .unwrap_or(0);
    let disguised = findings.iter().any(|f| f.category == Category::Obfuscation);
    let mut scores: Vec<u8> = findings
        .iter()
        .filter(|f| f.category != Category::Pii)
        .map(|f| {
            let attack = !f.category.is_data() && f.category != Category::Obfuscation;
            if attack && disguised {
                f.score.saturating_add(DISGUISE_BONUS).min(100)
            } else {
                f.score
            }
        })
        .collect();
    if scores.is_empty() {
        return pii;
    }
    crate::sort::sort_by(&mut scores, |a, b| b.cmp(a));
    let mut clear = 1.0 - f64::from(scores[0]) / 100.0;
    for &s in &scores[1..] {
        clear *= 1.0 - CORROBORATION * f64::from(s) / 100.0;
    }
    let score = (100.0 * (1.0 - clear)).round().clamp(0.0, 100.0) as u8;
    score.max(pii)
}

/// Whether the span sits where a text *talks about* an attack rather than performs it: inside
/// quotes or a code block, in a text that asks about or classifies such things, and not right
/// after a request to output the quoted text ("begin your answer with '...'", "say '...'").
///
/// Whether the text asks about attacks is a property of the whole text: callers work out
/// [`has_meta_cue`] once per scan and pass it as `meta_cue`.
pub fn is_discussion(text: &str, meta_cue: bool, start: usize, end: usize) -> bool {
    meta_cue
        && (inside_quotes(text, start, end) || inside_code_fence(text, start))
        && !asks_to_output_quote(text, start)
}

/// Whether the words just before `start` ask the model to say, print or include what follows.
fn asks_to_output_quote(text: &str, start: usize) -> bool {
    const OUTPUT_VERBS: [&str; 12] = [
        "say",
        "print",
        "output",
        "respond with",
        "reply with",
        "begin",
        "start",
        "include",
        "write",
        "repeat",
        "type",
        "answer with",
    ];
    let mut from = start.saturating_sub(60);
    while !text.is_char_boundary(from) {
        from -= 1;
    }
    let before = crate::lowercase::lower_str(&text[from..start]);
    OUTPUT_VERBS.iter().any(|verb| before.contains(verb))
}

fn inside_code_fence(text: &str, start: usize) -> bool {
    text.get(..start)
        .is_some_and(|before| before.matches("```").count() % 2 == 1)
}

fn inside_quotes(text: &str, start: usize, end: usize) -> bool {
    let (Some(before), Some(after)) = (text.get(..start), text.get(end..)) else {
        return false;
    };
    const PAIRS: [(char, char); 5] = [
        ('"', '"'),
        ('“', '”'),
        ('«', '»'),
        ('「', '」'),
        ('\'', '\''),
    ];
    let line_before = before.rsplit('\n').next().unwrap_or("");
    let line_after = after.split('\n').next().unwrap_or("");
    PAIRS.iter().any(|&(open, close)| {
        let opened = if open == close {
            line_before.matches(open).count() % 2 == 1
        } else {
            match (line_before.rfind(open), line_before.rfind(close)) {
                (Some(o), Some(c)) => o > c,
                (Some(_), None) => true,
                _ => false,
            }
        };
        opened && line_after.contains(close)
    })
}

/// Words of a text that asks about, explains or classifies attacks. Kept narrow on purpose:
/// injected documents often contain words like "explain" or "for example" too.
pub fn has_meta_cue(lowered: &str) -> bool {
    const CUES: [&str; 16] = [
        "what is",
        "what are",
        "what does",
        "example of",
        "examples of",
        "is this a",
        "is this an",
        "classify",
        "detect",
        "is called",
        "known as",
        "what kind of",
        "how do attackers",
        "prompt injection",
        "jailbreak prompt",
        "why do",
    ];
    CUES.iter().any(|cue| lowered.contains(cue))
}
