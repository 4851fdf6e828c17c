//! The learned model: a linear classifier over hashed features of the normalized text
//! (character n-grams of the confusables skeleton, word unigrams and bigrams), scored next to
//! the rules to catch attacks that are worded in a way no rule thought of.
//!
//! One head gives an attack score (logistic regression); a second, smaller head says which
//! attack category the text looks like, and is read only when the first one fires. Weights are
//! quantized to four bits (at most −7 to 7 times a scale per head; training uses −5 to 5), so
//! that the file is small and the many zero weights compress, and embedded at build time from `rules/model.bin`, which
//! `promptfence train` writes (see [`train`]). The loader widens them to one byte each: the
//! scan reads a byte per feature, as before.
//!
//! # File format (little-endian)
//!
//! | bytes | what |
//! |---|---|
//! | 8 | magic `PFMODEL\0` |
//! | 2 | format version (3: four-bit weights; 2 had one-byte weights; 1 hashed 3-, 4- and 5-grams) |
//! | 1, 1 | attack head bits, category head bits (buckets = 2^bits) |
//! | 1 | number of categories K, then K bytes: category codes |
//! | 4 × 4 | attack scale, attack bias, threshold (logit), category scale (f32) |
//! | 4 × K | category biases (f32) |
//! | 2^a / 2 | attack weights, four-bit two's complement, two per byte (even bucket in the low nibble) |
//! | K × 2^c / 2 | category weights, K per bucket, packed the same way |
//! | 8 | FNV-1a 64 checksum of everything before it |

pub mod features;
pub mod train;

use crate::error::{Error, ErrorKind};
use crate::finding::{Category, Finding, Severity, Span};
use crate::normalize::View;
use features::{Event, Feature, Norm};
use std::fmt;
use std::sync::{Arc, OnceLock};

const MAGIC: &[u8; 8] = b"PFMODEL\0";
/// The format version, bumped whenever the features or the weights' encoding change: a file of
/// another version is refused rather than misread.
const VERSION: u16 = 3;
/// The largest weight magnitude a four-bit weight holds (the quantizer's range is symmetric).
pub const MAX_WEIGHT: i8 = 7;
/// The largest head the format accepts (2^20 buckets): anything larger is a corrupt header.
const MAX_BITS: u8 = 20;
/// How many contributing words an explanation names.
const EXPLAIN_CUES: usize = 3;
/// The longest word or word pair an explanation quotes, in bytes.
const MAX_CUE_BYTES: usize = 48;

/// Categories the model can name, with their codes in the file.
const CATEGORY_CODES: [(Category, u8); 5] = [
    (Category::Injection, 1),
    (Category::Jailbreak, 2),
    (Category::PromptLeak, 3),
    (Category::Exfiltration, 4),
    (Category::CodeInjection, 5),
];

fn category_code(c: Category) -> Option<u8> {
    CATEGORY_CODES
        .iter()
        .find(|(k, _)| *k == c)
        .map(|&(_, b)| b)
}

fn category_of_code(b: u8) -> Option<Category> {
    CATEGORY_CODES
        .iter()
        .find(|&&(_, k)| k == b)
        .map(|&(c, _)| c)
}

/// Whether the model can be trained to name this category.
pub fn is_model_category(c: Category) -> bool {
    category_code(c).is_some()
}

/// A quantized linear model. Build it with [`Model::from_bytes`] or [`train::train`].
#[derive(Clone, PartialEq)]
pub struct Model {
    attack_bits: u8,
    attack_scale: f32,
    attack_bias: f32,
    /// Logit at or above which the model reports a finding.
    threshold: f32,
    attack: Vec<i8>,
    categories: Vec<Category>,
    category_bits: u8,
    category_scale: f32,
    category_bias: Vec<f32>,
    category_weights: Vec<i8>,
}

impl fmt::Debug for Model {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Model")
            .field("attack_buckets", &self.attack.len())
            .field("threshold", &self.threshold)
            .field("categories", &self.categories)
            .finish_non_exhaustive()
    }
}

/// The score of the highest-scoring chunk of a text.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ModelScore {
    /// Log-odds that the text is an attack.
    pub logit: f32,
    /// Byte range of the chunk in the view text.
    pub chunk: (usize, usize),
}

impl ModelScore {
    /// The attack probability, 0–1.
    pub fn probability(&self) -> f32 {
        1.0 / (1.0 + (-self.logit).exp())
    }
}

fn invalid(reason: impl fmt::Display) -> Error {
    Error::new(ErrorKind::InvalidModel, format!("model file: {reason}"))
}

/// Reads the file front to back, failing with the name of what is missing.
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8], Error> {
        let end = self.at.checked_add(n).filter(|&e| e <= self.bytes.len());
        let Some(end) = end else {
            return Err(invalid(format!(
                "truncated: {what} needs {n} bytes at offset {}, the file has {}",
                self.at,
                self.bytes.len()
            )));
        };
        let out = &self.bytes[self.at..end];
        self.at = end;
        Ok(out)
    }
    fn u8(&mut self, what: &str) -> Result<u8, Error> {
        Ok(self.take(1, what)?[0])
    }
    fn f32(&mut self, what: &str) -> Result<f32, Error> {
        let b = self.take(4, what)?;
        let v = f32::from_le_bytes([b[0], b[1], b[2], b[3]]);
        if !v.is_finite() {
            return Err(invalid(format!("{what} is not a finite number")));
        }
        Ok(v)
    }
    /// `n` four-bit weights, two per byte, widened to one byte each.
    fn nibbles(&mut self, n: usize, what: &str) -> Result<Vec<i8>, Error> {
        Ok(self
            .take(n / 2, what)?
            .iter()
            .flat_map(|&b| [nibble(b & 0x0f), nibble(b >> 4)])
            .collect())
    }
}

/// A four-bit two's-complement value.
fn nibble(bits: u8) -> i8 {
    ((bits << 4) as i8) >> 4
}

/// Two weights in one byte, the first in the low nibble (each must be within −8 to 7).
fn pack(pair: &[i8]) -> u8 {
    let low = pair.first().copied().unwrap_or(0) as u8 & 0x0f;
    let high = pair.get(1).copied().unwrap_or(0) as u8 & 0x0f;
    low | high << 4
}

fn checksum(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

impl Model {
    /// Parses and checks a model file. A file that is truncated, from another format version,
    /// or altered (checksum) is refused with [`ErrorKind::InvalidModel`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Model, Error> {
        if bytes.len() < MAGIC.len() || &bytes[..MAGIC.len()] != MAGIC {
            return Err(invalid("not a promptfence model (bad magic bytes)"));
        }
        if bytes.len() < MAGIC.len() + 8 {
            return Err(invalid("truncated: no checksum"));
        }
        let (body, sum) = bytes.split_at(bytes.len() - 8);
        let stored = u64::from_le_bytes(sum.try_into().map_err(|_| invalid("no checksum"))?);
        if checksum(body) != stored {
            return Err(invalid(
                "checksum mismatch: the file is corrupt or was altered",
            ));
        }
        let mut r = Reader {
            bytes: body,
            at: MAGIC.len(),
        };
        let v = r.take(2, "version")?;
        let version = u16::from_le_bytes([v[0], v[1]]);
        if version != VERSION {
            return Err(invalid(format!(
                "format version {version}, this build reads version {VERSION} (retrain with `promptfence train`)"
            )));
        }
        let attack_bits = r.u8("attack head bits")?;
        let category_bits = r.u8("category head bits")?;
        for (bits, name) in [(attack_bits, "attack"), (category_bits, "category")] {
            if bits == 0 || bits > MAX_BITS {
                return Err(invalid(format!(
                    "{name} head has 2^{bits} buckets (expected 2^1 to 2^{MAX_BITS})"
                )));
            }
        }
        let k = usize::from(r.u8("category count")?);
        if k == 0 {
            return Err(invalid("no categories"));
        }
        let categories = r
            .take(k, "category codes")?
            .iter()
            .map(|&b| {
                category_of_code(b).ok_or_else(|| invalid(format!("unknown category code {b}")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let attack_scale = r.f32("attack scale")?;
        let attack_bias = r.f32("attack bias")?;
        let threshold = r.f32("threshold")?;
        let category_scale = r.f32("category scale")?;
        let category_bias = (0..k)
            .map(|_| r.f32("category bias"))
            .collect::<Result<Vec<_>, _>>()?;
        let attack = r.nibbles(1usize << attack_bits, "attack weights")?;
        let category_weights = r.nibbles(k << category_bits, "category weights")?;
        if r.at != body.len() {
            return Err(invalid(format!(
                "{} bytes left over after the weights",
                body.len() - r.at
            )));
        }
        Ok(Model {
            attack_bits,
            attack_scale,
            attack_bias,
            threshold,
            attack,
            categories,
            category_bits,
            category_scale,
            category_bias,
            category_weights,
        })
    }

    /// The file form of the model (what [`Model::from_bytes`] reads).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out =
            Vec::with_capacity(64 + (self.attack.len() + self.category_weights.len()) / 2);
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&VERSION.to_le_bytes());
        out.push(self.attack_bits);
        out.push(self.category_bits);
        out.push(self.categories.len() as u8);
        out.extend(self.categories.iter().filter_map(|&c| category_code(c)));
        for v in [
            self.attack_scale,
            self.attack_bias,
            self.threshold,
            self.category_scale,
        ] {
            out.extend_from_slice(&v.to_le_bytes());
        }
        for v in &self.category_bias {
            out.extend_from_slice(&v.to_le_bytes());
        }
        out.extend(self.attack.chunks(2).map(pack));
        out.extend(self.category_weights.chunks(2).map(pack));
        let sum = checksum(&out);
        out.extend_from_slice(&sum.to_le_bytes());
        out
    }

    /// The model embedded at build time from `rules/model.bin`, parsed once; `None` when the
    /// crate was built without one.
    pub fn embedded() -> Result<Option<Arc<Model>>, Error> {
        static EMBEDDED: OnceLock<Result<Option<Arc<Model>>, Error>> = OnceLock::new();
        EMBEDDED
            .get_or_init(|| {
                let bytes: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/model.bin"));
                if bytes.is_empty() {
                    return Ok(None);
                }
                Model::from_bytes(bytes)
                    .map(|m| Some(Arc::new(m)))
                    .map_err(|e| invalid(format!("embedded rules/model.bin: {}", e.message())))
            })
            .clone()
    }

    /// The logit at or above which the model reports a finding.
    pub fn threshold(&self) -> f32 {
        self.threshold
    }

    /// The categories the model can name.
    pub fn categories(&self) -> &[Category] {
        &self.categories
    }

    #[inline(always)]
    fn attack_index(&self, hash: u32) -> usize {
        (hash >> (32 - u32::from(self.attack_bits))) as usize
    }

    fn category_index(&self, hash: u32) -> usize {
        (hash & ((1u32 << self.category_bits) - 1)) as usize
    }

    /// The attack score of the highest-scoring chunk of `view_text` (the normalized view).
    // Kept out of line: inlined into `Engine::scan`, its loop shared registers with the rest
    // of the scan and ran slower.
    #[inline(never)]
    pub fn score(&self, view_text: &str) -> ModelScore {
        let mut scorer = Scorer {
            model: self,
            best: ModelScore {
                logit: f32::NEG_INFINITY,
                chunk: (0, 0),
            },
            sum: 0,
            norm: Norm::default(),
        };
        features::visit(view_text, &mut scorer);
        scorer.best
    }

    /// The attack logit of one chunk given as (feature hash, value) pairs, as training stores
    /// them (see [`train::Prepared`]).
    pub fn score_sparse(&self, features: &[(u32, f32)]) -> f32 {
        let dot: f32 = features
            .iter()
            .map(|&(h, v)| f32::from(self.attack[self.attack_index(h)]) * v)
            .sum();
        self.attack_bias + self.attack_scale * dot
    }

    /// The category the chunk `view_text[start..end]` looks most like.
    fn category(&self, view_text: &str, chunk: (usize, usize)) -> Category {
        let k = self.categories.len();
        let mut sums = vec![0i32; k];
        let mut norm = Norm::default();
        let text = view_text.get(chunk.0..chunk.1).unwrap_or(view_text);
        features::visit(text, &mut |e| {
            if let Event::Feature(f) = e {
                if !norm.admit(f.hash) {
                    return;
                }
                let at = self.category_index(f.hash) * k;
                for (s, &w) in sums.iter_mut().zip(&self.category_weights[at..at + k]) {
                    *s += i32::from(w);
                }
            }
        });
        let norm = norm.value();
        let mut best = 0;
        let mut best_score = f32::NEG_INFINITY;
        for (i, (&s, &b)) in sums.iter().zip(&self.category_bias).enumerate() {
            let score = b + self.category_scale * s as f32 / norm;
            if score > best_score {
                best = i;
                best_score = score;
            }
        }
        self.categories[best]
    }

    /// The words and word pairs of the chunk that push its score up most, strongest first, as
    /// byte ranges of the view text.
    fn cues(&self, view_text: &str, chunk: (usize, usize)) -> Vec<(usize, usize)> {
        let Some(text) = view_text.get(chunk.0..chunk.1) else {
            return Vec::new();
        };
        let mut words: Vec<(i32, Feature)> = Vec::new();
        let mut grams: Vec<(usize, usize, i8)> = Vec::new();
        features::visit(text, &mut |e| {
            if let Event::Feature(f) = e {
                let w = self.attack[self.attack_index(f.hash)];
                if !f.word {
                    grams.push((f.start, f.end, w));
                } else if f.end - f.start <= MAX_CUE_BYTES {
                    // A "word" of hundreds of letters is no readable cue.
                    words.push((i32::from(w), f));
                }
            }
        });
        // A word's strength is its own weight plus those of the character n-grams inside it.
        // With few weight levels many words weigh the same alone; the n-grams tell "ignore"
        // from a stray symbol whose one bucket happens to be positive.
        crate::sort::sort_by_key(&mut grams, |g| g.0);
        for (strength, f) in &mut words {
            let from = grams.partition_point(|g| g.0 < f.start);
            *strength += grams[from..]
                .iter()
                .take_while(|g| g.0 < f.end)
                .filter(|g| g.1 <= f.end)
                .map(|g| i32::from(g.2))
                .sum::<i32>();
        }
        words.retain(|w| w.0 > 0);
        crate::sort::sort_by(&mut words, |a, b| {
            b.0.cmp(&a.0).then(a.1.start.cmp(&b.1.start))
        });
        let mut cues: Vec<(usize, usize)> = Vec::new();
        for (_, f) in words {
            let range = (chunk.0 + f.start, chunk.0 + f.end);
            // A word inside a pair already named says nothing new, and the other way round.
            let overlaps = cues.iter().any(|&(s, e)| range.0 < e && s < range.1);
            if !overlaps {
                cues.push(range);
            }
            if cues.len() == EXPLAIN_CUES {
                break;
            }
        }
        cues
    }

    /// The model's finding for a text, if its score reaches the threshold: `model.<category>`,
    /// spanning the contributing words, with those words in the message. `view` is the
    /// normalized view of `original`.
    pub fn assess(&self, view: &View, original: &str) -> Option<Finding> {
        let score = self.score(&view.text);
        if score.logit < self.threshold {
            return None;
        }
        let category = self.category(&view.text, score.chunk);
        let cues = self.cues(&view.text, score.chunk);
        let span = match (
            cues.iter().map(|c| c.0).min(),
            cues.iter().map(|c| c.1).max(),
        ) {
            (Some(s), Some(e)) => view.original_span(s, e),
            _ => view.original_span(score.chunk.0, score.chunk.1),
        };
        let quoted: Vec<String> = cues
            .iter()
            .filter_map(|&(s, e)| {
                let o = view.original_span(s, e);
                original.get(o.start..o.end).map(|t| format!("\"{t}\""))
            })
            .collect();
        let mut message = format!(
            "the learned model scores this as {} (probability {})",
            category.as_str(),
            crate::float::hundredths(f64::from(score.probability()))
        );
        if !quoted.is_empty() {
            message.push_str("; strongest cues: ");
            message.push_str(&quoted.join(", "));
        }
        Some(Finding {
            rule_id: format!("model.{}", category.as_str()),
            category,
            severity: Severity::from_score(crate::score::MODEL_SCORE),
            score: crate::score::MODEL_SCORE,
            span: Span::new(span.start, span.end),
            span_utf16: span,
            excerpt: String::new(),
            view: view.kind.as_str(),
            message,
        })
    }
}

/// [`Model::score`]'s running state: the best chunk so far and the one being read.
struct Scorer<'a> {
    model: &'a Model,
    best: ModelScore,
    sum: i32,
    norm: Norm,
}

impl features::Sink for Scorer<'_> {
    #[inline(always)]
    fn event(&mut self, event: Event) {
        match event {
            Event::Feature(f) => {
                if self.norm.admit(f.hash) {
                    // Indexed as a slice: `Vec`'s `Index` is a call of its own in the
                    // size-optimized wasm build.
                    let attack: &[i8] = &self.model.attack;
                    self.sum += i32::from(attack[self.model.attack_index(f.hash)]);
                }
            }
            Event::ChunkEnd { start, end } => {
                let logit = self.model.attack_bias
                    + self.model.attack_scale * self.sum as f32 / self.norm.value();
                if logit > self.best.logit {
                    self.best = ModelScore {
                        logit,
                        chunk: (start, end),
                    };
                }
                self.sum = 0;
                self.norm.reset();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiny() -> Model {
        Model {
            attack_bits: 4,
            attack_scale: 0.1,
            attack_bias: -1.0,
            threshold: 0.5,
            attack: (0..16).map(|i| i as i8 - 8).collect(),
            categories: vec![Category::Injection, Category::Jailbreak],
            category_bits: 2,
            category_scale: 0.05,
            category_bias: vec![0.0, 0.1],
            category_weights: vec![1, -1, 2, -2, 3, -3, 4, -4],
        }
    }

    #[test]
    fn a_model_round_trips_through_its_file_form() {
        let m = tiny();
        assert_eq!(Model::from_bytes(&m.to_bytes()), Ok(m));
    }

    #[test]
    fn a_flipped_byte_is_refused_as_corrupt() {
        let mut bytes = tiny().to_bytes();
        bytes[30] ^= 0x40;
        let err = Model::from_bytes(&bytes).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidModel);
        assert!(err.message().contains("checksum mismatch"), "{err}");
    }

    #[test]
    fn truncated_and_foreign_files_are_refused_with_a_reason() {
        let bytes = tiny().to_bytes();
        for cut in [0, 5, 12, bytes.len() - 1] {
            let err = Model::from_bytes(&bytes[..cut]).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidModel, "cut at {cut}");
        }
        let err = Model::from_bytes(b"PK\x03\x04 a zip file, not a model").unwrap_err();
        assert!(err.message().contains("bad magic"), "{err}");
    }

    #[test]
    fn a_file_of_another_format_version_is_refused_with_both_versions() {
        let mut m = tiny().to_bytes();
        m[8..10].copy_from_slice(&2u16.to_le_bytes());
        let body = m.len() - 8;
        let sum = checksum(&m[..body]);
        m[body..].copy_from_slice(&sum.to_le_bytes());
        let err = Model::from_bytes(&m).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidModel);
        assert!(
            err.message()
                .contains("format version 2, this build reads version 3"),
            "{err}"
        );
    }

    #[test]
    fn four_bit_weights_pack_two_to_a_byte_and_keep_their_sign() {
        let m = tiny();
        let bytes = m.to_bytes();
        // 16 attack weights and 2 × 4 category weights, half a byte each.
        assert_eq!(bytes.len(), 8 + 2 + 2 + 1 + 2 + 16 + 8 + 8 + 4 + 8);
        let again = Model::from_bytes(&bytes).expect("reads back");
        assert_eq!(again.attack, (-8..8).collect::<Vec<i8>>());
        assert_eq!(again.category_weights, vec![1, -1, 2, -2, 3, -3, 4, -4]);
    }

    #[test]
    fn a_header_claiming_huge_heads_is_refused_before_allocating() {
        let mut m = tiny().to_bytes();
        m[10] = 60; // attack bits
        let body = m.len() - 8;
        let sum = checksum(&m[..body]);
        m[body..].copy_from_slice(&sum.to_le_bytes());
        let err = Model::from_bytes(&m).unwrap_err();
        assert!(err.message().contains("2^60 buckets"), "{err}");
    }
}
