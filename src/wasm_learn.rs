//! The JavaScript binding of learning from missed attacks (`fence.learn`, `fence.exportIndex`,
//! `fence.importIndex`) and of conversation sessions (`SessionState`, which the shim's
//! `Session` class wraps). Like `wasm.rs`, it only converts values and errors; the logic is
//! in [`crate::learn`] and [`crate::session`].

use crate::wasm::{js_type_name, to_js, to_js_error, Fence, JsFinding, JsReport};
use crate::{Category, Error, ErrorKind, KnownAttacks, Role, Session, SessionOptions};
use serde::{Deserialize, Serialize};
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
impl Fence {
    /// Adds a reported attack to this engine's index of known attacks; later scans flag its
    /// near-variants as `similar.known_attack`. Options: `{ category }` (default
    /// `"injection"`). Returns `{ id, added, evicted }`.
    pub fn learn(&mut self, text: JsValue, options: JsValue) -> Result<JsValue, JsValue> {
        let text = self.text_from_js(&text).map_err(to_js_error)?;
        let options: LearnOptions =
            options_from_js(options, &["category"], "learn options").map_err(to_js_error)?;
        let category = match options.category.as_deref() {
            None => Category::Injection,
            Some(name) => Category::parse(name)
                .filter(|c| !c.is_data())
                .ok_or_else(|| {
                    to_js_error(Error::new(
                        ErrorKind::InvalidOption,
                        format!("learn: unknown or non-attack category `{name}`"),
                    ))
                })?,
        };
        let learned = self
            .engine
            .known_attacks_mut()
            .learn(&text, category)
            .map_err(to_js_error)?;
        to_js(&JsLearned {
            id: learned.id as f64,
            added: learned.added,
            evicted: learned.evicted.map(|id| id as f64),
        })
    }

    /// The index of known attacks as a JSON string (for localStorage or a KV store).
    #[wasm_bindgen(js_name = exportIndex)]
    pub fn export_index(&self) -> String {
        self.engine.known_attacks().to_json()
    }

    /// Replaces the index of known attacks with one exported by `exportIndex` (a JSON string
    /// or the parsed object). A bad index throws `INVALID_INPUT` and leaves the current one.
    /// Returns the number of entries.
    #[wasm_bindgen(js_name = importIndex)]
    pub fn import_index(&mut self, index: JsValue) -> Result<u32, JsValue> {
        let json = json_text(&index, "importIndex").map_err(to_js_error)?;
        let known = KnownAttacks::from_json(&json).map_err(to_js_error)?;
        let len = known.len() as u32;
        self.engine.set_known_attacks(known);
        Ok(len)
    }

    /// Entries in the index of known attacks.
    #[wasm_bindgen(getter, js_name = knownAttacks)]
    pub fn known_attacks(&self) -> u32 {
        self.engine.known_attacks().len() as u32
    }
}

/// The state of one conversation. The shim's `Session` pairs it with its `Fence`.
#[wasm_bindgen]
pub struct SessionState {
    session: Session,
}

#[wasm_bindgen]
impl SessionState {
    /// Options: `{ maxTurns, maxBytes, decay }`, each optional.
    #[wasm_bindgen(constructor)]
    pub fn new(options: JsValue) -> Result<SessionState, JsValue> {
        let options: JsSessionOptions = options_from_js(
            options,
            &["maxTurns", "maxBytes", "decay"],
            "session options",
        )
        .map_err(to_js_error)?;
        let defaults = SessionOptions::default();
        let options = SessionOptions {
            max_turns: whole(options.max_turns, "maxTurns")?.unwrap_or(defaults.max_turns),
            max_bytes: whole(options.max_bytes, "maxBytes")?.unwrap_or(defaults.max_bytes),
            decay: options.decay.unwrap_or(defaults.decay),
        };
        Ok(SessionState {
            session: Session::new(options).map_err(to_js_error)?,
        })
    }

    /// Scans one turn with `fence` and updates the state; returns the turn's report.
    pub fn push(
        &mut self,
        fence: &Fence,
        role: JsValue,
        text: JsValue,
    ) -> Result<JsValue, JsValue> {
        let Some(role_name) = role.as_string() else {
            return Err(to_js_error(Error::new(
                ErrorKind::InvalidInput,
                format!("role must be a string, got {}", js_type_name(&role)),
            )));
        };
        let role = Role::parse(&role_name).map_err(to_js_error)?;
        let text = fence.text_from_js(&text).map_err(to_js_error)?;
        let turn = self
            .session
            .push(&fence.engine, role, &text)
            .map_err(to_js_error)?;
        to_js(&JsTurn {
            turn: turn.turn as f64,
            role: role_name,
            verdict: turn.verdict.as_str(),
            flagged: turn.verdict != crate::Verdict::Allow,
            score: turn.score,
            risk: turn.risk,
            report: turn.report.as_ref().map(JsReport::from),
            conversation: turn.conversation.iter().map(JsFinding::from).collect(),
        })
    }

    /// The state as a JSON string.
    #[wasm_bindgen(js_name = stateJson)]
    pub fn state_json(&self) -> String {
        self.session.to_json()
    }

    /// Restores a state from `stateJson` output (a string or the parsed object).
    #[wasm_bindgen(js_name = fromStateJson)]
    pub fn from_state_json(state: JsValue) -> Result<SessionState, JsValue> {
        let json = json_text(&state, "Session.fromJSON").map_err(to_js_error)?;
        Ok(SessionState {
            session: Session::from_json(&json).map_err(to_js_error)?,
        })
    }

    /// The session risk, 0–100.
    #[wasm_bindgen(getter)]
    pub fn risk(&self) -> u8 {
        self.session.risk()
    }

    /// Turns pushed so far.
    #[wasm_bindgen(getter)]
    pub fn turns(&self) -> f64 {
        self.session.turns() as f64
    }
}

#[derive(Deserialize, Default)]
struct LearnOptions {
    category: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct JsSessionOptions {
    max_turns: Option<f64>,
    max_bytes: Option<f64>,
    decay: Option<f64>,
}

#[derive(Serialize)]
struct JsLearned {
    id: f64,
    added: bool,
    evicted: Option<f64>,
}

#[derive(Serialize)]
struct JsTurn<'r> {
    turn: f64,
    role: String,
    verdict: &'static str,
    flagged: bool,
    score: u8,
    risk: u8,
    report: Option<JsReport<'r>>,
    conversation: Vec<JsFinding<'r>>,
}

/// Reads an options object (or `undefined`/`null` for the defaults), refusing unknown keys.
fn options_from_js<T: Default + for<'de> Deserialize<'de>>(
    options: JsValue,
    names: &[&str],
    what: &str,
) -> Result<T, Error> {
    if options.is_undefined() || options.is_null() {
        return Ok(T::default());
    }
    if !options.is_object() || js_sys::Array::is_array(&options) {
        return Err(Error::new(
            ErrorKind::InvalidOption,
            format!("{what} must be an object, got {}", js_type_name(&options)),
        ));
    }
    for key in js_sys::Object::keys(options.unchecked_ref::<js_sys::Object>()).iter() {
        let key = key.as_string().unwrap_or_default();
        if !names.contains(&key.as_str()) {
            return Err(Error::new(
                ErrorKind::InvalidOption,
                format!(
                    "{what}: unknown option `{key}` (expected {})",
                    names.join(", ")
                ),
            ));
        }
    }
    crate::wasm::from_js(&options)
        .map_err(|e| Error::new(ErrorKind::InvalidOption, format!("{what}: {e}")))
}

/// A whole, non-negative number option.
fn whole(value: Option<f64>, name: &str) -> Result<Option<usize>, JsValue> {
    match value {
        None => Ok(None),
        Some(v) if v >= 0.0 && v.fract() == 0.0 && v <= u32::MAX as f64 => Ok(Some(v as usize)),
        Some(v) => Err(to_js_error(Error::new(
            ErrorKind::InvalidOption,
            format!(
                "{name} must be a whole number, got {}",
                crate::float::to_text(v)
            ),
        ))),
    }
}

/// JSON text from a string, or from an object by `JSON.stringify`.
fn json_text(value: &JsValue, what: &str) -> Result<String, Error> {
    if let Some(text) = value.as_string() {
        return Ok(text);
    }
    if value.is_object() {
        if let Some(text) = js_sys::JSON::stringify(value)
            .ok()
            .and_then(|s| s.as_string())
        {
            return Ok(text);
        }
    }
    Err(Error::new(
        ErrorKind::InvalidInput,
        format!(
            "{what} takes a JSON string or object, got {}",
            js_type_name(value)
        ),
    ))
}
