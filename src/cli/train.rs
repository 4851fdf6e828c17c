//! `promptfence train`: trains the learned model from labelled files and writes it, and the
//! loader of training files that `eval --leave-one-source-out` shares.
//!
//! A training file is one of:
//! - JSON Lines with `text`, `label` (attack/benign), `category` and `source` (the corpus
//!   format of `eval`); `harmful_request` records are left out: a plain harmful request is not
//!   an injection, and promptfence does not aim to catch it;
//! - a case file (`cases:` with `text`, `expect`, `category`, as in `tests/cases/`);
//! - a rule pack (`rules:`): each rule's `match` examples are attacks of its category, its
//!   `no_match` examples benign unless the rules flag them anyway.
//!
//! Attacks of a category the model does not name (obfuscation, pii, secret) are left out.

use super::Args;
use promptfence::model::is_model_category;
use promptfence::model::train::{train, Example, TrainOptions};
use promptfence::{Category, Config, Engine, ModelChoice, RulePack};
use serde::Deserialize;
use serde_json::Value;
use std::time::Instant;

/// A training example; its `source` is the repository of a corpus record (`owner/repo`), or
/// the file it was read from.
pub(crate) type Labelled = Example;

#[derive(Deserialize)]
struct CaseFile {
    cases: Vec<Case>,
}

#[derive(Deserialize)]
struct Case {
    text: String,
    expect: String,
    #[serde(default)]
    category: Option<String>,
}

/// The label an attack of `category` gets, or `None` when the model does not learn it.
fn attack_label(category: &str) -> Option<Category> {
    Category::parse(category).filter(|&c| is_model_category(c))
}

/// Reads the training examples of one file (format by extension and content).
pub(crate) fn load_file(path: &str) -> Result<Vec<Labelled>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}"))?;
    if path.ends_with(".jsonl") {
        return load_jsonl(path, &text);
    }
    if !(path.ends_with(".yaml") || path.ends_with(".yml")) {
        return Err(format!(
            "{path}: training files are .jsonl corpora, case files or rule packs (.yaml)"
        ));
    }
    let value =
        promptfence::parse_yaml(&text).map_err(|e| format!("{path}: not valid YAML: {e}"))?;
    if value.get("cases").is_some() {
        let file: CaseFile = promptfence::json::from_value(value)
            .map_err(|e| format!("{path}: not a case file: {e}"))?;
        let examples = file
            .cases
            .into_iter()
            .filter_map(|c| {
                let label = match c.expect.as_str() {
                    "allow" => None,
                    _ => Some(attack_label(c.category.as_deref()?)?),
                };
                Some(Example {
                    text: c.text,
                    label,
                    source: path.to_owned(),
                })
            })
            .collect();
        return Ok(examples);
    }
    let pack = RulePack::from_yaml(path, &text).map_err(|e| e.to_string())?;
    // A rule's `no_match` example may well be an attack that another rule catches.
    let rules_only = Engine::new(Config {
        model: ModelChoice::Off,
        ..Config::default()
    })
    .map_err(|e| e.to_string())?;
    let mut examples = Vec::new();
    for rule in pack.rules {
        if is_model_category(rule.category) {
            examples.extend(rule.examples.matches.iter().map(|t| Example {
                text: t.clone(),
                label: Some(rule.category),
                source: path.to_owned(),
            }));
        }
        for t in &rule.examples.no_match {
            let flagged = rules_only.scan(t).map(|r| r.is_flagged()).unwrap_or(true);
            if !flagged {
                examples.push(Example {
                    text: t.clone(),
                    label: None,
                    source: path.to_owned(),
                });
            }
        }
    }
    Ok(examples)
}

fn load_jsonl(path: &str, text: &str) -> Result<Vec<Labelled>, String> {
    let mut examples = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let v: Value =
            serde_json::from_str(line).map_err(|e| format!("{path}:{}: not JSON: {e}", n + 1))?;
        let field = |name: &str| v.get(name).and_then(Value::as_str);
        let text = field("text").ok_or_else(|| format!("{path}:{}: no \"text\"", n + 1))?;
        let label = match field("label") {
            Some("benign") => None,
            Some("attack") => match field("category").and_then(attack_label) {
                Some(c) => Some(c),
                None => continue,
            },
            other => {
                return Err(format!(
                    "{path}:{}: label must be attack or benign, not {other:?}",
                    n + 1
                ))
            }
        };
        let source = field("source")
            .and_then(|s| s.split(':').next())
            .unwrap_or(path)
            .to_owned();
        examples.push(Example {
            text: text.to_owned(),
            label,
            source,
        });
    }
    Ok(examples)
}

/// The training options from the command line (`--seed N`, `--source-weight P`,
/// `--target-fp R`, `--source-fp R`, `--attack-bits A`, `--category-bits C`, `--levels L`...).
pub(crate) fn options(args: &Args) -> Result<TrainOptions, String> {
    let mut opts = TrainOptions::default();
    if let Some(v) = args.value("--seed") {
        opts.seed = v
            .parse()
            .map_err(|_| format!("--seed takes a whole number, not `{v}`"))?;
    }
    for (flag, rate) in [
        ("--target-fp", &mut opts.target_false_positive_rate),
        ("--source-fp", &mut opts.source_false_positive_rate),
    ] {
        if let Some(v) = args.value(flag) {
            *rate = in_range(flag, v, 0.0..=1.0, "a rate from 0 to 1")?;
        }
    }
    if let Some(v) = args.value("--l2") {
        opts.l2 = in_range("--l2", v, 0.0..1.0, "a number from 0 to 1")?;
    }
    if let Some(v) = args.value("--epochs") {
        opts.epochs = in_range("--epochs", v, 1..=100, "a number from 1 to 100")?;
    }
    if let Some(v) = args.value("--folds-by") {
        opts.fold_by_source = match v {
            "source" => true,
            "text" => false,
            _ => return Err(format!("--folds-by takes source or text, not `{v}`")),
        };
    }
    for (flag, bits) in [
        ("--attack-bits", &mut opts.attack_bits),
        ("--category-bits", &mut opts.category_bits),
    ] {
        if let Some(v) = args.value(flag) {
            *bits = in_range(flag, v, 1..=20, "a number from 1 to 20")?;
        }
    }
    if let Some(v) = args.value("--levels") {
        let most = promptfence::model::MAX_WEIGHT;
        opts.levels = in_range(
            "--levels",
            v,
            1..=most,
            &format!("a number from 1 to {most}"),
        )?;
    }
    if let Some(v) = args.value("--source-weight") {
        opts.source_weight_power =
            in_range("--source-weight", v, 0.0..=1.0, "a number from 0 to 1")?;
    }
    Ok(opts)
}

/// The value `v` of option `flag` as a number within `range`; the error says what it `takes`.
fn in_range<T, R>(flag: &str, v: &str, range: R, takes: &str) -> Result<T, String>
where
    T: std::str::FromStr + PartialOrd,
    R: std::ops::RangeBounds<T>,
{
    v.parse()
        .ok()
        .filter(|x| range.contains(x))
        .ok_or_else(|| format!("{flag} takes {takes}, not `{v}`"))
}

pub fn run(args: &Args) -> Result<i32, String> {
    if args.positional.is_empty() {
        return Err(
            "train needs training files: promptfence train DATA.jsonl|CASES.yaml... -o rules/model.bin"
                .to_owned(),
        );
    }
    let out = args
        .value("-o")
        .or_else(|| args.value("--out"))
        .ok_or("train needs an output file: -o rules/model.bin")?;
    let opts = options(args)?;
    let started = Instant::now();
    let mut examples = Vec::new();
    for path in &args.positional {
        let loaded = load_file(path)?;
        let attacks = loaded.iter().filter(|l| l.label.is_some()).count();
        eprintln!(
            "{path}: {} examples ({attacks} attacks, {} benign)",
            loaded.len(),
            loaded.len() - attacks
        );
        examples.extend(loaded);
    }
    let model = train(&examples, &opts).map_err(|e| e.to_string())?;
    let bytes = model.to_bytes();
    std::fs::write(out, &bytes).map_err(|e| format!("cannot write {out}: {e}"))?;
    eprintln!(
        "wrote {out}: {} bytes, threshold logit {:.3}, categories {}; seed {}, {:.1} s",
        bytes.len(),
        model.threshold(),
        model
            .categories()
            .iter()
            .map(|c| c.as_str())
            .collect::<Vec<_>>()
            .join(","),
        opts.seed,
        started.elapsed().as_secs_f64()
    );
    Ok(0)
}
