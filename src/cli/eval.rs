//! `promptfence eval`: recall and false-positive rates on a labelled JSON Lines corpus
//! (`text`, `label` attack/benign, `category`, `source`), per category and per source, with
//! latency. `harmful_request` is reported apart: promptfence does not aim to catch plain
//! harmful requests, so they do not count towards recall.

use super::{percentile, train, Args};
use promptfence::model::is_model_category;
use promptfence::model::train::{train_prepared, Prepared};
use promptfence::{Category, Config, Engine, ModelChoice};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

/// The attack categories whose recall is the headline figure.
const COUNTED: [&str; 4] = ["injection", "jailbreak", "prompt_leak", "exfiltration"];

struct Record {
    text: String,
    label: String,
    category: String,
    source: String,
}

#[derive(Default, Clone, Copy)]
struct Tally {
    total: usize,
    flagged: usize,
}

impl Tally {
    fn add(&mut self, flagged: bool) {
        self.total += 1;
        self.flagged += usize::from(flagged);
    }
    fn rate(self) -> f64 {
        if self.total == 0 {
            0.0
        } else {
            self.flagged as f64 / self.total as f64
        }
    }
}

fn load(path: &str) -> Result<Vec<Record>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}"))?;
    let mut records = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let v: Value =
            serde_json::from_str(line).map_err(|e| format!("{path}:{}: not JSON: {e}", n + 1))?;
        let field = |name: &str| v.get(name).and_then(Value::as_str).map(str::to_owned);
        let text = field("text").ok_or_else(|| format!("{path}:{}: no \"text\"", n + 1))?;
        let label = field("label").ok_or_else(|| format!("{path}:{}: no \"label\"", n + 1))?;
        if label != "attack" && label != "benign" {
            return Err(format!(
                "{path}:{}: label must be attack or benign, not `{label}`",
                n + 1
            ));
        }
        let category = field("category").unwrap_or_else(|| label.clone());
        let source = field("source").unwrap_or_else(|| "-".to_owned());
        records.push(Record {
            text,
            label,
            category,
            source,
        });
    }
    Ok(records)
}

pub fn run(args: &Args) -> Result<i32, String> {
    if args.flag("--leave-one-source-out") {
        return leave_one_source_out(args);
    }
    let path = args
        .positional
        .first()
        .ok_or("eval needs a corpus file: promptfence eval FILE.jsonl")?;
    let raw = std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}"))?;
    if promptfence::dlp::corpus::is_entity_corpus(&raw) {
        return evaluate_entities(args, path, &raw);
    }
    let records = load(path)?;
    let engine = args.engine()?;
    let show = args.value("--show");
    if let Some(s) = show {
        if s != "misses" && s != "false-positives" {
            return Err(format!("--show takes misses or false-positives, not `{s}`"));
        }
    }
    let limit: usize = match args.value("--limit") {
        Some(v) => v
            .parse()
            .map_err(|_| format!("--limit takes a number, not `{v}`"))?,
        None => 20,
    };
    evaluate(&engine, &records, args.flag("--json"), show, limit)
}

fn evaluate(
    engine: &Engine,
    records: &[Record],
    as_json: bool,
    show: Option<&str>,
    limit: usize,
) -> Result<i32, String> {
    let mut by_category: BTreeMap<&str, Tally> = BTreeMap::new();
    let mut by_source: BTreeMap<(String, &str), Tally> = BTreeMap::new();
    let mut latencies = Vec::with_capacity(records.len());
    let mut bytes = 0usize;
    let mut errors = 0usize;
    let mut shown = 0usize;
    let started = Instant::now();
    for r in records {
        let t = Instant::now();
        let report = engine.scan(&r.text);
        latencies.push(t.elapsed().as_secs_f64() * 1e6);
        bytes += r.text.len();
        let report = match report {
            Ok(report) => report,
            Err(e) => {
                errors += 1;
                eprintln!("scan failed ({}): {e}", r.source);
                continue;
            }
        };
        let flagged = report.is_flagged();
        by_category
            .entry(r.category.as_str())
            .or_default()
            .add(flagged);
        let repo = r.source.split(':').next().unwrap_or("-").to_owned();
        by_source
            .entry((repo, r.category.as_str()))
            .or_default()
            .add(flagged);
        let interesting = match show {
            Some("misses") => r.label == "attack" && r.category != "harmful_request" && !flagged,
            Some("false-positives") => r.label == "benign" && flagged,
            _ => false,
        };
        if interesting && shown < limit {
            shown += 1;
            let clipped: String = r.text.chars().take(400).collect();
            let rules: Vec<String> = report
                .findings
                .iter()
                .map(|f| format!("{}={}", f.rule_id, f.score))
                .collect();
            println!(
                "--- {} [{}] score {} {}\n{}\n",
                r.category,
                r.source,
                report.score,
                rules.join(" "),
                clipped.replace('\n', " ⏎ ")
            );
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    latencies.sort_by(|a, b| a.total_cmp(b));
    let counted = COUNTED.iter().fold(Tally::default(), |acc, c| {
        let t = by_category.get(c).copied().unwrap_or_default();
        Tally {
            total: acc.total + t.total,
            flagged: acc.flagged + t.flagged,
        }
    });
    let p50 = percentile(&latencies, 50.0);
    let p99 = percentile(&latencies, 99.0);
    let mbps = bytes as f64 / 1e6 / elapsed.max(1e-9);

    if as_json {
        let categories: BTreeMap<&str, Value> = by_category
            .iter()
            .map(|(c, t)| {
                (
                    *c,
                    json!({"total": t.total, "flagged": t.flagged, "rate": t.rate()}),
                )
            })
            .collect();
        let sources: Vec<Value> = by_source
            .iter()
            .map(|((s, c), t)| {
                json!({"source": s, "category": c, "total": t.total, "flagged": t.flagged, "rate": t.rate()})
            })
            .collect();
        let out = json!({
            "profile": engine.config().profile.as_str(),
            "records": records.len(),
            "errors": errors,
            "recall_counted": counted.rate(),
            "categories": categories,
            "sources": sources,
            "latency_us": {"p50": p50, "p99": p99},
            "mb_per_s": mbps,
        });
        println!("{out:#}");
        return Ok(0);
    }
    println!(
        "profile {} — {} records, {} scan errors",
        engine.config().profile.as_str(),
        records.len(),
        errors
    );
    println!("\n| category | records | flagged | rate |\n|---|---:|---:|---:|");
    for (c, t) in &by_category {
        let what = if is_benign(c) {
            "false positives"
        } else {
            "recall"
        };
        println!(
            "| {c} ({what}) | {} | {} | {:.1}% |",
            t.total,
            t.flagged,
            100.0 * t.rate()
        );
    }
    println!(
        "| **injection + jailbreak + prompt_leak + exfiltration (recall)** | {} | {} | **{:.1}%** |",
        counted.total,
        counted.flagged,
        100.0 * counted.rate()
    );
    println!(
        "\nby source:\n| source | category | records | flagged | rate |\n|---|---|---:|---:|---:|"
    );
    for ((s, c), t) in &by_source {
        println!(
            "| {s} | {c} | {} | {} | {:.1}% |",
            t.total,
            t.flagged,
            100.0 * t.rate()
        );
    }
    println!(
        "\nlatency per record: p50 {:.1} µs, p99 {:.1} µs; throughput {:.1} MB/s",
        p50, p99, mbps
    );
    Ok(0)
}

fn is_benign(category: &str) -> bool {
    category.starts_with("benign")
}

/// Entity mode: precision and recall of PII and secrets against `"entities"`.
fn evaluate_entities(args: &Args, path: &str, raw: &str) -> Result<i32, String> {
    use promptfence::dlp::corpus;
    let cases = corpus::parse(raw).map_err(|e| format!("{path}: {e}"))?;
    let engine = args.engine()?;
    let result = corpus::score(&engine, &cases);
    let t = result.total;
    if args.flag("--json") {
        let by_type: BTreeMap<&str, Value> = result
            .by_type
            .iter()
            .map(|(k, c)| {
                (
                    k.as_str(),
                    json!({"tp": c.true_positives, "fp": c.false_positives, "fn": c.false_negatives,
                           "precision": c.precision(), "recall": c.recall()}),
                )
            })
            .collect();
        let out = json!({"cases": result.cases, "tp": t.true_positives, "fp": t.false_positives,
            "fn": t.false_negatives, "precision": t.precision(), "recall": t.recall(), "types": by_type});
        println!("{out:#}");
        return Ok(0);
    }
    println!("entity corpus {path}: {} cases", result.cases);
    println!("\n| type | tp | fp | fn | precision | recall |\n|---|---:|---:|---:|---:|---:|");
    for (k, c) in &result.by_type {
        println!(
            "| {k} | {} | {} | {} | {:.3} | {:.3} |",
            c.true_positives,
            c.false_positives,
            c.false_negatives,
            c.precision(),
            c.recall()
        );
    }
    println!(
        "| **all** | {} | {} | {} | **{:.3}** | **{:.3}** |",
        t.true_positives,
        t.false_positives,
        t.false_negatives,
        t.precision(),
        t.recall()
    );
    if args.value("--show").is_some() {
        for e in &result.errors {
            let what = if e.spurious { "spurious" } else { "missed" };
            let text: String = cases[e.case].text.chars().take(160).collect();
            println!(
                "--- {what} {} `{}` in case {}: {}",
                e.entity.kind,
                e.entity.value,
                e.case + 1,
                text.replace('\n', " ⏎ ")
            );
        }
    }
    Ok(0)
}

/// Recall and false positives of one held-out source (or of all of them together), rules only
/// and rules + model.
#[derive(Default, Clone, Copy)]
struct Held {
    attacks: [Tally; 2],
    benign: [Tally; 2],
    benign_hard: [Tally; 2],
}

impl Held {
    fn add(&mut self, category: &str, flagged: [bool; 2]) {
        let tallies = match category {
            "benign" => &mut self.benign,
            "benign_hard" => &mut self.benign_hard,
            c if COUNTED.contains(&c) => &mut self.attacks,
            _ => return,
        };
        for (t, f) in tallies.iter_mut().zip(flagged) {
            t.add(f);
        }
    }

    fn merge(&mut self, other: &Held) {
        for (mine, theirs) in [
            (&mut self.attacks, &other.attacks),
            (&mut self.benign, &other.benign),
            (&mut self.benign_hard, &other.benign_hard),
        ] {
            for (m, t) in mine.iter_mut().zip(theirs) {
                m.total += t.total;
                m.flagged += t.flagged;
            }
        }
    }
}

fn pair(t: &[Tally; 2]) -> String {
    if t[0].total == 0 {
        return "– | – | –".to_owned();
    }
    format!(
        "{} | {:.1}% | {:.1}%",
        t[0].total,
        100.0 * t[0].rate(),
        100.0 * t[1].rate()
    )
}

/// `eval --leave-one-source-out DATA.jsonl [EXTRA...]`: for each source (repository) of the
/// corpus, a model trained on every other source plus the extra files is tested on that source.
fn leave_one_source_out(args: &Args) -> Result<i32, String> {
    let (path, extra) = args
        .positional
        .split_first()
        .ok_or("eval --leave-one-source-out needs a corpus: DATA.jsonl [EXTRA.yaml...]")?;
    let records = load(path)?;
    let opts = train::options(args)?;
    let started = Instant::now();

    let mut always: Vec<Prepared> = Vec::new();
    for file in extra {
        for l in train::load_file(file)? {
            always.push(Prepared::new(&l.text, l.label, &l.source));
        }
    }
    // The corpus records the model learns from (harmful_request is not one of them).
    let learnable: Vec<Option<Prepared>> = records
        .iter()
        .map(|r| {
            let label = match r.label.as_str() {
                "benign" => None,
                _ => Some(Category::parse(&r.category).filter(|&c| is_model_category(c))?),
            };
            Some(Prepared::new(
                &r.text,
                label,
                r.source.split(':').next().unwrap_or("-"),
            ))
        })
        .collect();
    let repo = |r: &Record| r.source.split(':').next().unwrap_or("-").to_owned();
    let sources: std::collections::BTreeSet<String> = records.iter().map(repo).collect();

    let rules_only = Engine::new(Config {
        model: ModelChoice::Off,
        ..args.config.clone()
    })
    .map_err(|e| e.to_string())?;
    let flagged = |engine: &Engine, text: &str| engine.scan(text).map(|r| r.is_flagged());

    let mut rows: Vec<(String, Held)> = Vec::new();
    for source in &sources {
        let mut training: Vec<&Prepared> = always.iter().collect();
        training.extend(
            records
                .iter()
                .zip(&learnable)
                .filter(|(r, _)| &repo(r) != source)
                .filter_map(|(_, p)| p.as_ref()),
        );
        let model = train_prepared(&training, &opts).map_err(|e| format!("{source}: {e}"))?;
        let with_model = Engine::new(Config {
            model: ModelChoice::Custom(Arc::new(model)),
            ..args.config.clone()
        })
        .map_err(|e| e.to_string())?;
        let mut held = Held::default();
        for r in records.iter().filter(|r| &repo(r) == source) {
            let a = flagged(&rules_only, &r.text).map_err(|e| e.to_string())?;
            let b = flagged(&with_model, &r.text).map_err(|e| e.to_string())?;
            held.add(&r.category, [a, b]);
        }
        rows.push((source.clone(), held));
    }

    println!(
        "leave-one-source-out on {path}: {} sources, profile {}, seed {}, source weight power {}, folds by {}, extra training files: {}",
        sources.len(),
        args.config.profile.as_str(),
        opts.seed,
        opts.source_weight_power,
        if opts.fold_by_source { "source" } else { "text" },
        if extra.is_empty() {
            "none".to_owned()
        } else {
            extra.join(" ")
        }
    );
    println!(
        "\n| held-out source | attacks | recall rules | recall rules+model | benign | FP rules | FP rules+model | benign_hard | FP rules | FP rules+model |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    );
    let mut all = Held::default();
    let mut better = 0;
    let mut with_attacks = 0;
    for (source, held) in &rows {
        all.merge(held);
        if held.attacks[0].total > 0 {
            with_attacks += 1;
            better += usize::from(held.attacks[1].flagged > held.attacks[0].flagged);
        }
        println!(
            "| {source} | {} | {} | {} |",
            pair(&held.attacks),
            pair(&held.benign),
            pair(&held.benign_hard)
        );
    }
    println!(
        "| **all held-out predictions** | {} | {} | {} |",
        pair(&all.attacks),
        pair(&all.benign),
        pair(&all.benign_hard)
    );
    let worst = rows
        .iter()
        .filter(|(_, h)| h.benign[1].total > 0)
        .map(|(s, h)| (100.0 * h.benign[1].rate(), s.as_str()))
        .fold((0.0, "-"), |a, b| if b.0 > a.0 { b } else { a });
    println!(
        "\nrules + model raise recall on {better} of {with_attacks} sources with attacks; highest benign false-positive rate of a held-out source with the model: {:.1}% ({}); {:.0} s",
        worst.0,
        worst.1,
        started.elapsed().as_secs_f64()
    );
    Ok(0)
}
