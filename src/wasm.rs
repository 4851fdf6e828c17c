//! The JavaScript binding (wasm-bindgen): converts options, text, reports and errors between
//! JavaScript and the engine. It holds no detection logic; the npm shim in `pkg-templates/`
//! wraps it in `createFence()`.
//!
//! Errors reach JavaScript as `Error` objects named `FenceError` with a stable `code`
//! (see [`ErrorKind::code`]); the shim's `FenceError` class recognises them with `instanceof`.
//! Spans are UTF-16 indices, so `text.slice(start, end)` is the matched text in JavaScript.

use crate::{
    Category, Config, Engine, Error, ErrorKind, Finding, OversizePolicy, Profile, Report, RulePack,
    Thresholds,
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
        let text = String::from(&js);
        // wasm-bindgen turns lone surrogates into U+FFFD; only then is the slow check needed.
        if text.contains('\u{FFFD}') {
            if let Some(at) = lone_surrogate(&js) {
                return Err(Error::new(
                    ErrorKind::InvalidInput,
                    format!("text has a lone UTF-16 surrogate at index {at} (not valid Unicode)"),
                ));
            }
        }
        Ok(text)
    }
}

/// The promptfence version.
#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
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
    rules: Option<Vec<serde_json::Value>>,
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
    // serde-wasm-bindgen reads only the fields it knows, so unknown ones are found here.
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
    let options: Options = serde_wasm_bindgen::from_value(options)
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
                format!("maxInputBytes must be a whole number from 1 to 4294967295, got {max}"),
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
fn rule_pack_from_js(i: usize, pack: serde_json::Value) -> Result<RulePack, Error> {
    let name = pack
        .get("name")
        .and_then(|n| n.as_str())
        .map(|n| format!("rules[{i}] ({n})"))
        .unwrap_or_else(|| format!("rules[{i}]"));
    match pack {
        serde_json::Value::String(text) => RulePack::parse(&format!("rules[{i}]"), &text),
        serde_json::Value::Object(_) => RulePack::from_value(&name, pack, true),
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

pub(crate) fn to_js<T: Serialize + ?Sized>(value: &T) -> Result<JsValue, JsValue> {
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| fence_error("INTERNAL", &format!("cannot convert the result: {e}")))
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

fn json_type_name(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}
