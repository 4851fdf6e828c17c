//! Data-loss prevention: personal data (`pii`) and credentials (`secret`) found in a text, each
//! confirmed by a validator rather than by its shape alone (Luhn for cards, mod-97 for IBANs,
//! digit-count rules per country for phones, key formats and entropy for secrets).
//!
//! Every detector is a linear-time `regex` search for candidates followed by hand-written
//! checks of the characters around the candidate and of its content: the `regex` crate has no
//! look-around, so "not inside a longer run of digits" is checked in code.
//!
//! # Default policy
//!
//! * **PII alone never flags a prompt.** Every PII finding scores below 30, and only the
//!   strongest PII finding counts towards a text's risk score, so a prompt with an email, a
//!   phone number or a card number stays `allow` in the balanced profile (warn at 40). PII is
//!   meant to be *redacted* ([`crate::Engine::redact`]).
//! * **Secrets warn.** API tokens, JWTs and `password=` assignments score 45–65: `warn`.
//! * **Private keys and live cloud credentials block.** PEM private-key blocks, AWS secret
//!   access keys and access key ids, and Stripe live keys score 72–85: `block`.
//! * **Known example and test values** (`AKIAIOSFODNN7EXAMPLE`, Stripe test keys, documented
//!   test card numbers) are still reported, labelled `example`/`test`, with a score of 10–15.

mod card;
pub mod corpus;
mod iban;
mod phone;
mod pii;
mod secrets;

use crate::finding::{Category, Finding, Severity, Span};
use crate::normalize::bytes::{count_bytes, has_run};
use serde::{Deserialize, Serialize};

/// The kind of sensitive value an [`Entity`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntityKind {
    Email,
    Phone,
    CreditCard,
    Iban,
    Ssn,
    IpAddress,
    AwsAccessKeyId,
    AwsSecretAccessKey,
    GithubToken,
    OpenaiKey,
    AnthropicKey,
    SlackToken,
    StripeKey,
    GoogleApiKey,
    Jwt,
    PrivateKey,
    PasswordAssignment,
}

impl EntityKind {
    /// Every kind, in a fixed order.
    pub const ALL: [EntityKind; 17] = [
        EntityKind::Email,
        EntityKind::Phone,
        EntityKind::CreditCard,
        EntityKind::Iban,
        EntityKind::Ssn,
        EntityKind::IpAddress,
        EntityKind::AwsAccessKeyId,
        EntityKind::AwsSecretAccessKey,
        EntityKind::GithubToken,
        EntityKind::OpenaiKey,
        EntityKind::AnthropicKey,
        EntityKind::SlackToken,
        EntityKind::StripeKey,
        EntityKind::GoogleApiKey,
        EntityKind::Jwt,
        EntityKind::PrivateKey,
        EntityKind::PasswordAssignment,
    ];

    /// The name used in finding ids, entity corpora and redaction policies (`credit_card`).
    pub fn as_str(self) -> &'static str {
        match self {
            EntityKind::Email => "email",
            EntityKind::Phone => "phone",
            EntityKind::CreditCard => "credit_card",
            EntityKind::Iban => "iban",
            EntityKind::Ssn => "ssn",
            EntityKind::IpAddress => "ip_address",
            EntityKind::AwsAccessKeyId => "aws_access_key_id",
            EntityKind::AwsSecretAccessKey => "aws_secret_access_key",
            EntityKind::GithubToken => "github_token",
            EntityKind::OpenaiKey => "openai_key",
            EntityKind::AnthropicKey => "anthropic_key",
            EntityKind::SlackToken => "slack_token",
            EntityKind::StripeKey => "stripe_key",
            EntityKind::GoogleApiKey => "google_api_key",
            EntityKind::Jwt => "jwt",
            EntityKind::PrivateKey => "private_key",
            EntityKind::PasswordAssignment => "password_assignment",
        }
    }

    /// Parses a kind name (`credit_card`).
    pub fn parse(name: &str) -> Option<EntityKind> {
        EntityKind::ALL.into_iter().find(|k| k.as_str() == name)
    }

    /// `pii` or `secret`.
    pub fn category(self) -> Category {
        match self {
            EntityKind::Email
            | EntityKind::Phone
            | EntityKind::CreditCard
            | EntityKind::Iban
            | EntityKind::Ssn
            | EntityKind::IpAddress => Category::Pii,
            _ => Category::Secret,
        }
    }

    /// The id of findings of this kind (`pii.email`, `secret.github_token`).
    pub fn rule_id(self) -> String {
        format!("{}.{}", self.category().as_str(), self.as_str())
    }

    /// What the kind is, for messages.
    fn describe(self) -> &'static str {
        match self {
            EntityKind::Email => "an email address",
            EntityKind::Phone => "a phone number",
            EntityKind::CreditCard => "a payment card number (IIN and Luhn check pass)",
            EntityKind::Iban => "an IBAN (length and mod-97 check pass)",
            EntityKind::Ssn => "a US social security number",
            EntityKind::IpAddress => "an IP address",
            EntityKind::AwsAccessKeyId => "an AWS access key id",
            EntityKind::AwsSecretAccessKey => "an AWS secret access key",
            EntityKind::GithubToken => "a GitHub token",
            EntityKind::OpenaiKey => "an OpenAI API key",
            EntityKind::AnthropicKey => "an Anthropic API key",
            EntityKind::SlackToken => "a Slack token",
            EntityKind::StripeKey => "a Stripe secret key",
            EntityKind::GoogleApiKey => "a Google API key",
            EntityKind::Jwt => "a JSON Web Token",
            EntityKind::PrivateKey => "a PEM private key block",
            EntityKind::PasswordAssignment => "a hard-coded password or secret",
        }
    }
}

/// One validated sensitive value in a text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Entity {
    pub kind: EntityKind,
    /// Byte offsets of the value in the text.
    pub span: Span,
    /// Score the finding gets (see the policy in the module documentation).
    pub score: u8,
    /// A qualifier: `private`, `loopback`, `example`, `test`, `visa`, `us`, ... (empty if none).
    pub label: &'static str,
}

impl Entity {
    fn new(kind: EntityKind, start: usize, end: usize, score: u8, label: &'static str) -> Entity {
        Entity {
            kind,
            span: Span::new(start, end),
            score,
            label,
        }
    }

    /// The value as written in `text` (the text the entity was found in).
    pub fn value<'t>(&self, text: &'t str) -> &'t str {
        text.get(self.span.start..self.span.end).unwrap_or("")
    }

    /// The finding reported for this entity.
    pub fn to_finding(&self) -> Finding {
        let label = if self.label.is_empty() {
            String::new()
        } else {
            format!(" ({})", self.label)
        };
        Finding {
            rule_id: self.kind.rule_id(),
            category: self.kind.category(),
            severity: Severity::from_score(self.score),
            score: self.score,
            span: self.span,
            span_utf16: self.span,
            excerpt: String::new(),
            view: "original",
            message: format!("contains {}{label}", self.kind.describe()),
        }
    }
}

/// Longest entity span any detector reports, in bytes (PEM blocks are the longest). A stream
/// scanner keeps this much text, plus [`CONTEXT_BYTES`] on each side, between chunks.
pub const MAX_ENTITY_BYTES: usize = secrets::MAX_PEM_BYTES;
/// How far before and after a value the detectors look (context words, boundaries).
pub const CONTEXT_BYTES: usize = 64;

/// Finds every validated entity in `text`, in order of position, without overlaps.
pub fn detect(text: &str) -> Vec<Entity> {
    let mut found = Vec::new();
    // Numbers need digits: most texts have too few for a card, an SSN or a phone number, and
    // counting them is much cheaper than running the patterns.
    let b = text.as_bytes();
    let digits = count_bytes(b, |b| b.is_ascii_digit());
    // Each candidate pattern spans a run of bytes of a few classes: no such run, no candidate
    // (a megabyte of base64 has digits enough for every number detector, and no such run).
    let digit_or = |extra: &'static [u8]| move |c: u8| c.is_ascii_digit() || extra.contains(&c);
    // Order is priority: on overlap, the earlier detector's entity is kept.
    secrets::detect(text, &mut found);
    // `[0-9](?:[ \-]?[0-9]){11,18}`
    if digits >= 12 && has_run(b, 12, digit_or(b" -")) {
        card::detect(text, &mut found);
    }
    // `[A-Z]{2}[0-9]{2}`
    if digits >= 4 && has_run(b, 4, |c| c.is_ascii_uppercase() || c.is_ascii_digit()) {
        iban::detect(text, &mut found);
    }
    // `[0-9]{3}[- ][0-9]{2}[- ][0-9]{4}|[0-9]{9}`
    if digits >= 9 && has_run(b, 9, digit_or(b" -")) {
        pii::detect_ssn(text, &mut found);
    }
    if text.contains('@') {
        pii::detect_email(text, &mut found);
    }
    // `[0-9][0-9 .\-()]{5,22}[0-9]` after an optional `+` and `(`
    if digits >= 7 && has_run(b, 7, digit_or(b" .-()")) {
        phone::detect(text, &mut found);
    }
    // IPv4 has dots, IPv6 colons.
    if digits >= 1 && (text.contains('.') || text.contains(':')) {
        pii::detect_ip(text, &mut found);
    }
    secrets::detect_assignments(text, &mut found);
    // Kept spans never overlap, so ordered by start they are also ordered by end: the kept
    // span starting last before `e` ends is the only one that can overlap it.
    let mut kept: Vec<Entity> = Vec::new();
    for e in found {
        let before_end = kept.partition_point(|k| k.span.start < e.span.end);
        let overlaps = before_end > 0 && kept[before_end - 1].span.end > e.span.start;
        if !overlaps {
            let at = kept.partition_point(|k| k.span.start < e.span.start);
            // An empty span at the start of a kept one takes its place, as a map keyed by
            // start would have it.
            if kept.get(at).is_some_and(|k| k.span.start == e.span.start) {
                kept[at] = e;
            } else {
                kept.insert(at, e);
            }
        }
    }
    kept
}

/// Findings for every entity in `text`.
pub fn findings(text: &str) -> Vec<Finding> {
    detect(text).iter().map(Entity::to_finding).collect()
}

// ---- helpers shared by the detectors ----

/// The character before byte `i`.
pub(crate) fn char_before(text: &str, i: usize) -> Option<char> {
    text.get(..i)?.chars().next_back()
}

/// The character at byte `i`.
pub(crate) fn char_at(text: &str, i: usize) -> Option<char> {
    text.get(i..)?.chars().next()
}

/// Whether `text[start..end]` stands alone: no letter, digit or `_` touches it, and it is not
/// continued by a separator and a digit (`123-4567` in `99-123-4567`, `1.2.3.4` in `1.2.3.4.5`).
pub(crate) fn stands_alone(text: &str, start: usize, end: usize) -> bool {
    let glued = |c: Option<char>| c.is_some_and(|c| crate::chars::is_alphanumeric(c) || c == '_');
    let before = char_before(text, start);
    let after = char_at(text, end);
    if glued(before) || glued(after) {
        return false;
    }
    let joiner = |c: Option<char>| matches!(c, Some('-' | '.' | '/' | ':' | '+'));
    if joiner(before) && char_before(text, start - 1).is_some_and(|c| c.is_ascii_alphanumeric()) {
        return false;
    }
    if joiner(after) && char_at(text, end + 1).is_some_and(|c| c.is_ascii_alphanumeric()) {
        return false;
    }
    true
}

/// Whether `text[start..end]` continues a run of digit groups (`6290 0400 6103 4057`: the
/// last three groups are not a phone number of their own).
pub(crate) fn inside_digit_groups(text: &str, start: usize, end: usize) -> bool {
    let sep = |c: Option<char>| matches!(c, Some(' ' | '-' | '.'));
    let digit = |c: Option<char>| c.is_some_and(|c| c.is_ascii_digit());
    (sep(char_before(text, start))
        && digit(start.checked_sub(1).and_then(|i| char_before(text, i))))
        || (sep(char_at(text, end)) && digit(char_at(text, end + 1)))
}

/// The lower-cased text in the `width` bytes before `start` (cut at a character boundary).
pub(crate) fn before_lower(text: &str, start: usize, width: usize) -> String {
    let mut from = start.saturating_sub(width);
    while from > 0 && !text.is_char_boundary(from) {
        from -= 1;
    }
    crate::lowercase::lower_str(text.get(from..start).unwrap_or(""))
}

/// Whether one of `words` occurs in the `width` bytes before `start`.
pub(crate) fn context_has(text: &str, start: usize, width: usize, words: &[&str]) -> bool {
    let before = before_lower(text, start, width);
    words.iter().any(|w| before.contains(w))
}

/// Words that say the number that follows is a reference, not personal data.
pub(crate) const REFERENCE_WORDS: [&str; 14] = [
    "order",
    "invoice",
    "isbn",
    "tracking",
    "ticket",
    "ref",
    "sku",
    "#",
    "serial",
    "build",
    "version",
    "txn",
    "transaction",
    "issue",
];

/// Shannon entropy of `s` in bits per character.
pub(crate) fn entropy(s: &str) -> f64 {
    let mut counts = [0u32; 256];
    let mut n = 0u32;
    for b in s.bytes() {
        counts[usize::from(b)] += 1;
        n += 1;
    }
    if n == 0 {
        return 0.0;
    }
    let n = f64::from(n);
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = f64::from(c) / n;
            -p * p.log2()
        })
        .sum()
}

/// Runs `re` over `text`, giving each candidate to `accept`. After an accepted candidate the
/// search continues at its end; after a refused one, at the next character, so that a valid
/// value starting inside a refused candidate is still found. Candidates are bounded in
/// length, so this stays linear in the text for a fixed set of patterns.
pub(crate) fn each_candidate(
    re: &crate::re::Regex,
    text: &str,
    mut accept: impl FnMut(crate::re::Match<'_>) -> bool,
) {
    let mut from = 0;
    while from <= text.len() {
        let Some(m) = re.find_at(text, from) else {
            break;
        };
        from = if accept(m) && m.end() > m.start() {
            m.end()
        } else {
            m.start() + char_at(text, m.start()).map_or(1, char::len_utf8)
        };
    }
}
