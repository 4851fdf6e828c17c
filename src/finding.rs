//! What a scan reports: findings, each explaining itself, with spans in the original text.

use serde::Serialize;
use std::fmt;

/// The kind of threat or sensitive data a finding is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// Instruction override, fake turns and delimiters, instructions hidden in content.
    Injection,
    /// Personas and framings used to lift the model's rules.
    Jailbreak,
    /// Attempts to extract the system prompt or its secrets.
    PromptLeak,
    /// Attempts to get data out: URLs, webhooks, markdown images, other users' data.
    Exfiltration,
    /// Shell, SQL, template and script payloads aimed at tool-using agents.
    CodeInjection,
    /// The disguise itself: invisible characters, homoglyphs, encodings, spaced letters.
    Obfuscation,
    /// Personal data (email, phone, card, IBAN, SSN, IP address).
    Pii,
    /// Credentials and keys.
    Secret,
}

impl Category {
    /// Every category, in a fixed order.
    pub const ALL: [Category; 8] = [
        Category::Injection,
        Category::Jailbreak,
        Category::PromptLeak,
        Category::Exfiltration,
        Category::CodeInjection,
        Category::Obfuscation,
        Category::Pii,
        Category::Secret,
    ];

    /// The name used in rule packs and reports (`prompt_leak`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Injection => "injection",
            Category::Jailbreak => "jailbreak",
            Category::PromptLeak => "prompt_leak",
            Category::Exfiltration => "exfiltration",
            Category::CodeInjection => "code_injection",
            Category::Obfuscation => "obfuscation",
            Category::Pii => "pii",
            Category::Secret => "secret",
        }
    }

    /// Parses a category name as written in rule packs.
    pub fn parse(name: &str) -> Option<Category> {
        Category::ALL.into_iter().find(|c| c.as_str() == name)
    }

    /// Whether findings of this category are about data to protect rather than an attack.
    pub fn is_data(self) -> bool {
        matches!(self, Category::Pii | Category::Secret)
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How serious a finding is; each level has a default score.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    /// The name used in rule packs and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    /// Parses a severity name as written in rule packs.
    pub fn parse(name: &str) -> Option<Severity> {
        [
            Severity::Low,
            Severity::Medium,
            Severity::High,
            Severity::Critical,
        ]
        .into_iter()
        .find(|s| s.as_str() == name)
    }

    /// The score a rule of this severity gets when it does not set one.
    pub fn default_score(self) -> u8 {
        match self {
            Severity::Low => 30,
            Severity::Medium => 55,
            Severity::High => 75,
            Severity::Critical => 92,
        }
    }

    /// The severity that a score falls into.
    pub fn from_score(score: u8) -> Severity {
        match score {
            0..=39 => Severity::Low,
            40..=69 => Severity::Medium,
            70..=89 => Severity::High,
            _ => Severity::Critical,
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A half-open range `[start, end)` in the original text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Span {
        Span { start, end }
    }

    pub fn len(&self) -> usize {
        self.end.saturating_sub(self.start)
    }

    pub fn is_empty(&self) -> bool {
        self.end <= self.start
    }
}

/// One reason a text was flagged.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Finding {
    /// The stable id of the rule or detector (`injection.override.ignore_previous`).
    pub rule_id: String,
    pub category: Category,
    pub severity: Severity,
    /// This finding's score, 0–100, after context adjustments (obfuscation, discussion).
    pub score: u8,
    /// Byte offsets in the original text.
    pub span: Span,
    /// UTF-16 code-unit offsets in the original text, for JavaScript callers.
    pub span_utf16: Span,
    /// The matched text as it appears in the original (shortened when long).
    pub excerpt: String,
    /// The view of the text the match was found in (`normalized`, `skeleton`, `base64`, ...).
    pub view: &'static str,
    /// Why this was flagged, in a sentence.
    pub message: String,
}
