//! The JavaScript binding (wasm-bindgen): converts options, text, reports and errors between
//! JavaScript and the engine. It holds no detection logic; the npm shim in `pkg-templates/`
//! wraps it in `createFence()` and the chat helpers.
//!
//! Bound: [`Fence`] (`scan`, `check`, `rules`, `scanMessages`, `scanOutput`, `redact`, `unmask`,
//! `stream`), [`StreamScanner`] and [`Unmasker`] for streamed answers. A vault crosses the
//! boundary as plain JSON data (the serde form of [`Vault`]), so JavaScript can keep it.
//!
//! Errors reach JavaScript as `Error` objects named `FenceError` with a stable `code`
//! (see [`ErrorKind::code`]); the shim's `FenceError` class recognises them with `instanceof`.
//! Spans are UTF-16 indices, so `text.slice(start, end)` is the matched text in JavaScript.

use crate::json;
use crate::output::{self, OutputOptions};
use crate::score::{self, Verdict};
use crate::{
    Category, Config, Engine, EntityKind, Error, ErrorKind, Finding, Message, OversizePolicy,
    Profile, RedactMode, Report, Role, RulePack, Span, Thresholds, TranscriptReport, Vault,
};
use js_sys::{JsString, Reflect};
use serde::{Deserialize, Serialize};
use wasm_bindgen::prelude::*;

/// The code of the error `check` throws when the verdict is `block`.
const BLOCKED: &str = "BLOCKED";

/// A compiled engine, built once from options and shared.
#[wasm_bindgen]
pub struct Fence {
    pub(crate) engine: Engine,
}

#[wasm_bindgen]
impl Fence {
    /// Builds an engine from an options object (or `undefined` for the defaults).
    #[wasm_bindgen(constructor)]
    pub fn new(options: JsValue) -> Result<Fence, JsValue> {
        let config = config_from_js(options).map_err(to_js_error)?;
        let engine = Engine::new(config).map_err(to_js_error)?;
        Ok(Fence { engine })
    }

    /// Screens one text and returns its report.
    pub fn scan(&self, text: JsValue) -> Result<JsValue, JsValue> {
        let report = self.scan_js(&text)?;
        to_js(&JsReport::from(&report))
    }

    /// Screens one text; throws a `FenceError` with code `BLOCKED` (and the findings) when the
    /// verdict is `block`, otherwise returns the report.
    pub fn check(&self, text: JsValue) -> Result<JsValue, JsValue> {
        let report = self.scan_js(&text)?;
        let js_report = JsReport::from(&report);
        if report.verdict == crate::Verdict::Block {
            let rules: Vec<&str> = report.findings.iter().map(|f| f.rule_id.as_str()).collect();
            let message = format!(
                "blocked (risk score {}): {}",
                report.score,
                rules.join(", ")
            );
            let error = fence_error(BLOCKED, &message);
            set(&error, "findings", &to_js(&js_report.findings)?);
            set(&error, "score", &JsValue::from(report.score));
            return Err(error);
        }
        to_js(&js_report)
    }

    /// The rules this engine runs.
    pub fn rules(&self) -> Result<JsValue, JsValue> {
        let rules: Vec<JsRule> = self
            .engine
            .rules()
            .iter()
            .map(|r| JsRule {
                id: &r.id,
                category: r.category.as_str(),
                severity: r.severity.as_str(),
                score: r.score,
                description: &r.description,
                source: &r.source,
            })
            .collect();
        to_js(&rules)
    }

    /// Scans a chat transcript (`[{ role, content }]`) message by message according to role:
    /// system text is trusted and not scanned, tool results weigh more.
    #[wasm_bindgen(js_name = scanMessages)]
    pub fn scan_messages(&self, messages: JsValue) -> Result<JsValue, JsValue> {
        let (messages, roles) = self.messages_from_js(&messages).map_err(to_js_error)?;
        let report = self.engine.scan_messages(&messages).map_err(to_js_error)?;
        to_js(&JsTranscript::new(&report, &roles))
    }

    /// Screens a model's answer: canaries, a leaked system prompt, exfiltration links, PII and
    /// secrets. `options`: `{ systemPrompt?, canaries?, allowedDomains? }`.
    #[wasm_bindgen(js_name = scanOutput)]
    pub fn scan_output(&self, text: JsValue, options: JsValue) -> Result<JsValue, JsValue> {
        let opts = output_options_from_js(options).map_err(to_js_error)?;
        let report = self.scan_output_js(&text, &opts)?;
        to_js(&JsOutputReport::new(&report))
    }

    /// Replaces PII and secrets with placeholders. `options`: `{ mode?, modes?, categories?,
    /// hashKey?, vault? }`; an existing `vault` is continued (the same value keeps its
    /// placeholder) and not modified: the result carries the new one.
    pub fn redact(&self, text: JsValue, options: JsValue) -> Result<JsValue, JsValue> {
        let text = self.whole_text_from_js(&text).map_err(to_js_error)?;
        let request = redact_options_from_js(options, &self.engine).map_err(to_js_error)?;
        let mut vault = request.vault;
        let entities: Vec<_> = self
            .engine
            .entities(&text)
            .into_iter()
            .filter(|e| request.categories.contains(&e.kind.category()))
            .collect();
        let redacted = crate::redact(&text, &entities, &request.policy, &mut vault);
        let mut findings: Vec<Finding> = entities.iter().map(|e| e.to_finding()).collect();
        with_utf16_spans(&text, &mut findings);
        let findings: Vec<JsFinding> = findings.iter().map(JsFinding::from).collect();
        to_js(&JsRedaction {
            text: &redacted,
            findings,
            vault: &vault,
        })
    }

    /// Puts the originals of `vault`'s placeholders back into `text`.
    pub fn unmask(&self, text: JsValue, vault: JsValue) -> Result<String, JsValue> {
        let text = string_from_js(&text, "text").map_err(to_js_error)?;
        let vault = vault_from_js(&vault).map_err(to_js_error)?;
        Ok(vault.unmask(&text))
    }

    /// A scanner for a streamed answer (same options as `scanOutput`).
    pub fn stream(&self, options: JsValue) -> Result<StreamScanner, JsValue> {
        StreamScanner::new(self, options)
    }

    /// The options in force, as plain values (profile, thresholds, limits).
    #[wasm_bindgen(getter)]
    pub fn profile(&self) -> String {
        self.engine.config().profile.as_str().to_owned()
    }

    /// The largest input scanned, in UTF-8 bytes.
    #[wasm_bindgen(getter, js_name = maxInputBytes)]
    pub fn max_input_bytes(&self) -> f64 {
        self.engine.config().max_input_bytes as f64
    }
}

impl Fence {
    fn scan_js(&self, text: &JsValue) -> Result<Report, JsValue> {
        let text = self.text_from_js(text).map_err(to_js_error)?;
        self.engine.scan(&text).map_err(to_js_error)
    }

    fn scan_output_js(&self, text: &JsValue, opts: &OutputOptions) -> Result<Report, JsValue> {
        let text = self.text_from_js(text).map_err(to_js_error)?;
        self.engine.scan_output(&text, opts).map_err(to_js_error)
    }

    /// Reads `[{ role, content }]`; returns the messages and the roles as written.
    fn messages_from_js(&self, value: &JsValue) -> Result<(Vec<Message>, Vec<String>), Error> {
        let Some(array) = value.dyn_ref::<js_sys::Array>() else {
            return Err(Error::new(
                ErrorKind::InvalidInput,
                format!(
                    "messages must be an array of {{ role, content }}, got {}",
                    js_type_name(value)
                ),
            ));
        };
        let mut messages = Vec::with_capacity(array.length() as usize);
        let mut roles = Vec::with_capacity(array.length() as usize);
        for (i, item) in array.iter().enumerate() {
            if !item.is_object() || js_sys::Array::is_array(&item) {
                return Err(Error::new(
                    ErrorKind::InvalidInput,
                    format!(
                        "messages[{i}] must be an object {{ role, content }}, got {}",
                        js_type_name(&item)
                    ),
                ));
            }
            let role_name = get(&item, "role");
            let Some(role_name) = role_name.as_string() else {
                return Err(Error::new(
                    ErrorKind::InvalidInput,
                    format!(
                        "messages[{i}].role must be a string, got {}",
                        js_type_name(&role_name)
                    ),
                ));
            };
            let role = Role::parse(&role_name)
                .map_err(|e| Error::new(e.kind(), format!("messages[{i}]: {}", e.message())))?;
            let content = self.text_from_js(&get(&item, "content")).map_err(|e| {
                Error::new(e.kind(), format!("messages[{i}].content: {}", e.message()))
            })?;
            messages.push(Message::new(role, content));
            roles.push(role_name);
        }
        Ok((messages, roles))
    }

    /// Takes a JavaScript string into Rust, refusing non-strings and lone surrogates. A string
    /// that is certainly over the byte limit is refused (or cut) before it is copied: UTF-8
    /// never takes fewer bytes than UTF-16 code units.
    pub(crate) fn text_from_js(&self, value: &JsValue) -> Result<String, Error> {
        let Some(js) = value.dyn_ref::<JsString>() else {
            return Err(Error::new(
                ErrorKind::InvalidInput,
                format!("text must be a string, got {}", js_type_name(value)),
            ));
        };
        let config = self.engine.config();
        let limit = config.max_input_bytes;
        let units = js.length() as usize;
        let js = if units > limit {
            match config.oversize {
                OversizePolicy::Refuse => {
                    return Err(Error::new(
                        ErrorKind::InputTooLarge,
                        format!(
                            "input is at least {units} bytes, over the limit of {limit} bytes (raise maxInputBytes or set oversize: \"scanPrefix\")"
                        ),
                    ));
                }
                // Keep one code unit more than the limit (two when it splits a surrogate
                // pair): the engine then sees an over-long text and cuts and reports it
                // exactly as the native engine does.
                OversizePolicy::ScanPrefix => {
                    let mut keep = limit + 1;
                    if (0xD800..0xDC00).contains(&(js.char_code_at(keep as u32 - 1) as u32)) {
                        keep += 1;
                    }
                    js.slice(0, keep as u32)
                }
            }
        } else {
            js.clone()
        };
        checked_string(&js, "text")
    }

    /// Like `text_from_js`, but text over the limit is always refused, whatever the oversize
    /// policy: a redaction of a prefix would silently drop the rest of the text.
    fn whole_text_from_js(&self, value: &JsValue) -> Result<String, Error> {
        let text = self.text_from_js(value)?;
        let limit = self.engine.config().max_input_bytes;
        if text.len() > limit {
            return Err(Error::new(
                ErrorKind::InputTooLarge,
                format!(
                    "input is at least {} bytes, over the limit of {limit} bytes (raise maxInputBytes)",
                    text.len()
                ),
            ));
        }
        Ok(text)
    }
}

/// A JavaScript string as Rust text; `what` names it in the error.
fn string_from_js(value: &JsValue, what: &str) -> Result<String, Error> {
    match value.dyn_ref::<JsString>() {
        Some(js) => checked_string(js, what),
        None => Err(Error::new(
            ErrorKind::InvalidInput,
            format!("{what} must be a string, got {}", js_type_name(value)),
        )),
    }
}

/// Converts a JavaScript string, refusing lone surrogates (which would silently become U+FFFD).
fn checked_string(js: &JsString, what: &str) -> Result<String, Error> {
    let text = String::from(js);
    // wasm-bindgen turns lone surrogates into U+FFFD; only then is the slow check needed.
    if text.contains('\u{FFFD}') {
        if let Some(at) = lone_surrogate(js) {
            return Err(Error::new(
                ErrorKind::InvalidInput,
                format!("{what} has a lone UTF-16 surrogate at index {at} (not valid Unicode)"),
            ));
        }
    }
    Ok(text)
}

/// The promptfence version.
#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}

/// Screens a streamed answer chunk by chunk with a bounded window (see [`crate::stream`]).
/// Findings are filtered and scored like `scanOutput`'s; spans are UTF-16 indices in the
/// whole stream. A system prompt, when given, is looked for in a rolling tail of the answer
/// (twice the prompt's length and 1 KiB more), so a leak is found without keeping the stream.
#[wasm_bindgen]
pub struct StreamScanner {
    scanner: Option<crate::StreamScanner>,
    /// The parts of the fence's configuration that filter and score findings.
    filter: Config,
    thresholds: Thresholds,
    findings: Vec<Finding>,
    leak: Option<LeakWatch>,
    bytes: usize,
}

/// The rolling tail in which a leaked system prompt is looked for.
struct LeakWatch {
    prompt: String,
    tail: String,
    /// Bytes and UTF-16 units of the stream before `tail`.
    tail_at: usize,
    tail_at_utf16: usize,
    unchecked: usize,
    found: bool,
}

/// New bytes gathered before the tail is checked for the system prompt again.
const LEAK_CHECK_EVERY: usize = 256;

#[wasm_bindgen]
impl StreamScanner {
    /// `new StreamScanner(fence, { systemPrompt?, canaries?, allowedDomains? })`.
    #[wasm_bindgen(constructor)]
    pub fn new(fence: &Fence, options: JsValue) -> Result<StreamScanner, JsValue> {
        let mut opts = output_options_from_js(options).map_err(to_js_error)?;
        let config = fence.engine.config();
        let filter = Config {
            categories: config.categories.clone(),
            disabled_rules: config.disabled_rules.clone(),
            dlp: config.dlp,
            ..Config::default()
        };
        let leak = opts.system_prompt.take().map(|prompt| LeakWatch {
            prompt,
            tail: String::new(),
            tail_at: 0,
            tail_at_utf16: 0,
            unchecked: 0,
            found: false,
        });
        Ok(StreamScanner {
            scanner: Some(crate::StreamScanner::new(opts)),
            filter,
            thresholds: fence.engine.thresholds(),
            findings: Vec::new(),
            leak,
            bytes: 0,
        })
    }

    /// Takes the next chunk; returns the findings that became certain with it.
    pub fn push(&mut self, chunk: JsValue) -> Result<JsValue, JsValue> {
        let chunk = string_from_js(&chunk, "chunk").map_err(to_js_error)?;
        let Some(scanner) = self.scanner.as_mut() else {
            return Err(finished_error());
        };
        let found = scanner.push(&chunk);
        self.bytes += chunk.len();
        let mut new = self.admit(found);
        if let Some(leak) = self.leak.as_mut() {
            leak.tail.push_str(&chunk);
            leak.unchecked += chunk.len();
            if leak.unchecked >= LEAK_CHECK_EVERY {
                new.extend(leak.check());
            }
        }
        self.keep(&new);
        to_js(&new.iter().map(JsFinding::from).collect::<Vec<_>>())
    }

    /// Ends the stream; returns the report over all of it (`leaksSystemPrompt` included).
    pub fn finish(&mut self) -> Result<JsValue, JsValue> {
        let Some(scanner) = self.scanner.take() else {
            return Err(finished_error());
        };
        let mut new = self.admit(scanner.finish());
        if let Some(leak) = self.leak.as_mut() {
            new.extend(leak.check());
        }
        self.keep(&new);
        let mut findings = self.findings.clone();
        crate::sort::sort_by(&mut findings, |a, b| {
            b.score.cmp(&a.score).then(a.span.start.cmp(&b.span.start))
        });
        let score = score::risk_score(&findings);
        let report = Report {
            verdict: Verdict::from_score(score, self.thresholds),
            score,
            findings,
            redacted: None,
            stats: crate::ScanStats {
                bytes: self.bytes,
                views: vec!["original"],
                hidden_characters: 0,
                truncated: false,
            },
        };
        to_js(&JsOutputReport::new(&report))
    }

    /// The verdict over what has been seen so far: stop the stream once it is `block`.
    #[wasm_bindgen(getter)]
    pub fn verdict(&self) -> String {
        Verdict::from_score(self.score(), self.thresholds)
            .as_str()
            .to_owned()
    }

    /// The risk score over what has been seen so far.
    #[wasm_bindgen(getter)]
    pub fn score(&self) -> u8 {
        score::risk_score(&self.findings)
    }

    /// UTF-8 bytes of the stream seen so far.
    #[wasm_bindgen(getter)]
    pub fn bytes(&self) -> f64 {
        self.bytes as f64
    }
}

impl StreamScanner {
    /// The findings this fence reports (enabled categories and rules, DLP on or off).
    fn admit(&self, found: Vec<Finding>) -> Vec<Finding> {
        found
            .into_iter()
            .filter(|f| self.filter.dlp || !f.category.is_data())
            .filter(|f| self.filter.is_enabled(&f.rule_id, f.category))
            .collect()
    }

    fn keep(&mut self, new: &[Finding]) {
        self.findings.extend_from_slice(new);
    }
}

impl LeakWatch {
    /// Looks for the prompt in the tail (once found, no more), then trims the tail.
    fn check(&mut self) -> Option<Finding> {
        self.unchecked = 0;
        let mut found = None;
        if !self.found {
            if let Some(mut f) = output::leak_finding(&self.tail, &self.prompt) {
                self.found = true;
                let (start, end) = (f.span.start, f.span.end);
                let start_utf16 = self.tail_at_utf16 + utf16_len(&self.tail[..start]);
                f.span_utf16 =
                    Span::new(start_utf16, start_utf16 + utf16_len(&self.tail[start..end]));
                f.excerpt = self.tail[start..end].chars().take(120).collect();
                f.span = Span::new(self.tail_at + start, self.tail_at + end);
                found = Some(f);
            }
        }
        let keep = 2 * self.prompt.len() + 1024;
        if self.tail.len() > keep {
            let mut cut = self.tail.len() - keep;
            while !self.tail.is_char_boundary(cut) {
                cut -= 1;
            }
            self.tail_at += cut;
            self.tail_at_utf16 += utf16_len(&self.tail[..cut]);
            self.tail.drain(..cut);
        }
        found
    }
}

fn finished_error() -> JsValue {
    fence_error(
        ErrorKind::InvalidInput.code(),
        "the stream has already finished (finish() was called)",
    )
}

/// Unmasks a streamed answer chunk by chunk: a placeholder split across chunks is held back
/// until it is complete.
#[wasm_bindgen]
pub struct Unmasker {
    inner: Option<crate::Unmasker<'static>>,
}

#[wasm_bindgen]
impl Unmasker {
    /// `new Unmasker(vault)`: the vault a `redact` call returned (object or JSON text).
    #[wasm_bindgen(constructor)]
    pub fn new(vault: JsValue) -> Result<Unmasker, JsValue> {
        let vault = vault_from_js(&vault).map_err(to_js_error)?;
        Ok(Unmasker {
            inner: Some(vault.into_unmasker()),
        })
    }

    /// Takes the next chunk; returns the unmasked text that is ready.
    pub fn push(&mut self, chunk: JsValue) -> Result<String, JsValue> {
        let chunk = string_from_js(&chunk, "chunk").map_err(to_js_error)?;
        match self.inner.as_mut() {
            Some(u) => Ok(u.push(&chunk)),
            None => Err(finished_error()),
        }
    }

    /// Ends the stream; returns what was held back, unmasked.
    pub fn finish(&mut self) -> Result<String, JsValue> {
        match self.inner.take() {
            Some(u) => Ok(u.finish()),
            None => Err(finished_error()),
        }
    }
}

fn utf16_len(s: &str) -> usize {
    s.chars().map(char::len_utf16).sum()
}

/// Sets UTF-16 spans and excerpts of findings whose byte spans index into `text`.
fn with_utf16_spans(text: &str, findings: &mut [Finding]) {
    for f in findings {
        let (start, end) = (f.span.start.min(text.len()), f.span.end.min(text.len()));
        let (Some(before), Some(matched)) = (text.get(..start), text.get(start..end)) else {
            continue;
        };
        let start_utf16 = utf16_len(before);
        f.span_utf16 = Span::new(start_utf16, start_utf16 + utf16_len(matched));
        f.excerpt = matched.chars().take(120).collect();
    }
}

/// Reads a vault: the object `redact` returned, or its JSON text.
fn vault_from_js(value: &JsValue) -> Result<Vault, Error> {
    if let Some(json) = value.as_string() {
        return Vault::from_json(&json);
    }
    if !value.is_object() || js_sys::Array::is_array(value) {
        return Err(Error::new(
            ErrorKind::InvalidInput,
            format!(
                "vault must be the object redact() returned (or its JSON), got {}",
                js_type_name(value)
            ),
        ));
    }
    from_js(value).map_err(|e| Error::new(ErrorKind::InvalidInput, format!("not a vault: {e}")))
}

/// Refuses keys of `options` that are not in `names`, so that a typo is an error.
fn check_keys(options: &JsValue, names: &[&str], what: &str) -> Result<(), Error> {
    if !options.is_object() || js_sys::Array::is_array(options) {
        return Err(Error::new(
            ErrorKind::InvalidOption,
            format!("{what} must be an object, got {}", js_type_name(options)),
        ));
    }
    for key in js_sys::Object::keys(options.unchecked_ref::<js_sys::Object>()).iter() {
        let key = key.as_string().unwrap_or_default();
        if !names.contains(&key.as_str()) {
            return Err(Error::new(
                ErrorKind::InvalidOption,
                format!(
                    "{what}: unknown option `{key}` (expected one of: {})",
                    names.join(", ")
                ),
            ));
        }
    }
    Ok(())
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct JsOutputOptions {
    system_prompt: Option<String>,
    canaries: Option<Vec<String>>,
    allowed_domains: Option<Vec<String>>,
}

/// Shortest canary accepted: a shorter one would turn up in ordinary answers.
const MIN_CANARY_CHARS: usize = 8;

fn output_options_from_js(options: JsValue) -> Result<OutputOptions, Error> {
    if options.is_undefined() || options.is_null() {
        return Ok(OutputOptions::default());
    }
    check_keys(
        &options,
        &["systemPrompt", "canaries", "allowedDomains"],
        "output options",
    )?;
    let o: JsOutputOptions = from_js(&options)
        .map_err(|e| Error::new(ErrorKind::InvalidOption, format!("output options: {e}")))?;
    let canaries = o.canaries.unwrap_or_default();
    if let Some((i, c)) = canaries
        .iter()
        .enumerate()
        .find(|(_, c)| c.trim().chars().count() < MIN_CANARY_CHARS)
    {
        return Err(Error::new(
            ErrorKind::InvalidOption,
            format!("canaries[{i}] `{c}` is too short: a canary needs at least {MIN_CANARY_CHARS} characters (see generateCanary())"),
        ));
    }
    Ok(OutputOptions {
        system_prompt: o.system_prompt.filter(|p| !p.trim().is_empty()),
        canaries,
        allowed_domains: o.allowed_domains.unwrap_or_default(),
    })
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct JsRedactOptions {
    mode: Option<String>,
    /// Entity kind to mode, read from the JSON value (an object) rather than into a map type
    /// of its own, whose code the module would carry only for this.
    modes: Option<json::Value>,
    categories: Option<Vec<String>>,
    hash_key: Option<String>,
}

/// What one `redact` call does.
struct RedactRequest {
    policy: crate::RedactionPolicy,
    categories: Vec<Category>,
    vault: Vault,
}

fn redact_mode(name: &str, what: &str) -> Result<RedactMode, Error> {
    RedactMode::parse(name).ok_or_else(|| {
        Error::new(
            ErrorKind::InvalidOption,
            format!("{what}: unknown mode `{name}` (expected mask, hash, remove or leave)"),
        )
    })
}

fn redact_options_from_js(options: JsValue, engine: &Engine) -> Result<RedactRequest, Error> {
    let mut request = RedactRequest {
        policy: engine.config().redaction.clone(),
        categories: vec![Category::Pii, Category::Secret],
        vault: Vault::new(),
    };
    if options.is_undefined() || options.is_null() {
        return Ok(request);
    }
    check_keys(
        &options,
        &["mode", "modes", "categories", "hashKey", "vault"],
        "redact options",
    )?;
    let vault = get(&options, "vault");
    if !vault.is_undefined() && !vault.is_null() {
        request.vault = vault_from_js(&vault)?;
    }
    let o: JsRedactOptions = from_js(&options)
        .map_err(|e| Error::new(ErrorKind::InvalidOption, format!("redact options: {e}")))?;
    if let Some(mode) = &o.mode {
        request.policy.default_mode = redact_mode(mode, "mode")?;
    }
    let modes = match &o.modes {
        None | Some(json::Value::Null) => &[][..],
        Some(json::Value::Object(entries)) => entries.as_slice(),
        Some(_) => {
            return Err(Error::new(
                ErrorKind::InvalidOption,
                "redact options: modes must be an object from entity kind to mode",
            ))
        }
    };
    for (kind, mode) in modes {
        let Some(mode) = mode.as_str() else {
            return Err(Error::new(
                ErrorKind::InvalidOption,
                format!("redact options: modes.{kind} must be a string"),
            ));
        };
        let Some(k) = EntityKind::parse(kind) else {
            return Err(Error::new(
                ErrorKind::InvalidOption,
                format!("modes: unknown kind `{kind}` (expected email, phone, credit_card, iban, ssn, ip_address, or a secret kind such as github_token)"),
            ));
        };
        let mode = redact_mode(mode, &format!("modes.{kind}"))?;
        request.policy.modes.push((k, mode));
    }
    if let Some(names) = &o.categories {
        request.categories = names
            .iter()
            .map(|name| match Category::parse(name) {
                Some(c) if c.is_data() => Ok(c),
                _ => Err(Error::new(
                    ErrorKind::InvalidOption,
                    format!("categories: `{name}` cannot be redacted (expected pii or secret)"),
                )),
            })
            .collect::<Result<_, _>>()?;
    }
    if let Some(key) = &o.hash_key {
        request.policy.hash_key = hash_key(key)?;
    }
    Ok(request)
}

/// A 128-bit key written as 32 hex digits.
fn hash_key(hex: &str) -> Result<[u8; 16], Error> {
    let bad = || {
        Error::new(
            ErrorKind::InvalidOption,
            "hashKey must be 32 hexadecimal digits (a 128-bit key)",
        )
    };
    if hex.len() != 32 || !hex.is_ascii() {
        return Err(bad());
    }
    let mut key = [0u8; 16];
    for (i, byte) in key.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).map_err(|_| bad())?;
    }
    Ok(key)
}

fn get(target: &JsValue, key: &str) -> JsValue {
    Reflect::get(target, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

/// The index of the first unpaired surrogate in `s`, if any.
fn lone_surrogate(s: &JsString) -> Option<usize> {
    let mut high_at: Option<usize> = None;
    for (i, unit) in s.iter().enumerate() {
        match unit {
            0xD800..=0xDBFF => {
                if high_at.is_some() {
                    return high_at;
                }
                high_at = Some(i);
            }
            0xDC00..=0xDFFF => {
                if high_at.take().is_none() {
                    return Some(i);
                }
            }
            _ => {
                if high_at.is_some() {
                    return high_at;
                }
            }
        }
    }
    high_at
}

/// The option names [`Options`] accepts, as JavaScript writes them.
const OPTION_NAMES: [&str; 8] = [
    "profile",
    "thresholds",
    "categories",
    "disabledRules",
    "rules",
    "embeddedRules",
    "maxInputBytes",
    "oversize",
];

/// Options as JavaScript writes them. Unknown fields are refused, so a typo is an error
/// rather than a silently ignored setting.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Options {
    profile: Option<String>,
    thresholds: Option<JsThresholds>,
    categories: Option<Vec<String>>,
    disabled_rules: Option<Vec<String>>,
    rules: Option<Vec<json::Value>>,
    embedded_rules: Option<bool>,
    max_input_bytes: Option<f64>,
    oversize: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct JsThresholds {
    warn: u8,
    block: u8,
}

fn config_from_js(options: JsValue) -> Result<Config, Error> {
    if options.is_undefined() || options.is_null() {
        return Ok(Config::default());
    }
    if !options.is_object() || js_sys::Array::is_array(&options) {
        return Err(Error::new(
            ErrorKind::InvalidOption,
            format!("options must be an object, got {}", js_type_name(&options)),
        ));
    }
    // Refused here rather than by the derived reader, so that the error lists the options.
    for key in js_sys::Object::keys(options.unchecked_ref::<js_sys::Object>()).iter() {
        let key = key.as_string().unwrap_or_default();
        if !OPTION_NAMES.contains(&key.as_str()) {
            return Err(Error::new(
                ErrorKind::InvalidOption,
                format!(
                    "unknown option `{key}` (expected one of: {})",
                    OPTION_NAMES.join(", ")
                ),
            ));
        }
    }
    let options: Options = from_js(&options)
        .map_err(|e| Error::new(ErrorKind::InvalidOption, format!("options: {e}")))?;
    let mut config = Config::default();
    if let Some(profile) = &options.profile {
        config.profile = Profile::parse(profile)?;
    }
    if let Some(t) = options.thresholds {
        config.thresholds = Some(
            Thresholds {
                warn: t.warn,
                block: t.block,
            }
            .validate()?,
        );
    }
    if let Some(names) = &options.categories {
        let categories = names
            .iter()
            .map(|name| {
                Category::parse(name).ok_or_else(|| {
                    Error::new(
                        ErrorKind::InvalidOption,
                        format!("categories: unknown category `{name}`"),
                    )
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        config.categories = Some(categories);
    }
    if let Some(disabled) = options.disabled_rules {
        config.disabled_rules = disabled;
    }
    if let Some(packs) = options.rules {
        for (i, pack) in packs.into_iter().enumerate() {
            config.rule_packs.push(rule_pack_from_js(i, pack)?);
        }
    }
    if let Some(embedded) = options.embedded_rules {
        config.embedded_rules = embedded;
    }
    if let Some(max) = options.max_input_bytes {
        if !(max >= 1.0 && max.fract() == 0.0 && max <= u32::MAX as f64) {
            return Err(Error::new(
                ErrorKind::InvalidOption,
                format!(
                    "maxInputBytes must be a whole number from 1 to 4294967295, got {}",
                    crate::float::to_text(max)
                ),
            ));
        }
        config.max_input_bytes = max as usize;
    }
    if let Some(policy) = &options.oversize {
        config.oversize = match policy.as_str() {
            "refuse" => OversizePolicy::Refuse,
            "scanPrefix" => OversizePolicy::ScanPrefix,
            other => {
                return Err(Error::new(
                    ErrorKind::InvalidOption,
                    format!("oversize: unknown policy `{other}` (expected refuse or scanPrefix)"),
                ))
            }
        };
    }
    Ok(config)
}

/// A custom pack from `options.rules[i]`: YAML or JSON text, or an already parsed object.
fn rule_pack_from_js(i: usize, pack: json::Value) -> Result<RulePack, Error> {
    let name = pack
        .get("name")
        .and_then(|n| n.as_str())
        .map(|n| format!("rules[{i}] ({n})"))
        .unwrap_or_else(|| format!("rules[{i}]"));
    match pack {
        json::Value::String(text) => RulePack::parse(&format!("rules[{i}]"), &text),
        json::Value::Object(_) => RulePack::from_value(&name, pack, true),
        other => Err(Error::new(
            ErrorKind::InvalidRulePack,
            format!(
                "rules[{i}]: a rule pack must be YAML/JSON text or an object, got {}",
                json_type_name(&other)
            ),
        )),
    }
}

/// A report as JavaScript sees it: camelCase, spans in UTF-16 code units.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct JsReport<'r> {
    verdict: &'static str,
    score: u8,
    flagged: bool,
    findings: Vec<JsFinding<'r>>,
    stats: JsStats<'r>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct JsFinding<'r> {
    rule_id: &'r str,
    category: &'static str,
    severity: &'static str,
    score: u8,
    start: usize,
    end: usize,
    excerpt: &'r str,
    view: &'static str,
    message: &'r str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsStats<'r> {
    bytes: usize,
    views: &'r [&'static str],
    hidden_characters: usize,
    truncated: bool,
}

#[derive(Serialize)]
struct JsRule<'r> {
    id: &'r str,
    category: &'static str,
    severity: &'static str,
    score: u8,
    description: &'r str,
    source: &'r str,
}

impl<'r> From<&'r Finding> for JsFinding<'r> {
    fn from(f: &'r Finding) -> JsFinding<'r> {
        JsFinding {
            rule_id: &f.rule_id,
            category: f.category.as_str(),
            severity: f.severity.as_str(),
            score: f.score,
            start: f.span_utf16.start,
            end: f.span_utf16.end,
            excerpt: &f.excerpt,
            view: f.view,
            message: &f.message,
        }
    }
}

impl<'r> From<&'r Report> for JsReport<'r> {
    fn from(r: &'r Report) -> JsReport<'r> {
        JsReport {
            verdict: r.verdict.as_str(),
            score: r.score,
            flagged: r.is_flagged(),
            findings: r.findings.iter().map(JsFinding::from).collect(),
            stats: JsStats {
                bytes: r.stats.bytes,
                views: &r.stats.views,
                hidden_characters: r.stats.hidden_characters,
                truncated: r.stats.truncated,
            },
        }
    }
}

/// A result for JavaScript: serialized to a JSON value, then built as plain objects, arrays
/// and primitives (`None` is `null`).
pub(crate) fn to_js<T: Serialize + ?Sized>(value: &T) -> Result<JsValue, JsValue> {
    json::to_value(value)
        .map(|v| json_to_js(&v))
        .map_err(|e| fence_error("INTERNAL", &format!("cannot convert the result: {e}")))
}

fn json_to_js(value: &json::Value) -> JsValue {
    match value {
        json::Value::Null => JsValue::NULL,
        json::Value::Bool(b) => JsValue::from_bool(*b),
        json::Value::Number(n) => JsValue::from_f64(n.as_f64()),
        json::Value::String(s) => JsValue::from_str(s),
        json::Value::Array(items) => items
            .iter()
            .map(json_to_js)
            .collect::<js_sys::Array>()
            .into(),
        json::Value::Object(map) => {
            let object = JsValue::from(js_sys::Object::new());
            for (key, value) in map {
                object
                    .unchecked_ref::<PlainObject>()
                    .set_member(&JsValue::from_str(key), &json_to_js(value));
            }
            object
        }
    }
}

#[wasm_bindgen]
extern "C" {
    /// An object we made: `object[key] = value` without `Reflect.set`'s exception guard.
    type PlainObject;

    #[wasm_bindgen(method, indexing_setter)]
    fn set_member(this: &PlainObject, key: &JsValue, value: &JsValue);
}

/// Reads `T` from a JavaScript value taken as JSON: `undefined` members are absent, `null`
/// is null, and functions, symbols and bigints are refused.
pub(crate) fn from_js<T: serde::de::DeserializeOwned>(value: &JsValue) -> Result<T, String> {
    json::from_value(js_to_json(value, 0)?).map_err(|e| e.to_string())
}

/// Deepest nesting read from JavaScript (cyclic objects end here).
const MAX_JS_DEPTH: usize = 128;

fn js_to_json(value: &JsValue, depth: usize) -> Result<json::Value, String> {
    if value.is_null() || value.is_undefined() {
        return Ok(json::Value::Null);
    }
    if let Some(b) = value.as_bool() {
        return Ok(json::Value::Bool(b));
    }
    if let Some(n) = value.as_f64() {
        // Whole numbers as integers, so that they read into integer fields.
        let number = if n.fract() == 0.0 && n.abs() <= 9_007_199_254_740_992.0 {
            json::Number::from(n as i64)
        } else {
            json::Number::F64(n)
        };
        return Ok(json::Value::Number(number));
    }
    if let Some(s) = value.as_string() {
        return Ok(json::Value::String(s));
    }
    if depth == MAX_JS_DEPTH {
        return Err("nested too deeply".to_owned());
    }
    if js_sys::Array::is_array(value) {
        return js_sys::Array::from(value)
            .iter()
            .map(|item| js_to_json(&item, depth + 1))
            .collect::<Result<_, _>>()
            .map(json::Value::Array);
    }
    if !value.is_object() {
        return Err(format!("invalid type: {}", js_type_name(value)));
    }
    let mut map = json::Map::new();
    for key in js_sys::Object::keys(value.unchecked_ref::<js_sys::Object>()).iter() {
        let member = Reflect::get(value, &key).unwrap_or(JsValue::UNDEFINED);
        if !member.is_undefined() {
            map.push((
                key.as_string().unwrap_or_default(),
                js_to_json(&member, depth + 1)?,
            ));
        }
    }
    Ok(json::Value::Object(map))
}

pub(crate) fn to_js_error(e: Error) -> JsValue {
    fence_error(e.kind().code(), e.message())
}

/// An `Error` named `FenceError` with a `code`, as the shim's `FenceError` class expects.
fn fence_error(code: &str, message: &str) -> JsValue {
    let error = js_sys::Error::new(message);
    error.set_name("FenceError");
    let error = JsValue::from(error);
    set(&error, "code", &JsValue::from_str(code));
    error
}

fn set(target: &JsValue, key: &str, value: &JsValue) {
    // Setting a property on an object we just created cannot fail.
    let _ = Reflect::set(target, &JsValue::from_str(key), value);
}

pub(crate) fn js_type_name(value: &JsValue) -> String {
    if value.is_null() {
        "null".to_owned()
    } else if js_sys::Array::is_array(value) {
        "an array".to_owned()
    } else {
        value.js_typeof().as_string().unwrap_or_default()
    }
}

fn json_type_name(value: &json::Value) -> &'static str {
    match value {
        json::Value::Null => "null",
        json::Value::Bool(_) => "a boolean",
        json::Value::Number(_) => "a number",
        json::Value::String(_) => "a string",
        json::Value::Array(_) => "an array",
        json::Value::Object(_) => "an object",
    }
}

/// `scanOutput`'s report: a report, and whether the system prompt leaked.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsOutputReport<'r> {
    #[serde(flatten)]
    report: JsReport<'r>,
    leaks_system_prompt: bool,
}

impl<'r> JsOutputReport<'r> {
    fn new(r: &'r Report) -> JsOutputReport<'r> {
        JsOutputReport {
            report: JsReport::from(r),
            leaks_system_prompt: r
                .findings
                .iter()
                .any(|f| f.rule_id == "prompt_leak.output.system_prompt"),
        }
    }
}

/// `scanMessages`' report: the verdict over the conversation and one entry per message.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsTranscript<'r> {
    verdict: &'static str,
    score: u8,
    flagged: bool,
    messages: Vec<JsMessageReport<'r>>,
}

#[derive(Serialize)]
struct JsMessageReport<'r> {
    index: usize,
    /// The role as the caller wrote it (`developer`, `function`, ...).
    role: &'r str,
    /// `null` for system messages, which are trusted and not scanned.
    report: Option<JsReport<'r>>,
}

impl<'r> JsTranscript<'r> {
    fn new(t: &'r TranscriptReport, roles: &'r [String]) -> JsTranscript<'r> {
        JsTranscript {
            verdict: t.verdict.as_str(),
            score: t.score,
            flagged: t.verdict != Verdict::Allow,
            messages: t
                .messages
                .iter()
                .map(|m| JsMessageReport {
                    index: m.index,
                    role: roles.get(m.index).map_or("", String::as_str),
                    report: m.report.as_ref().map(JsReport::from),
                })
                .collect(),
        }
    }
}

#[derive(Serialize)]
struct JsRedaction<'r> {
    text: &'r str,
    findings: Vec<JsFinding<'r>>,
    vault: &'r Vault,
}
