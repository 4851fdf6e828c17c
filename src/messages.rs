//! Chat transcripts: each message is scanned according to who wrote it. System text is the
//! application's own and trusted; user text is scanned as is; tool results and retrieved
//! documents are where indirect injection hides, so attacks found there weigh more; earlier
//! assistant turns weigh less.

use crate::engine::{Engine, Report};
use crate::error::{Error, ErrorKind};
use crate::score::{self, Verdict};
use serde::{Deserialize, Serialize};

/// Who wrote a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// The application's own instructions (also `developer`): trusted, not scanned.
    System,
    User,
    Assistant,
    /// Tool and function results, retrieved documents, web pages: untrusted content.
    Tool,
}

impl Role {
    /// Parses a role as OpenAI- and Anthropic-style APIs name it.
    pub fn parse(name: &str) -> Result<Role, Error> {
        match name {
            "system" | "developer" => Ok(Role::System),
            "user" | "human" => Ok(Role::User),
            "assistant" | "model" => Ok(Role::Assistant),
            "tool" | "function" | "document" | "retrieved" => Ok(Role::Tool),
            other => Err(Error::new(
                ErrorKind::InvalidInput,
                format!("unknown message role `{other}` (expected system, developer, user, assistant, tool or function)"),
            )),
        }
    }

    /// Points added to (or, negative, taken from) attack findings in messages of this role.
    fn weight(self) -> i16 {
        match self {
            Role::System => 0,
            Role::User => 0,
            Role::Assistant => -20,
            Role::Tool => 10,
        }
    }
}

/// One message of a transcript.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    pub role: Role,
    pub content: String,
}

impl Message {
    pub fn new(role: Role, content: impl Into<String>) -> Message {
        Message {
            role,
            content: content.into(),
        }
    }
}

/// The report of one message within a transcript.
#[derive(Clone, Debug, Serialize)]
pub struct MessageReport {
    /// Position of the message in the transcript.
    pub index: usize,
    pub role: Role,
    /// `None` for system messages, which are trusted and not scanned.
    pub report: Option<Report>,
}

/// The result of scanning a transcript: the strongest message decides.
#[derive(Clone, Debug, Serialize)]
pub struct TranscriptReport {
    pub verdict: Verdict,
    pub score: u8,
    pub messages: Vec<MessageReport>,
}

impl Engine {
    /// Scans a chat transcript, each message according to its role (see [`Role`]).
    pub fn scan_messages(&self, messages: &[Message]) -> Result<TranscriptReport, Error> {
        let total: usize = messages.iter().map(|m| m.content.len()).sum();
        if total > self.config().max_input_bytes
            && self.config().oversize == crate::OversizePolicy::Refuse
        {
            return Err(Error::new(
                ErrorKind::InputTooLarge,
                format!(
                    "messages hold {total} bytes, over the limit of {} bytes",
                    self.config().max_input_bytes
                ),
            ));
        }
        let mut reports = Vec::with_capacity(messages.len());
        let mut score = 0u8;
        for (index, message) in messages.iter().enumerate() {
            let report = if message.role == Role::System {
                None
            } else {
                let mut report = self.scan(&message.content)?;
                reweigh(&mut report, message.role.weight());
                report.verdict = Verdict::from_score(report.score, self.thresholds());
                score = score.max(report.score);
                Some(report)
            };
            reports.push(MessageReport {
                index,
                role: message.role,
                report,
            });
        }
        Ok(TranscriptReport {
            verdict: Verdict::from_score(score, self.thresholds()),
            score,
            messages: reports,
        })
    }
}

/// Shifts the scores of attack findings by `points` and recomputes the report's score.
fn reweigh(report: &mut Report, points: i16) {
    if points == 0 {
        return;
    }
    for f in &mut report.findings {
        if !f.category.is_data() {
            f.score = (i16::from(f.score) + points).clamp(0, 100) as u8;
            f.severity = crate::Severity::from_score(f.score);
        }
    }
    crate::sort::sort_by_key(&mut report.findings, |f| std::cmp::Reverse(f.score));
    report.score = score::risk_score(&report.findings);
}
