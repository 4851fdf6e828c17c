//! How an engine is set up: profile and thresholds, extra rule packs, enabled categories,
//! input limits. Every field has a sensible default, so `Config::default()` is the zero-config
//! engine.

use crate::error::{Error, ErrorKind};
use crate::finding::Category;
use crate::model::Model;
use crate::redact::RedactionPolicy;
use crate::rules::RulePack;
use std::sync::Arc;

/// A preset of thresholds and work done per scan.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Profile {
    /// Fewer views (no decoding of encoded runs), higher thresholds.
    Fast,
    /// Every view; warns and blocks at the thresholds tuned on real traffic.
    #[default]
    Balanced,
    /// Every view; lower thresholds: more is flagged, ordinary prompts too.
    Paranoid,
}

impl Profile {
    pub fn parse(name: &str) -> Result<Profile, Error> {
        match name {
            "fast" => Ok(Profile::Fast),
            "balanced" => Ok(Profile::Balanced),
            "paranoid" => Ok(Profile::Paranoid),
            other => Err(Error::new(
                ErrorKind::InvalidOption,
                format!("unknown profile `{other}` (expected fast, balanced or paranoid)"),
            )),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Profile::Fast => "fast",
            Profile::Balanced => "balanced",
            Profile::Paranoid => "paranoid",
        }
    }

    /// The thresholds this profile uses unless [`Config::thresholds`] overrides them.
    pub fn thresholds(self) -> Thresholds {
        match self {
            Profile::Fast => Thresholds {
                warn: 50,
                block: 75,
            },
            Profile::Balanced => Thresholds {
                warn: 40,
                block: 70,
            },
            Profile::Paranoid => Thresholds {
                warn: 25,
                block: 50,
            },
        }
    }

    /// Whether scans decode encoded runs (base64, hex, ...) and rescan them.
    pub fn decodes(self) -> bool {
        self != Profile::Fast
    }
}

/// Risk scores at or above `warn` give [`crate::Verdict::Warn`]; at or above `block`,
/// [`crate::Verdict::Block`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Thresholds {
    pub warn: u8,
    pub block: u8,
}

impl Thresholds {
    pub fn validate(self) -> Result<Thresholds, Error> {
        if self.warn == 0 || self.warn > self.block || self.block > 100 {
            return Err(Error::new(
                ErrorKind::InvalidOption,
                format!(
                    "thresholds must satisfy 0 < warn <= block <= 100 (got warn {}, block {})",
                    self.warn, self.block
                ),
            ));
        }
        Ok(self)
    }
}

/// What to do with input over [`Config::max_input_bytes`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum OversizePolicy {
    /// Refuse it with [`ErrorKind::InputTooLarge`]: never silently allow.
    #[default]
    Refuse,
    /// Scan the first `max_input_bytes` and add a finding that the rest was not scanned.
    ScanPrefix,
}

/// Which learned model scans run beside the rules (see [`crate::model`]).
#[derive(Clone, Debug, Default)]
pub enum ModelChoice {
    /// The model embedded at build time from `rules/model.bin` (none if the build had none),
    /// when the embedded rules are on too: it was trained beside them.
    #[default]
    Embedded,
    /// Rules only.
    Off,
    /// A model loaded or trained by the caller.
    Custom(Arc<Model>),
}

/// Everything an [`crate::Engine`] is built from.
#[derive(Clone, Debug)]
pub struct Config {
    pub profile: Profile,
    /// Overrides the profile's thresholds.
    pub thresholds: Option<Thresholds>,
    /// Rule packs added to the embedded ones.
    pub rule_packs: Vec<RulePack>,
    /// Whether the embedded rule packs are used (turn off to run only your own).
    pub embedded_rules: bool,
    /// Categories reported; `None` means all.
    pub categories: Option<Vec<Category>>,
    /// Rule ids (or id prefixes ending in `.`) that never report.
    pub disabled_rules: Vec<String>,
    /// Largest input scanned, in bytes.
    pub max_input_bytes: usize,
    pub oversize: OversizePolicy,
    /// Whether scans look for personal data and secrets (`pii`/`secret` findings). See
    /// [`crate::dlp`] for the default policy: PII alone never flags, secrets warn, private
    /// keys and live cloud keys block.
    pub dlp: bool,
    /// What [`crate::Engine::redact`] replaces, and how.
    pub redaction: RedactionPolicy,
    /// Whether [`crate::Report::redacted`] is filled in by scans.
    pub redact_in_scan: bool,
    /// The learned model that scans run beside the rules.
    pub model: ModelChoice,
}

/// One mebibyte: the default input limit.
pub const DEFAULT_MAX_INPUT_BYTES: usize = 1 << 20;

impl Default for Config {
    fn default() -> Config {
        Config {
            profile: Profile::default(),
            thresholds: None,
            rule_packs: Vec::new(),
            embedded_rules: true,
            categories: None,
            disabled_rules: Vec::new(),
            max_input_bytes: DEFAULT_MAX_INPUT_BYTES,
            oversize: OversizePolicy::default(),
            dlp: true,
            redaction: RedactionPolicy::default(),
            redact_in_scan: false,
            model: ModelChoice::default(),
        }
    }
}

impl Config {
    /// The default configuration with another profile.
    pub fn with_profile(profile: Profile) -> Config {
        Config {
            profile,
            ..Config::default()
        }
    }

    /// The thresholds in force.
    pub fn effective_thresholds(&self) -> Thresholds {
        self.thresholds.unwrap_or_else(|| self.profile.thresholds())
    }
}
