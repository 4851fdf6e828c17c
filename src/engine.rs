//! The engine: built once from a [`Config`], then `scan` runs the pipeline
//! text → views → findings → score → report.

use crate::config::{Config, ModelChoice, OversizePolicy, Thresholds};
use crate::decode::{self, DecodeLimits};
use crate::dlp::{self, Entity};
use crate::error::{Error, ErrorKind};
use crate::finding::{Category, Finding, Severity, Span};
use crate::heuristics;
use crate::learn::KnownAttacks;
use crate::matcher::{Matcher, RuleMatch};
use crate::model::Model;
use crate::normalize::{self, View, ViewKind};

use crate::hash::FastMap;
use crate::output::{self, OutputOptions};
use crate::redact::{self, Redaction, Vault};
use crate::rules::{Rule, RulePack};
use crate::score::{self, Verdict};
use serde::Serialize;
use std::sync::Arc;

/// How long an excerpt may be, in characters.
const EXCERPT_CHARS: usize = 120;
/// Share of its score a finding keeps when the text only discusses the attack.
const DISCUSSION_FACTOR: f64 = 0.6;

/// Lowers a finding that the text only quotes or discusses, and says so in its message.
fn lower_as_discussion(f: &mut Finding) {
    f.score = (f64::from(f.score) * DISCUSSION_FACTOR).round() as u8;
    f.message
        .push_str(" (lowered: the text quotes or discusses this)");
}
/// Points a rule finding gains when it was found only after undoing a disguise.
const HIDDEN_MATCH_BONUS: u8 = 10;

/// The result of a scan.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub verdict: Verdict,
    /// Risk score 0–100.
    pub score: u8,
    /// Strongest first.
    pub findings: Vec<Finding>,
    /// The text with data findings masked, when redaction was asked for.
    pub redacted: Option<String>,
    pub stats: ScanStats,
}

impl Report {
    /// Whether the verdict is `warn` or `block`.
    pub fn is_flagged(&self) -> bool {
        self.verdict != Verdict::Allow
    }
}

/// What a scan looked at.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ScanStats {
    /// Bytes of input scanned.
    pub bytes: usize,
    /// Names of the views built and scanned.
    pub views: Vec<&'static str>,
    /// Invisible, bidi and tag characters removed.
    pub hidden_characters: usize,
    /// Whether the input was cut at the size limit (only with [`OversizePolicy::ScanPrefix`]).
    pub truncated: bool,
}

/// A compiled set of rules and settings. Build it once and share it; scanning takes `&self`.
#[derive(Debug)]
pub struct Engine {
    matcher: Matcher,
    model: Option<Arc<Model>>,
    thresholds: Thresholds,
    config: Config,
    /// Attacks learned at run time (empty unless the caller adds some).
    known: KnownAttacks,
}

impl Engine {
    /// Builds an engine: loads the embedded and configured rule packs and compiles the
    /// keyword prefilter. Regexes are compiled on first use.
    pub fn new(config: Config) -> Result<Engine, Error> {
        let thresholds = config.effective_thresholds().validate()?;
        if config.max_input_bytes == 0 {
            return Err(Error::new(
                ErrorKind::InvalidOption,
                "max_input_bytes must be at least 1",
            ));
        }
        let mut packs = if config.embedded_rules {
            RulePack::embedded()?
        } else {
            Vec::new()
        };
        packs.extend(config.rule_packs.iter().cloned());
        // Every rule with the index of its pack, ids checked for duplicates across packs.
        let mut sources = Vec::with_capacity(packs.len());
        let mut all: Vec<(usize, Rule)> = Vec::new();
        for (p, pack) in packs.into_iter().enumerate() {
            sources.push(pack.source);
            all.extend(pack.rules.into_iter().map(|rule| (p, rule)));
        }
        let mut origin: FastMap<&str, usize> = FastMap::default();
        origin.reserve(all.len());
        for (p, rule) in &all {
            if let Some(&first) = origin.get(rule.id.as_str()) {
                return Err(Error::rule_pack(
                    &sources[*p],
                    Some(&rule.id),
                    format!("duplicate id (already defined in {})", sources[first]),
                ));
            }
            origin.insert(&rule.id, *p);
        }
        drop(origin);
        let rules: Vec<Rule> = all
            .into_iter()
            .map(|(_, rule)| rule)
            .filter(|rule| config.is_enabled(&rule.id, rule.category))
            .collect();
        let matcher = Matcher::new(rules).map_err(|e| Error::new(ErrorKind::InvalidRulePack, e))?;
        let model = match &config.model {
            ModelChoice::Embedded if config.embedded_rules => Model::embedded()?,
            ModelChoice::Embedded | ModelChoice::Off => None,
            ModelChoice::Custom(model) => Some(Arc::clone(model)),
        };
        Ok(Engine {
            matcher,
            model,
            thresholds,
            config,
            known: KnownAttacks::new(),
        })
    }

    /// The default engine: balanced profile, embedded rules.
    pub fn with_defaults() -> Result<Engine, Error> {
        Engine::new(Config::default())
    }

    /// The rules this engine runs.
    pub fn rules(&self) -> &[Rule] {
        self.matcher.rules()
    }

    /// The configuration the engine was built from.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The warn and block thresholds in force.
    pub fn thresholds(&self) -> Thresholds {
        self.thresholds
    }

    /// The index of known attacks that scans compare texts with (see [`crate::learn`]).
    pub fn known_attacks(&self) -> &KnownAttacks {
        &self.known
    }

    /// The index of known attacks, to learn from or to clear.
    pub fn known_attacks_mut(&mut self) -> &mut KnownAttacks {
        &mut self.known
    }

    /// Replaces the index of known attacks (for example with one read from JSON).
    pub fn set_known_attacks(&mut self, known: KnownAttacks) {
        self.known = known;
    }

    /// Compiles every rule's regex now (they are otherwise compiled on first use).
    pub fn warm_up(&self) -> Result<(), Error> {
        self.matcher
            .compile_all()
            .map_err(|e| Error::new(ErrorKind::InvalidRulePack, e))
    }

    /// Screens one text.
    pub fn scan(&self, text: &str) -> Result<Report, Error> {
        let (text, truncated) = self.admit(text)?;
        // The decoded views join the normalization views (the normalized view stays first);
        // heuristics read the same list.
        let mut normalized = normalize::normalize(text);
        if self.config.profile.decodes() {
            normalized
                .views
                .extend(decode::decode(text, &DecodeLimits::default()));
        }
        let views = &normalized.views;

        let mut findings = Vec::new();
        let mut matches = Vec::new();
        let mut in_view: Vec<(usize, ViewKind)> = Vec::new();
        let mut found_plainly = vec![false; self.matcher.rules().len()];
        for view in views {
            matches.clear();
            self.matcher.find(view, &mut matches);
            for m in &matches {
                found_plainly[m.rule] |= view.kind == ViewKind::Normalized;
                in_view.push((m.rule, view.kind));
                findings.push(self.rule_finding(view, m));
            }
        }
        let mut disguises: Vec<Finding> = Vec::new();
        for (f, &(rule, kind)) in findings.iter_mut().zip(&in_view) {
            if kind == ViewKind::Normalized || found_plainly[rule] {
                continue;
            }
            // The rule matched only once a disguise was undone: the disguise is part of the
            // attack, and is itself reported.
            f.score = f.score.saturating_add(HIDDEN_MATCH_BONUS).min(100);
            f.message = format!("{} (hidden: found in the {} view)", f.message, f.view);
            let attack = !f.category.is_data() && f.category != Category::Obfuscation;
            if attack && !disguises.iter().any(|d| d.view == f.view) {
                disguises.push(disguise_finding(kind, f.span));
            }
        }
        findings.extend(disguises);
        heuristics::detect(text, &normalized, &mut findings);
        if truncated {
            findings.push(truncation_finding(text.len()));
        }
        findings.retain(|f| self.config.is_enabled(&f.rule_id, f.category));

        // The normalized view is lower-cased: the cue words are looked for once, there.
        let meta_cue = !findings.is_empty() && score::has_meta_cue(&views[0].text);
        // Whether each finding was lowered because the text quotes or discusses it.
        let mut discussed = Vec::with_capacity(findings.len());
        for f in &mut findings {
            let lowered = !f.category.is_data()
                && score::is_discussion(text, meta_cue, f.span.start, f.span.end);
            if lowered {
                lower_as_discussion(f);
            }
            discussed.push(lowered);
            f.severity = Severity::from_score(f.score);
        }
        if !self.known.is_empty() {
            findings.extend(
                self.known
                    .finding(views, text.len())
                    .filter(|f| self.config.is_enabled(&f.rule_id, f.category)),
            );
            // Known-attack findings are never discussion.
            discussed.resize(findings.len(), false);
        }
        if let Some(model) = &self.model {
            let finding = model.assess(&views[0], text);
            if let Some(mut f) = finding.filter(|f| self.config.is_enabled(&f.rule_id, f.category))
            {
                // The model reads quoted attacks too: where every attack the rules found is one
                // the text quotes or discusses, the model's finding is lowered the same way, and
                // a discussed finding does not corroborate it.
                let mut backing = findings
                    .iter()
                    .zip(&discussed)
                    .filter(|(g, _)| score::supports_model(g))
                    .peekable();
                let only_discussed = backing.peek().is_some() && backing.all(|(_, &d)| d);
                if only_discussed {
                    lower_as_discussion(&mut f);
                    f.severity = Severity::from_score(f.score);
                    findings.push(f);
                } else {
                    findings.push(f);
                    score::corroborate_model(&mut findings, &discussed);
                }
            }
        }
        let mut findings = strongest_per_rule(findings);
        self.add_dlp_findings(text, &mut findings);
        Ok(self.report(
            text,
            findings,
            ScanStats {
                bytes: text.len(),
                views: views.iter().map(|v| v.kind.as_str()).collect(),
                hidden_characters: normalized.stats.invisible
                    + normalized.stats.bidi
                    + normalized.stats.tags,
                truncated,
            },
        ))
    }

    /// Applies the input size limit.
    fn admit<'t>(&self, text: &'t str) -> Result<(&'t str, bool), Error> {
        let limit = self.config.max_input_bytes;
        if text.len() <= limit {
            return Ok((text, false));
        }
        match self.config.oversize {
            OversizePolicy::Refuse => Err(Error::new(
                ErrorKind::InputTooLarge,
                format!(
                    "input is {} bytes, over the limit of {limit} bytes (raise max_input_bytes or choose to scan a prefix)",
                    text.len()
                ),
            )),
            OversizePolicy::ScanPrefix => {
                let mut cut = limit;
                while !text.is_char_boundary(cut) {
                    cut -= 1;
                }
                Ok((&text[..cut], true))
            }
        }
    }

    /// Scores `findings` (strongest first) into a report of `text`, with excerpts and UTF-16
    /// spans filled in.
    fn report(&self, text: &str, mut findings: Vec<Finding>, stats: ScanStats) -> Report {
        fill_excerpts(text, &mut findings);
        let score = score::risk_score(&findings);
        Report {
            verdict: Verdict::from_score(score, self.thresholds),
            score,
            findings,
            redacted: self
                .config
                .redact_in_scan
                .then(|| self.redact_entities(text)),
            stats,
        }
    }

    fn rule_finding(&self, view: &View, m: &RuleMatch) -> Finding {
        let rule = &self.matcher.rules()[m.rule];
        let (start, end) = trim_match(&view.text, m.start, m.end);
        let span = view.original_span(start, end);
        Finding {
            rule_id: rule.id.clone(),
            category: rule.category,
            severity: rule.severity,
            score: rule.score,
            span,
            span_utf16: span,
            excerpt: String::new(),
            view: view.kind.as_str(),
            message: rule.message.clone(),
        }
    }
}

impl Config {
    /// Whether findings of this rule are reported under this configuration.
    pub(crate) fn is_enabled(&self, rule_id: &str, category: Category) -> bool {
        if let Some(categories) = &self.categories {
            if !categories.contains(&category) {
                return false;
            }
        }
        !self
            .disabled_rules
            .iter()
            .any(|d| d == rule_id || (d.ends_with('.') && rule_id.starts_with(d.as_str())))
    }
}

/// Narrows a match to its words: patterns that anchor on a clause start ("— ignore ...",
/// "; ignore ...") would otherwise report the punctuation and spaces before the instruction.
fn trim_match(text: &str, start: usize, end: usize) -> (usize, usize) {
    const LEADING: &[char] = &[
        '"', '\'', '“', '”', '‘', '’', '«', '»', '—', '–', '-', ',', ';', ':', '.', '!', '?',
    ];
    let Some(matched) = text.get(start..end) else {
        return (start, end);
    };
    let body = matched.trim_start_matches(|c: char| c.is_whitespace() || LEADING.contains(&c));
    let body = body.trim_end_matches(|c: char| c.is_whitespace() || c == ',');
    if body.is_empty() {
        return (start, end);
    }
    let new_start = start
        + (matched.len()
            - matched
                .trim_start_matches(|c: char| c.is_whitespace() || LEADING.contains(&c))
                .len());
    (new_start, new_start + body.len())
}

/// The finding that a text hid an instruction behind the disguise that `kind` undoes.
fn disguise_finding(kind: ViewKind, span: Span) -> Finding {
    Finding {
        rule_id: format!("obfuscation.hidden.{}", kind.as_str()),
        category: Category::Obfuscation,
        severity: Severity::Medium,
        score: 45,
        span,
        span_utf16: span,
        excerpt: String::new(),
        view: kind.as_str(),
        message: format!(
            "an instruction was disguised (found in the {} view)",
            kind.as_str()
        ),
    }
}

fn truncation_finding(scanned: usize) -> Finding {
    let span = Span::new(scanned, scanned);
    Finding {
        rule_id: "input.truncated".to_owned(),
        category: Category::Obfuscation,
        severity: Severity::Low,
        score: 20,
        span,
        span_utf16: span,
        excerpt: String::new(),
        view: "original",
        message: format!("only the first {scanned} bytes were scanned"),
    }
}

/// Keeps the strongest finding of each rule (the earliest on ties), strongest first.
fn strongest_per_rule(findings: Vec<Finding>) -> Vec<Finding> {
    // A scan has a few findings: a linear search among those kept is enough, and spares the
    // module a map type of its own.
    let mut best: Vec<Finding> = Vec::new();
    for f in findings {
        match best.iter().position(|b| b.rule_id == f.rule_id) {
            Some(i) if best[i].score >= f.score => {}
            Some(i) => best[i] = f,
            None => best.push(f),
        }
    }
    crate::sort::sort_by(&mut best, |a, b| {
        b.score.cmp(&a.score).then(a.span.start.cmp(&b.span.start))
    });
    best
}

/// Sets each finding's excerpt and UTF-16 span in one pass over the text.
fn fill_excerpts(text: &str, findings: &mut [Finding]) {
    for f in findings.iter_mut() {
        let start = floor_char_boundary(text, f.span.start);
        let end = floor_char_boundary(text, f.span.end.max(start));
        f.span = Span::new(start, end);
    }
    if findings.is_empty() {
        return;
    }
    let mut offsets: Vec<usize> = findings
        .iter()
        .flat_map(|f| [f.span.start, f.span.end])
        .collect();
    crate::sort::sort(&mut offsets);
    offsets.dedup();
    // The UTF-16 offset of each of `offsets` (sorted), found in one pass over the text.
    let mut utf16: Vec<usize> = Vec::with_capacity(offsets.len());
    let mut units = 0usize;
    let mut pending = offsets.iter().peekable();
    let last = offsets.last().copied().unwrap_or(0);
    for (i, c) in text.char_indices() {
        if i > last {
            break;
        }
        while let Some(&&o) = pending.peek() {
            if o > i {
                break;
            }
            utf16.push(units);
            pending.next();
        }
        units += c.len_utf16();
    }
    for _ in pending {
        utf16.push(units);
    }
    let utf16_of = |o: usize| {
        offsets
            .binary_search(&o)
            .ok()
            .and_then(|k| utf16.get(k).copied())
            .unwrap_or(0)
    };
    for f in findings {
        let (start, end) = (f.span.start, f.span.end);
        f.span_utf16 = Span::new(utf16_of(start), utf16_of(end));
        let matched = &text[start..end];
        f.excerpt = if matched.chars().count() > EXCERPT_CHARS {
            let cut: String = matched.chars().take(EXCERPT_CHARS).collect();
            format!("{cut}…")
        } else {
            matched.to_owned()
        };
    }
}

fn floor_char_boundary(text: &str, mut i: usize) -> usize {
    i = i.min(text.len());
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// A rule example that did not behave as written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExampleFailure {
    pub rule_id: String,
    pub source: String,
    /// The example text.
    pub text: String,
    /// `true` if the text is a `match` example that did not match; `false` for a `no_match`
    /// example that matched.
    pub expected_match: bool,
}

impl Engine {
    /// Scans every rule's `match` and `no_match` examples with this engine and returns the
    /// examples that did not behave as written. A `match` example must produce a finding of
    /// its rule; a `no_match` example must not.
    pub fn check_examples(&self) -> Vec<ExampleFailure> {
        let mut failures = Vec::new();
        for rule in self.rules() {
            let cases = rule
                .examples
                .matches
                .iter()
                .map(|t| (t, true))
                .chain(rule.examples.no_match.iter().map(|t| (t, false)));
            for (text, expected_match) in cases {
                let fired = self
                    .scan(text)
                    .map(|r| r.findings.iter().any(|f| f.rule_id == rule.id))
                    .unwrap_or(false);
                if fired != expected_match {
                    failures.push(ExampleFailure {
                        rule_id: rule.id.clone(),
                        source: rule.source.clone(),
                        text: text.clone(),
                        expected_match,
                    });
                }
            }
        }
        failures
    }
}

// ---- data-loss prevention: PII and secrets, redaction, output screening ----

impl Engine {
    /// Adds one finding per validated PII or secret value (not collapsed per rule: each value
    /// is its own finding, so that callers can highlight and redact all of them), strongest
    /// first.
    fn add_dlp_findings(&self, text: &str, findings: &mut Vec<Finding>) {
        if !self.config.dlp {
            return;
        }
        findings.extend(
            dlp::findings(text)
                .into_iter()
                .filter(|f| self.config.is_enabled(&f.rule_id, f.category)),
        );
        crate::sort::sort_by(findings, |a, b| {
            b.score.cmp(&a.score).then(a.span.start.cmp(&b.span.start))
        });
    }

    /// The PII and secrets in `text` that this engine reports (after enabled categories and
    /// disabled rules), in order of position.
    pub fn entities(&self, text: &str) -> Vec<Entity> {
        dlp::detect(text)
            .into_iter()
            .filter(|e| self.config.is_enabled(&e.kind.rule_id(), e.kind.category()))
            .collect()
    }

    /// Replaces the PII and secrets in `text` according to the configured
    /// [`crate::RedactionPolicy`], recording placeholders in `vault` so that
    /// [`Vault::unmask`] restores them in the model's answer.
    ///
    /// ```
    /// use promptfence::{Engine, Vault};
    ///
    /// let engine = Engine::with_defaults()?;
    /// let mut vault = Vault::new();
    /// let r = engine.redact("Mail jane.doe@acme.io or jane.doe@acme.io", &mut vault)?;
    /// assert_eq!(r.text, "Mail [EMAIL_1] or [EMAIL_1]");
    /// assert_eq!(vault.unmask("Sent to [EMAIL_1]."), "Sent to jane.doe@acme.io.");
    /// # Ok::<(), promptfence::Error>(())
    /// ```
    pub fn redact(&self, text: &str, vault: &mut Vault) -> Result<Redaction, Error> {
        let (text, _) = self.admit(text)?;
        let entities = self.entities(text);
        let redacted = redact::redact(text, &entities, &self.config.redaction, vault);
        Ok(Redaction {
            text: redacted,
            entities,
        })
    }

    /// The redacted text for a report, with a vault of its own.
    fn redact_entities(&self, text: &str) -> String {
        let mut vault = Vault::new();
        redact::redact(
            text,
            &self.entities(text),
            &self.config.redaction,
            &mut vault,
        )
    }
    /// Screens a model's answer: canary tokens, leaked system prompt, exfiltration links, and
    /// PII or secrets (see [`crate::output`]).
    pub fn scan_output(&self, text: &str, opts: &OutputOptions) -> Result<Report, Error> {
        let (text, truncated) = self.admit(text)?;
        let mut findings = output::scan_output(text, opts);
        if !self.config.dlp {
            findings.retain(|f| !f.category.is_data());
        }
        findings.retain(|f| self.config.is_enabled(&f.rule_id, f.category));
        if truncated {
            findings.push(truncation_finding(text.len()));
        }
        crate::sort::sort_by(&mut findings, |a, b| {
            b.score.cmp(&a.score).then(a.span.start.cmp(&b.span.start))
        });
        Ok(self.report(
            text,
            findings,
            ScanStats {
                bytes: text.len(),
                views: vec!["original"],
                hidden_characters: 0,
                truncated,
            },
        ))
    }
}
