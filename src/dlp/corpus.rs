//! Entity corpora: JSON Lines of `{"text": ..., "entities": [{"type": ..., "value": ...}]}`,
//! scored at the entity level (a found value counts once per expected occurrence of the same
//! type and value). Used by `promptfence eval` and by the test suite.

use super::EntityKind;
use crate::Engine;
use serde::Deserialize;
use std::collections::BTreeMap;

/// One labelled text.
#[derive(Clone, Debug, Deserialize)]
pub struct EntityCase {
    pub text: String,
    #[serde(default)]
    pub entities: Vec<ExpectedEntity>,
    /// Free tag: `prose`, `code`, `json`, `yaml`, `log`, `near_miss`, ...
    #[serde(default)]
    pub kind: String,
}

/// An entity a case expects to be found.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct ExpectedEntity {
    #[serde(rename = "type")]
    pub kind: String,
    pub value: String,
}

/// Whether a JSON Lines text is an entity corpus (its first record has `entities`).
pub fn is_entity_corpus(jsonl: &str) -> bool {
    jsonl
        .lines()
        .find(|l| !l.trim().is_empty())
        .and_then(|l| crate::json::parse(l).ok())
        .is_some_and(|v| v.get("entities").is_some())
}

/// Parses an entity corpus; the error names the line.
pub fn parse(jsonl: &str) -> Result<Vec<EntityCase>, String> {
    let mut cases = Vec::new();
    for (n, line) in jsonl.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let case: EntityCase =
            crate::json::from_str(line).map_err(|e| format!("line {}: {e}", n + 1))?;
        for e in &case.entities {
            if EntityKind::parse(&e.kind).is_none() {
                return Err(format!("line {}: unknown entity type `{}`", n + 1, e.kind));
            }
        }
        cases.push(case);
    }
    Ok(cases)
}

/// Counts of one entity type.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub true_positives: usize,
    pub false_positives: usize,
    pub false_negatives: usize,
}

impl Counts {
    pub fn precision(self) -> f64 {
        ratio(
            self.true_positives,
            self.true_positives + self.false_positives,
        )
    }
    pub fn recall(self) -> f64 {
        ratio(
            self.true_positives,
            self.true_positives + self.false_negatives,
        )
    }
    fn add(&mut self, other: Counts) {
        self.true_positives += other.true_positives;
        self.false_positives += other.false_positives;
        self.false_negatives += other.false_negatives;
    }
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 {
        1.0
    } else {
        a as f64 / b as f64
    }
}

/// A wrong or missed entity.
#[derive(Clone, Debug)]
pub struct EntityError {
    pub case: usize,
    /// `true`: found but not expected; `false`: expected but not found.
    pub spurious: bool,
    pub entity: ExpectedEntity,
}

/// Entity-level results over a corpus.
#[derive(Clone, Debug, Default)]
pub struct EntityScore {
    pub cases: usize,
    pub total: Counts,
    pub by_type: BTreeMap<String, Counts>,
    pub errors: Vec<EntityError>,
}

/// Runs `engine` over the cases and matches found entities to expected ones by type and value.
pub fn score(engine: &Engine, cases: &[EntityCase]) -> EntityScore {
    let mut result = EntityScore {
        cases: cases.len(),
        ..EntityScore::default()
    };
    for (i, case) in cases.iter().enumerate() {
        let mut found: Vec<ExpectedEntity> = engine
            .entities(&case.text)
            .iter()
            .map(|e| ExpectedEntity {
                kind: e.kind.as_str().to_owned(),
                value: e.value(&case.text).to_owned(),
            })
            .collect();
        for want in &case.entities {
            let counts = result.by_type.entry(want.kind.clone()).or_default();
            if let Some(j) = found.iter().position(|f| f == want) {
                found.swap_remove(j);
                counts.true_positives += 1;
            } else {
                counts.false_negatives += 1;
                result.errors.push(EntityError {
                    case: i,
                    spurious: false,
                    entity: want.clone(),
                });
            }
        }
        for extra in found {
            result
                .by_type
                .entry(extra.kind.clone())
                .or_default()
                .false_positives += 1;
            result.errors.push(EntityError {
                case: i,
                spurious: true,
                entity: extra,
            });
        }
    }
    let mut total = Counts::default();
    for c in result.by_type.values() {
        total.add(*c);
    }
    result.total = total;
    result
}
