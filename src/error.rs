//! Errors are values with a kind and a message a user can act on; nothing panics on user input.

use std::fmt;

/// What went wrong, in a form a program can branch on. The JavaScript binding maps these to
/// the stable `FenceError.code` strings returned by [`ErrorKind::code`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The text or message list given to a scan is not usable (for example not UTF-8).
    InvalidInput,
    /// The input is larger than the configured limit and the policy is to refuse it.
    InputTooLarge,
    /// A rule pack could not be parsed or one of its rules is invalid; nothing was loaded.
    InvalidRulePack,
    /// A configuration value is unknown or out of range.
    InvalidOption,
    /// A learned model file is truncated, corrupt or of another format version.
    InvalidModel,
    /// Reading a file (CLI only) failed.
    Io,
}

impl ErrorKind {
    /// The stable code for this kind, as JavaScript callers see it.
    pub fn code(self) -> &'static str {
        match self {
            ErrorKind::InvalidInput => "INVALID_INPUT",
            ErrorKind::InputTooLarge => "INPUT_TOO_LARGE",
            ErrorKind::InvalidRulePack => "INVALID_RULE_PACK",
            ErrorKind::InvalidOption => "INVALID_OPTION",
            ErrorKind::InvalidModel => "INVALID_MODEL",
            ErrorKind::Io => "IO",
        }
    }
}

/// An error with its kind and a message that names the problem (file, rule id, reason).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    kind: ErrorKind,
    message: String,
}

impl Error {
    pub(crate) fn new(kind: ErrorKind, message: impl Into<String>) -> Error {
        Error {
            kind,
            message: message.into(),
        }
    }

    /// An invalid rule pack: `file`, the rule's id (or its position when it has none) and why.
    pub(crate) fn rule_pack(file: &str, rule: Option<&str>, reason: impl fmt::Display) -> Error {
        let message = match rule {
            Some(rule) => format!("{file}: rule {rule}: {reason}"),
            None => format!("{file}: {reason}"),
        };
        Error::new(ErrorKind::InvalidRulePack, message)
    }

    /// What kind of error this is.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The human-readable message.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind.code(), self.message)
    }
}

impl std::error::Error for Error {}
