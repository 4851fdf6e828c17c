//! Rule packs: the detection rules as data. The packs in `rules/*.yaml` are embedded at build
//! time; users load their own at run time in the same format, as YAML or JSON.
//!
//! A pack is checked as a whole before anything is used: an invalid regex, a missing field, a
//! duplicate id or an unknown category refuses the pack with an error naming the file, the
//! rule and the reason.

use crate::error::Error;
use crate::finding::{Category, Severity};
use crate::json;
use crate::lowercase::lower_str;
use crate::normalize::ViewKind;
use crate::re::Regex;
use case::lower_cased;
use serde::Deserialize;
use std::collections::HashSet;

mod case;
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
mod yaml;

include!(concat!(env!("OUT_DIR"), "/embedded_rules.rs"));

/// Longest pattern or keyword accepted, in bytes; keeps compiled automata small.
const MAX_PATTERN_LEN: usize = 4096;
/// Compiled size limit for one rule's regex, in NFA states (the largest embedded rule needs
/// far fewer; see `tests/re.rs`).
const MAX_PATTERN_STATES: usize = 1 << 17;

/// A rule as written in a pack file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleSpec {
    id: String,
    category: String,
    #[serde(default)]
    severity: Option<String>,
    #[serde(default)]
    score: Option<u8>,
    description: String,
    #[serde(default)]
    keywords: Vec<String>,
    patterns: Vec<String>,
    #[serde(default)]
    views: Option<Vec<String>>,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    examples: Option<Examples>,
    /// Which patterns no ASCII text can match (marked by `build.rs` in the embedded packs;
    /// empty for packs read from text).
    #[serde(skip)]
    non_ascii: Vec<bool>,
}

/// The examples a rule carries; the test suite checks every one.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Examples {
    /// Texts on which this rule must fire.
    #[serde(default, rename = "match")]
    pub matches: Vec<String>,
    /// Texts on which this rule must not fire.
    #[serde(default)]
    pub no_match: Vec<String>,
}

/// One validated rule.
#[derive(Clone, Debug)]
pub struct Rule {
    pub id: String,
    pub category: Category,
    pub severity: Severity,
    pub score: u8,
    pub description: String,
    /// Lower-cased literals; the rule's patterns run only when one occurs (or always, if none).
    pub keywords: Vec<String>,
    pub patterns: Vec<String>,
    /// The views the rule runs on; `None` means every view.
    pub views: Option<Vec<ViewKind>>,
    /// The message findings carry; the description when not set.
    pub message: String,
    pub examples: Examples,
    /// The file the rule was loaded from.
    pub source: String,
    /// Whether `keywords` and `patterns` were lower-cased when the library was built (the
    /// embedded packs, see `build.rs`): they are then used as they are.
    pub(crate) lowered: bool,
    /// Which patterns no ASCII text can match (marked by `build.rs`): left out of the regex
    /// for ASCII views. Empty for packs read from text, which mark none.
    pub(crate) non_ascii: Vec<bool>,
}

impl Rule {
    /// Whether this rule runs on views of `kind`.
    pub fn applies_to(&self, kind: ViewKind) -> bool {
        self.views.as_ref().is_none_or(|v| v.contains(&kind))
    }

    /// The rule's patterns as one regex. A pattern may name the part of its match to report
    /// with a group `(?P<span>...)` (for example to leave out the clause start it anchors on);
    /// each pattern's group is renamed `span0`, `span1`, ... so that the names stay distinct in
    /// the combined regex. Patterns are lower-cased rather than folded (see [`lower_cased`]);
    /// the error says why one cannot be.
    pub fn combined_pattern(&self) -> Result<String, String> {
        self.pattern_of(|_| true)
    }

    /// The alternatives of the patterns `keep` keeps, by index, as [`Rule::combined_pattern`]
    /// writes them.
    fn pattern_of(&self, keep: impl Fn(usize) -> bool) -> Result<String, String> {
        let alternatives = self
            .patterns
            .iter()
            .enumerate()
            .filter(|&(i, _)| keep(i))
            .map(|(i, p)| {
                let p = p
                    .replace("(?P<span>", &format!("(?P<span{i}>"))
                    .replace("(?<span>", &format!("(?<span{i}>"));
                if self.lowered {
                    Ok(format!("(?:{p})"))
                } else {
                    lower_cased(&p)
                }
            })
            .collect::<Result<Vec<String>, String>>()?;
        Ok(alternatives.join("|"))
    }

    /// Whether pattern `i` is known to match only text with a non-ASCII character.
    fn needs_non_ascii(&self, i: usize) -> bool {
        self.non_ascii.get(i).copied().unwrap_or(false)
    }

    /// Whether one of the rule's patterns names the part of its match to report.
    pub fn has_span_group(&self) -> bool {
        self.patterns.iter().any(|p| has_span_group(p))
    }

    /// Compiles the rule's patterns into one regex. The error says why a pattern does not
    /// compile.
    pub fn compile(&self) -> Result<Regex, String> {
        build_regex(&self.combined_pattern()?)
    }

    /// The rule's regex for ASCII text ([`Regex::ascii_with_limit`]), without the patterns
    /// marked as needing a non-ASCII character; `None` if no ASCII text can match the rule.
    /// Also says whether a pattern in it names a span group.
    pub fn compile_ascii(&self) -> Result<Option<(Regex, bool)>, String> {
        let kept = |i: usize| !self.needs_non_ascii(i);
        if !(0..self.patterns.len()).any(kept) {
            return Ok(None);
        }
        let regex = Regex::ascii_with_limit(&self.pattern_of(kept)?, MAX_PATTERN_STATES)
            .map_err(|e| e.to_string())?;
        let span_group = self
            .patterns
            .iter()
            .enumerate()
            .any(|(i, p)| kept(i) && has_span_group(p));
        Ok(regex.map(|r| (r, span_group)))
    }
}

/// Whether a pattern names the part of its match to report.
fn has_span_group(pattern: &str) -> bool {
    // By each `<` (found with memchr): the engine asks this of every rule at start-up, and a
    // substring search per group spelling was most of the time.
    pattern.match_indices('<').any(|(i, _)| {
        pattern[i..].starts_with("<span>")
            && (pattern[..i].ends_with("(?P") || pattern[..i].ends_with("(?"))
    })
}

/// Compiles a rule pattern with the engine's own regex ([`crate::re`]). Rules match views of
/// the text (UTF-8, never invalid) as bytes, so that a pattern may use byte-level windows
/// such as `(?-u:[^.\n]){0,40}`: one NFA state per step instead of one per UTF-8 sequence of a
/// Unicode class. Spans are moved out to character boundaries where matches are reported
/// ([`crate::matcher`]). Capture groups are compiled only when a search asks for them, so
/// rules without a `span` group never pay for theirs.
pub(crate) fn build_regex(pattern: &str) -> Result<Regex, String> {
    Regex::with_limit(pattern, MAX_PATTERN_STATES).map_err(|e| e.to_string())
}

/// A set of rules loaded from one file, validated as a whole.
#[derive(Clone, Debug)]
pub struct RulePack {
    /// The file (or name) the pack came from, as used in error messages.
    pub source: String,
    pub rules: Vec<Rule>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PackFile {
    #[serde(default)]
    #[allow(dead_code)]
    name: Option<String>,
    #[serde(default)]
    #[allow(dead_code)]
    description: Option<String>,
    rules: Vec<json::Value>,
}

/// Starts an embedded pattern that only text with a non-ASCII character can match.
const NON_ASCII: char = '\u{1C}';

/// The rules of an embedded pack as `build.rs` writes them: rules ended by U+001D, each
/// rule's fields (id, category, severity, score, description, keywords, patterns, views,
/// message) by U+001F, list items by U+001E; an empty field is an absent one. A pattern that
/// only text with a non-ASCII character can match starts with [`NON_ASCII`].
fn embedded_specs(file: &str, data: &str) -> Result<Vec<RuleSpec>, Error> {
    data.split('\u{1D}')
        .map(|rule| embedded_spec(file, rule))
        .collect()
}

/// One rule of an embedded pack (see [`embedded_specs`]).
///
/// A function of its own, called once a rule, rather than the body of a loop: V8 recompiles a
/// hot WebAssembly function with its optimizing compiler for the calls after, never for the
/// one running, so a start-up loop inlined into a function called once is compiled twice and
/// run unoptimized, and that compiling competes with the first scan for the machine's cores.
#[inline(never)]
fn embedded_spec(file: &str, rule: &str) -> Result<RuleSpec, Error> {
    let malformed = || Error::rule_pack(file, None, "malformed embedded rule data");
    let list = |field: &str| -> Vec<String> {
        if field.is_empty() {
            Vec::new()
        } else {
            field.split('\u{1E}').map(str::to_owned).collect()
        }
    };
    let text = |field: &str| (!field.is_empty()).then(|| field.to_owned());
    let f: Vec<&str> = rule.split('\u{1F}').collect();
    let [id, category, severity, score, description, keywords, patterns, views, message] = f[..]
    else {
        return Err(malformed());
    };
    let score = match score {
        "" => None,
        n => Some(n.parse::<u8>().map_err(|_| malformed())?),
    };
    let (patterns, non_ascii): (Vec<String>, Vec<bool>) = if patterns.is_empty() {
        (Vec::new(), Vec::new())
    } else {
        patterns
            .split('\u{1E}')
            .map(|p| match p.strip_prefix(NON_ASCII) {
                Some(rest) => (rest.to_owned(), true),
                None => (p.to_owned(), false),
            })
            .unzip()
    };
    Ok(RuleSpec {
        id: id.to_owned(),
        category: category.to_owned(),
        severity: text(severity),
        score,
        description: description.to_owned(),
        keywords: list(keywords),
        patterns,
        non_ascii,
        views: text(views).map(|v| list(&v)),
        message: text(message),
        examples: None,
    })
}

impl RulePack {
    /// Parses and validates a pack written in YAML. `source` names it in error messages.
    pub fn from_yaml(source: &str, text: &str) -> Result<RulePack, Error> {
        let value = parse_yaml(text)
            .map_err(|e| Error::rule_pack(source, None, format!("not valid YAML: {e}")))?;
        RulePack::from_value(source, value, true)
    }

    /// Parses and validates a pack written in JSON. `source` names it in error messages.
    pub fn from_json(source: &str, text: &str) -> Result<RulePack, Error> {
        let value = json::parse(text)
            .map_err(|e| Error::rule_pack(source, None, format!("not valid JSON: {e}")))?;
        RulePack::from_value(source, value, true)
    }

    /// Parses a pack as YAML or JSON, by its first non-blank character (JSON is YAML too, but
    /// the JSON parser gives better error positions).
    pub fn parse(source: &str, text: &str) -> Result<RulePack, Error> {
        if text.trim_start().starts_with('{') {
            RulePack::from_json(source, text)
        } else {
            RulePack::from_yaml(source, text)
        }
    }

    /// Validates an already parsed pack. `compile_check` compiles every regex; the embedded
    /// packs skip it at run time because the test suite compiles them.
    pub(crate) fn from_value(
        source: &str,
        value: json::Value,
        compile_check: bool,
    ) -> Result<RulePack, Error> {
        let file: PackFile = json::from_value(value).map_err(|e| {
            Error::rule_pack(
                source,
                None,
                format!("expected a mapping with a `rules` list: {e}"),
            )
        })?;
        let mut seen = HashSet::new();
        let mut rules = Vec::with_capacity(file.rules.len());
        for (index, raw) in file.rules.into_iter().enumerate() {
            let label = raw
                .get("id")
                .and_then(|v| v.as_str())
                .map(str::to_owned)
                .unwrap_or_else(|| format!("#{} (no id)", index + 1));
            let spec: RuleSpec =
                json::from_value(raw).map_err(|e| Error::rule_pack(source, Some(&label), e))?;
            let rule = validate(source, spec, compile_check, false)?;
            if !seen.insert(rule.id.clone()) {
                return Err(Error::rule_pack(source, Some(&rule.id), "duplicate id"));
            }
            rules.push(rule);
        }
        Ok(RulePack {
            source: source.to_owned(),
            rules,
        })
    }

    /// The packs embedded in the library, in file-name order.
    pub fn embedded() -> Result<Vec<RulePack>, Error> {
        EMBEDDED_DATA
            .iter()
            .map(|(file, data)| {
                // Fields split by build.rs: nothing to parse at start-up. The packs were
                // validated at build and by the tests; `validate` still builds each rule.
                let rules = embedded_specs(file, data)?
                    .into_iter()
                    .map(|spec| validate(file, spec, false, true))
                    .collect::<Result<Vec<Rule>, Error>>()?;
                Ok(RulePack {
                    source: (*file).to_owned(),
                    rules,
                })
            })
            .collect()
    }

    /// The embedded packs as written, examples included (for tests and `rules --test`).
    pub fn embedded_with_examples() -> Result<Vec<RulePack>, Error> {
        EMBEDDED_YAML
            .iter()
            .map(|(file, yaml)| RulePack::from_yaml(file, yaml))
            .collect()
    }
}

/// YAML text as a JSON value: `serde_yaml` natively; in WebAssembly the small reader in
/// [`yaml`], which reads the same for the YAML that rule packs are written in and refuses the
/// rest (the tests compare the two).
#[cfg(not(target_arch = "wasm32"))]
pub fn parse_yaml(text: &str) -> Result<json::Value, String> {
    serde_yaml::from_str(text).map_err(|e| e.to_string())
}

#[cfg(target_arch = "wasm32")]
pub fn parse_yaml(text: &str) -> Result<json::Value, String> {
    yaml::parse(text)
}

/// Checks a rule and builds it. `lowered`: its keywords and patterns are already lower-cased
/// (the embedded packs, by `build.rs`).
fn validate(
    source: &str,
    spec: RuleSpec,
    compile_check: bool,
    lowered: bool,
) -> Result<Rule, Error> {
    let id = spec.id.trim().to_owned();
    let fail = |reason: String| Error::rule_pack(source, Some(&id), reason);
    let valid_id = !id.is_empty()
        && id.split('.').all(|part| {
            !part.is_empty()
                && part
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
        });
    if !valid_id {
        return Err(fail(
            "id must be dotted lower-case words (a-z, 0-9, _ and -), e.g. injection.override.ignore"
                .into(),
        ));
    }
    let category = Category::parse(&spec.category).ok_or_else(|| {
        let known: Vec<&str> = Category::ALL.iter().map(|c| c.as_str()).collect();
        fail(format!(
            "unknown category `{}` (expected one of: {})",
            spec.category,
            known.join(", ")
        ))
    })?;
    let (severity, score) = match (spec.severity.as_deref(), spec.score) {
        (None, None) => return Err(fail("needs a `severity` or a `score`".into())),
        (_, Some(score)) if score > 100 => return Err(fail(format!("score {score} is over 100"))),
        (Some(name), score) => {
            let severity = Severity::parse(name).ok_or_else(|| {
                fail(format!(
                    "unknown severity `{name}` (expected low, medium, high or critical)"
                ))
            })?;
            (severity, score.unwrap_or_else(|| severity.default_score()))
        }
        (None, Some(score)) => (Severity::from_score(score), score),
    };
    if spec.description.trim().is_empty() {
        return Err(fail("description is empty".into()));
    }
    if spec.patterns.is_empty() {
        return Err(fail("needs at least one pattern".into()));
    }
    if let Some(p) = spec
        .patterns
        .iter()
        .chain(&spec.keywords)
        .find(|p| p.is_empty() || p.len() > MAX_PATTERN_LEN)
    {
        return Err(fail(format!(
            "empty or over-long pattern or keyword ({} bytes, limit {MAX_PATTERN_LEN})",
            p.len()
        )));
    }
    let views = match spec.views {
        None => None,
        Some(names) => {
            let mut views = Vec::with_capacity(names.len());
            for name in &names {
                let kind = ViewKind::parse(name).ok_or_else(|| {
                    let known: Vec<&str> = ViewKind::ALL.iter().map(|v| v.as_str()).collect();
                    fail(format!(
                        "unknown view `{name}` (expected one of: {})",
                        known.join(", ")
                    ))
                })?;
                views.push(kind);
            }
            Some(views)
        }
    };
    let rule = Rule {
        message: spec
            .message
            .unwrap_or_else(|| spec.description.trim().to_owned()),
        id: id.clone(),
        category,
        severity,
        score,
        description: spec.description.trim().to_owned(),
        keywords: if lowered {
            spec.keywords
        } else {
            spec.keywords.iter().map(|k| lower_str(k)).collect()
        },
        patterns: spec.patterns,
        views,
        examples: spec.examples.unwrap_or_default(),
        source: source.to_owned(),
        lowered,
        non_ascii: spec.non_ascii,
    };
    if compile_check {
        for pattern in &rule.patterns {
            let lowered = lower_cased(pattern)
                .map_err(|e| fail(format!("unsupported pattern `{pattern}`: {e}")))?;
            build_regex(&lowered).map_err(|e| fail(format!("invalid pattern `{pattern}`: {e}")))?;
        }
    }
    Ok(rule)
}

#[cfg(test)]
mod tests {
    use super::has_span_group;

    #[test]
    fn span_groups_are_found_in_either_spelling_and_nothing_else() {
        assert!(has_span_group(r"(?:^|\.)\s*(?P<span>ignore\s+it)"));
        assert!(has_span_group(r"open (?<span>sesame)"));
        assert!(!has_span_group(r"<span>ignore</span>"));
        assert!(!has_span_group(r"(?P<spanish>x)"));
        assert!(!has_span_group(r"(?P<name>x)<span>"));
        assert!(!has_span_group(r"ignore previous"));
    }
}
