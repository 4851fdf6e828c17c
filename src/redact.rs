//! Redaction: replaces the personal data and secrets a scan found with placeholders
//! (`[EMAIL_1]`), keyed hashes (`[EMAIL_5f2c9a01]`) or nothing, and keeps what it replaced in a
//! [`Vault`] so that the model's answer can be unmasked, also while it streams
//! ([`Unmasker`]).
//!
//! The vault is plain data (serde JSON), so a JavaScript caller can keep it between the request
//! and the response. It holds the original values: treat it like the data itself.

use crate::dlp::{Entity, EntityKind};
use serde::de::{MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::borrow::Cow;
use std::fmt;

/// What redaction does with one kind of value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RedactMode {
    /// A numbered placeholder: `[EMAIL_1]`; the same value keeps its number.
    Mask,
    /// A placeholder with a short keyed hash of the value: `[EMAIL_5f2c9a01]`; the same value
    /// gets the same placeholder in every conversation redacted with the same key.
    Hash,
    /// Deleted; not restorable.
    Remove,
    /// Left as it is.
    Leave,
}

impl RedactMode {
    /// Parses `mask`, `hash`, `remove` or `leave`.
    pub fn parse(name: &str) -> Option<RedactMode> {
        match name {
            "mask" => Some(RedactMode::Mask),
            "hash" => Some(RedactMode::Hash),
            "remove" => Some(RedactMode::Remove),
            "leave" => Some(RedactMode::Leave),
            _ => None,
        }
    }
}

/// Which values are redacted, and how.
///
/// The default masks every kind of personal data and secret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RedactionPolicy {
    /// The mode for kinds not listed in `modes`.
    pub default_mode: RedactMode,
    /// Per-kind modes (`[(EntityKind::IpAddress, RedactMode::Leave)]`).
    pub modes: Vec<(EntityKind, RedactMode)>,
    /// Key of the hash mode. Set your own: with the default (all zeros) anyone can test
    /// whether a guessed value hashes to a given placeholder.
    pub hash_key: [u8; 16],
}

impl Default for RedactionPolicy {
    fn default() -> RedactionPolicy {
        RedactionPolicy {
            default_mode: RedactMode::Mask,
            modes: Vec::new(),
            hash_key: [0; 16],
        }
    }
}

impl RedactionPolicy {
    /// The mode for `kind`.
    pub fn mode(&self, kind: EntityKind) -> RedactMode {
        self.modes
            .iter()
            .rev()
            .find(|(k, _)| *k == kind)
            .map_or(self.default_mode, |(_, m)| *m)
    }
}

/// One value a redaction replaced.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VaultEntry {
    pub placeholder: String,
    pub value: String,
    pub kind: EntityKind,
}

/// The values replaced in a conversation and their placeholders.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Vault {
    entries: Vec<VaultEntry>,
    /// Last number used per placeholder label (`EMAIL` → 2).
    numbers: Numbers,
}

/// Last number used per placeholder label, sorted by label: a JSON object in the vault, as a
/// `BTreeMap` would write it, without the B-tree code a map type would bring into the wasm
/// module for a handful of labels.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Numbers(Vec<(String, u32)>);

impl Numbers {
    /// The number of `label`, added at 0 if it has none.
    fn entry(&mut self, label: &str) -> &mut u32 {
        let at = match self.0.binary_search_by(|(l, _)| l.as_str().cmp(label)) {
            Ok(at) => at,
            Err(at) => {
                self.0.insert(at, (label.to_owned(), 0));
                at
            }
        };
        &mut self.0[at].1
    }
}

impl Serialize for Numbers {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (label, n) in &self.0 {
            map.serialize_entry(label, n)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for Numbers {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Numbers, D::Error> {
        struct NumbersVisitor;
        impl<'de> Visitor<'de> for NumbersVisitor {
            type Value = Numbers;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a map from placeholder label to number")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Numbers, A::Error> {
                let mut numbers = Numbers::default();
                while let Some((label, n)) = map.next_entry::<String, u32>()? {
                    // A repeated label keeps its last number, as a map would.
                    *numbers.entry(&label) = n;
                }
                Ok(numbers)
            }
        }
        deserializer.deserialize_map(NumbersVisitor)
    }
}

/// Longest placeholder, in bytes: `[` + label + `_` + number or hash + `]`.
pub const MAX_PLACEHOLDER_BYTES: usize = 48;

impl Vault {
    pub fn new() -> Vault {
        Vault::default()
    }

    /// The replaced values, in the order they were first seen.
    pub fn entries(&self) -> &[VaultEntry] {
        &self.entries
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Serializes the vault to JSON.
    pub fn to_json(&self) -> String {
        crate::json::to_string(self).unwrap_or_else(|_| "{}".to_owned())
    }

    /// Reads a vault written by [`Vault::to_json`].
    pub fn from_json(json: &str) -> Result<Vault, crate::Error> {
        crate::json::from_str(json).map_err(|e| {
            crate::Error::new(crate::ErrorKind::InvalidInput, format!("not a vault: {e}"))
        })
    }

    fn placeholder_of(&self, value: &str) -> Option<&str> {
        self.entries
            .iter()
            .find(|e| e.value == value)
            .map(|e| e.placeholder.as_str())
    }

    fn value_of(&self, placeholder: &str) -> Option<&str> {
        self.entries
            .iter()
            .find(|e| e.placeholder == placeholder)
            .map(|e| e.value.as_str())
    }

    /// The placeholder for `value`, creating it. `text` is the text being redacted: a
    /// placeholder that already occurs in it is skipped, so unmasking cannot touch the
    /// caller's own text.
    fn placeholder_for(
        &mut self,
        kind: EntityKind,
        value: &str,
        mode: RedactMode,
        key: &[u8; 16],
        text: &str,
    ) -> String {
        if let Some(p) = self.placeholder_of(value) {
            return p.to_owned();
        }
        let label = kind.as_str().to_ascii_uppercase();
        let mut candidate = match mode {
            RedactMode::Hash => format!("[{label}_{:08x}]", siphash24(key, value.as_bytes()) >> 32),
            _ => String::new(),
        };
        let mut attempt = 0u32;
        while candidate.is_empty()
            || self.value_of(&candidate).is_some()
            || text.contains(&candidate)
        {
            attempt += 1;
            candidate = if mode == RedactMode::Hash {
                let hash = siphash24(key, value.as_bytes()) >> 32;
                format!("[{label}_{hash:08x}_{attempt}]")
            } else {
                let n = self.numbers.entry(&label);
                *n += 1;
                format!("[{label}_{n}]")
            };
        }
        self.entries.push(VaultEntry {
            placeholder: candidate.clone(),
            value: value.to_owned(),
            kind,
        });
        candidate
    }

    /// Replaces every placeholder of this vault in `text` with its original value.
    pub fn unmask(&self, text: &str) -> String {
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(open) = rest.find('[') {
            out.push_str(&rest[..open]);
            let tail = &rest[open..];
            let close = tail
                .bytes()
                .take(MAX_PLACEHOLDER_BYTES)
                .position(|b| b == b']');
            match close.and_then(|c| self.value_of(&tail[..=c]).map(|v| (c, v))) {
                Some((c, value)) => {
                    out.push_str(value);
                    rest = &tail[c + 1..];
                }
                None => {
                    out.push('[');
                    rest = &tail[1..];
                }
            }
        }
        out.push_str(rest);
        out
    }

    /// A streaming unmasker over this vault.
    pub fn unmasker(&self) -> Unmasker<'_> {
        Unmasker {
            vault: Cow::Borrowed(self),
            pending: String::new(),
        }
    }

    /// A streaming unmasker that owns this vault (for callers that cannot keep a borrow, such
    /// as the JavaScript binding).
    pub fn into_unmasker(self) -> Unmasker<'static> {
        Unmasker {
            vault: Cow::Owned(self),
            pending: String::new(),
        }
    }
}

/// Unmasks a streamed answer chunk by chunk; a placeholder split across chunks is held back
/// until it is complete (at most [`MAX_PLACEHOLDER_BYTES`] are held).
#[derive(Debug)]
pub struct Unmasker<'v> {
    vault: Cow<'v, Vault>,
    pending: String,
}

impl Unmasker<'_> {
    /// Takes the next chunk; returns the unmasked text that is ready.
    pub fn push(&mut self, chunk: &str) -> String {
        self.pending.push_str(chunk);
        // Hold back from the last `[` that is not closed yet and could still become a
        // placeholder; placeholders contain no `[`, so nothing before it can be one in part.
        let hold = match self.pending.rfind('[') {
            Some(i)
                if !self.pending[i..].contains(']')
                    && self.pending.len() - i < MAX_PLACEHOLDER_BYTES =>
            {
                i
            }
            _ => self.pending.len(),
        };
        let ready = self.vault.unmask(&self.pending[..hold]);
        self.pending.drain(..hold);
        ready
    }

    /// Ends the stream; returns what was held back, unmasked.
    pub fn finish(self) -> String {
        self.vault.unmask(&self.pending)
    }
}

/// The result of redacting a text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Redaction {
    /// The text with values replaced.
    pub text: String,
    /// What was found, with spans in the original text.
    pub entities: Vec<Entity>,
}

/// Replaces `entities` (sorted, not overlapping, as [`crate::dlp::detect`] returns them) in
/// `text` according to `policy`, recording placeholders in `vault`.
pub fn redact(
    text: &str,
    entities: &[Entity],
    policy: &RedactionPolicy,
    vault: &mut Vault,
) -> String {
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for e in entities {
        let (start, end) = (e.span.start, e.span.end);
        if start < at || end > text.len() {
            continue;
        }
        let mode = policy.mode(e.kind);
        let replacement = match mode {
            RedactMode::Leave => continue,
            RedactMode::Remove => String::new(),
            RedactMode::Mask | RedactMode::Hash => {
                vault.placeholder_for(e.kind, &text[start..end], mode, &policy.hash_key, text)
            }
        };
        out.push_str(&text[at..start]);
        out.push_str(&replacement);
        at = end;
    }
    out.push_str(&text[at..]);
    out
}

/// SipHash-2-4 of `data` under a 128-bit key: short, keyed, stable across platforms.
fn siphash24(key: &[u8; 16], data: &[u8]) -> u64 {
    let word = |b: &[u8]| {
        let mut w = [0u8; 8];
        w[..b.len()].copy_from_slice(b);
        u64::from_le_bytes(w)
    };
    let (k0, k1) = (word(&key[..8]), word(&key[8..]));
    let mut v = [
        0x736f_6d65_7073_6575 ^ k0,
        0x646f_7261_6e64_6f6d ^ k1,
        0x6c79_6765_6e65_7261 ^ k0,
        0x7465_6462_7974_6573 ^ k1,
    ];
    let round = |v: &mut [u64; 4]| {
        v[0] = v[0].wrapping_add(v[1]);
        v[1] = v[1].rotate_left(13) ^ v[0];
        v[0] = v[0].rotate_left(32);
        v[2] = v[2].wrapping_add(v[3]);
        v[3] = v[3].rotate_left(16) ^ v[2];
        v[0] = v[0].wrapping_add(v[3]);
        v[3] = v[3].rotate_left(21) ^ v[0];
        v[2] = v[2].wrapping_add(v[1]);
        v[1] = v[1].rotate_left(17) ^ v[2];
        v[2] = v[2].rotate_left(32);
    };
    let chunks = data.chunks_exact(8);
    let tail = chunks.remainder();
    for c in chunks {
        let m = word(c);
        v[3] ^= m;
        round(&mut v);
        round(&mut v);
        v[0] ^= m;
    }
    let last = word(tail) | ((data.len() as u64 & 0xff) << 56);
    v[3] ^= last;
    round(&mut v);
    round(&mut v);
    v[0] ^= last;
    v[2] ^= 0xff;
    for _ in 0..4 {
        round(&mut v);
    }
    v[0] ^ v[1] ^ v[2] ^ v[3]
}

#[cfg(test)]
mod tests {
    use super::siphash24;

    #[test]
    fn siphash_matches_the_reference_vector() {
        // Test vector from the SipHash paper: key 00..0f, message 00..0e.
        let key: [u8; 16] = core::array::from_fn(|i| i as u8);
        let msg: Vec<u8> = (0..15).collect();
        assert_eq!(siphash24(&key, &msg), 0xa129_ca61_49be_45e5);
    }
}
