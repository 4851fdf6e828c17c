//! Command-line parsing and dispatch. Each subcommand lives in its own file.

mod bench;
mod eval;
mod learn;
mod redact;
mod rules;
mod scan;
mod train;

use promptfence::model::Model;
use promptfence::{Config, Engine, ModelChoice, Profile, RulePack, Thresholds};
use std::sync::Arc;

const USAGE: &str = "\
promptfence — screen prompts for injection, jailbreaks, leaks, exfiltration and disguises

USAGE:
    promptfence scan [TEXT] [--file F] [--jsonl] [--json] [--index FILE] [OPTIONS]
    promptfence learn [TEXT] [--file F] --index FILE [--category C] [--capacity N]
    promptfence eval FILE.jsonl [--json] [--show misses|false-positives] [--limit N] [OPTIONS]
    promptfence redact [TEXT] [--file F] [--vault FILE] [--mode mask|hash|remove] [--unmask]
    promptfence rules [--test] [OPTIONS]
    promptfence bench [--quick] [OPTIONS]
    promptfence train DATA.jsonl|CASES.yaml|RULES.yaml... -o rules/model.bin
                [TRAINING OPTIONS]
    promptfence eval --leave-one-source-out DATA.jsonl [EXTRA.yaml...] [TRAINING OPTIONS]

SCAN:
    TEXT            the text to scan (or --file F, or standard input)
    --file F        scan the contents of file F
    --jsonl         read JSON objects with \"text\" (and \"id\") per line from standard input,
                    write one result per line
    --json          print the full report as JSON
    --redact        with --jsonl: add \"redacted\" (PII and secrets masked) to each line
    --index FILE    also flag near-variants of the attacks learned into FILE
                    (similar.known_attack)

LEARN:
    TEXT            the attack to learn (or --file F: one text, or JSON object with
                    \"text\" and optional \"category\", per line; # starts a comment)
    --index FILE    the known-attacks index to update (created when missing)
    --category C    injection (default) | jailbreak | prompt_leak | exfiltration |
                    code_injection | obfuscation
    --capacity N    most entries of a new index (default 1000); the entry learned
                    longest ago is evicted first

REDACT:
    --vault FILE    keep placeholders and original values in FILE (JSON; read, then updated)
    --mode M        mask (default: [EMAIL_1]) | hash (keyed) | remove | leave
    --unmask        restore the values of --vault FILE in the text instead

EVAL:
    A corpus whose records have \"entities\" ([{\"type\",\"value\"}]) is scored at the entity
    level (precision and recall of PII and secrets).

TRAIN:
    TRAINING OPTIONS: --seed N --source-weight P --target-fp R --source-fp R
                      --folds-by source|text --epochs N --l2 X
                      --attack-bits A --category-bits C --levels L
    Trains the learned model (see the README) from corpus records
    (harmful_request left out), case files and rule-pack examples; the same files and seed
    give the same bytes. An example of a source (corpus repository or file) with n examples
    weighs n^-P (--source-weight P, from 0 to 1; default 0.5), so that no large source
    dominates. The threshold lets through at most R of the benign examples, scored out of
    fold (--target-fp R, default 0.004), and at most R of any one source's (--source-fp R,
    default 0.03). Folds hold whole sources (--folds-by source, the default) or texts
    (--folds-by text); --epochs N (default 8) and --l2 X (default 0.00001) tune the fit.
    The attack head has 2^A weights (default 15), the category head K x 2^C (default 10);
    weights are quantized to -L to L times a scale (--levels L, 1 to 7; default 5), four
    bits each in the file: fewer buckets and levels give a smaller file.

EVAL --leave-one-source-out:
    For each source (repository) of DATA.jsonl: train on every other source plus EXTRA files,
    test on that source; recall and false positives per held-out source, rules only vs rules
    and model.

OPTIONS:
    --no-model      rules only: do not run the learned model
    --model FILE    run this model file instead of the embedded one
    --profile P     fast | balanced (default) | paranoid
    --warn N        warn threshold (0-100), overrides the profile's
    --block N       block threshold (0-100), overrides the profile's
    --rules FILE    load a rule pack (YAML or JSON); may be repeated
    --max-bytes N   input size limit in bytes (default 1048576)
";

/// Options shared by every subcommand, and the subcommand's own flags and positionals.
pub(crate) struct Args {
    pub config: Config,
    pub flags: Vec<String>,
    pub values: Vec<(String, String)>,
    pub positional: Vec<String>,
}

impl Args {
    pub fn flag(&self, name: &str) -> bool {
        self.flags.iter().any(|f| f == name)
    }

    pub fn value(&self, name: &str) -> Option<&str> {
        self.values
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The engine these options describe, with the known-attacks index of `--index FILE`.
    pub fn engine(&self) -> Result<Engine, String> {
        let mut engine = Engine::new(self.config.clone()).map_err(|e| e.to_string())?;
        if let Some(path) = self.value("--index") {
            let json =
                std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}"))?;
            let index =
                promptfence::KnownAttacks::from_json(&json).map_err(|e| format!("{path}: {e}"))?;
            engine.set_known_attacks(index);
        }
        Ok(engine)
    }
}

/// Flags that take no value.
const FLAGS: [&str; 9] = [
    "--json",
    "--jsonl",
    "--test",
    "--quick",
    "--help",
    "--redact",
    "--unmask",
    "--leave-one-source-out",
    "--no-model",
];
/// Options that take a value and belong to one subcommand.
const VALUES: [&str; 20] = [
    "--file",
    "--show",
    "--limit",
    "--out",
    "-o",
    "--vault",
    "--mode",
    "--index",
    "--category",
    "--capacity",
    "--seed",
    "--source-weight",
    "--target-fp",
    "--source-fp",
    "--folds-by",
    "--l2",
    "--epochs",
    "--attack-bits",
    "--category-bits",
    "--levels",
];

fn parse(args: &[String]) -> Result<Args, String> {
    let mut config = Config::default();
    let mut flags = Vec::new();
    let mut values = Vec::new();
    let mut positional = Vec::new();
    let (mut warn, mut block) = (None, None);
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let mut value = |name: &str| {
            it.next()
                .cloned()
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match arg.as_str() {
            "--profile" => {
                config.profile = Profile::parse(&value(arg)?).map_err(|e| e.to_string())?
            }
            "--warn" => warn = Some(parse_threshold(arg, &value(arg)?)?),
            "--block" => block = Some(parse_threshold(arg, &value(arg)?)?),
            "--max-bytes" => {
                let v = value(arg)?;
                config.max_input_bytes = v
                    .parse()
                    .map_err(|_| format!("--max-bytes takes a number of bytes, not `{v}`"))?;
            }
            "--rules" => {
                let path = value(arg)?;
                let text = std::fs::read_to_string(&path)
                    .map_err(|e| format!("cannot read rule pack {path}: {e}"))?;
                config
                    .rule_packs
                    .push(RulePack::parse(&path, &text).map_err(|e| e.to_string())?);
            }
            "--no-model" => config.model = ModelChoice::Off,
            "--model" => {
                let path = value(arg)?;
                let bytes =
                    std::fs::read(&path).map_err(|e| format!("cannot read model {path}: {e}"))?;
                let model = Model::from_bytes(&bytes).map_err(|e| format!("{path}: {e}"))?;
                config.model = ModelChoice::Custom(Arc::new(model));
            }
            a if FLAGS.contains(&a) => flags.push(a.to_owned()),
            a if VALUES.contains(&a) => values.push((a.to_owned(), value(a)?)),
            a if a.starts_with("--") => return Err(format!("unknown option {a}\n\n{USAGE}")),
            a => positional.push(a.to_owned()),
        }
    }
    if warn.is_some() || block.is_some() {
        let base = config.profile.thresholds();
        config.thresholds = Some(Thresholds {
            warn: warn.unwrap_or(base.warn),
            block: block.unwrap_or(base.block),
        });
    }
    Ok(Args {
        config,
        flags,
        values,
        positional,
    })
}

fn parse_threshold(name: &str, v: &str) -> Result<u8, String> {
    v.parse::<u8>()
        .ok()
        .filter(|n| *n <= 100)
        .ok_or_else(|| format!("{name} takes a number from 0 to 100, not `{v}`"))
}

/// Runs the command line; returns the exit code.
pub fn run(args: &[String]) -> Result<i32, String> {
    let Some((command, rest)) = args.split_first() else {
        print!("{USAGE}");
        return Ok(2);
    };
    let args = parse(rest)?;
    if args.flag("--help") {
        print!("{USAGE}");
        return Ok(0);
    }
    match command.as_str() {
        "scan" => scan::run(&args),
        "eval" => eval::run(&args),
        "learn" => learn::run(&args),
        "redact" => redact::run(&args),
        "rules" => rules::run(&args),
        "bench" => bench::run(&args),
        "train" => train::run(&args),
        "help" | "--help" | "-h" => {
            print!("{USAGE}");
            Ok(0)
        }
        other => Err(format!("unknown command `{other}`\n\n{USAGE}")),
    }
}

/// The text a command works on: `--file F`, else the positional words, else standard input.
pub(crate) fn input_text(args: &Args) -> Result<String, String> {
    use std::io::Read;
    if let Some(path) = args.value("--file") {
        return std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}"));
    }
    if !args.positional.is_empty() {
        return Ok(args.positional.join(" "));
    }
    let mut s = String::new();
    std::io::stdin()
        .read_to_string(&mut s)
        .map_err(|e| format!("cannot read standard input: {e}"))?;
    Ok(s)
}

/// The `p`-th percentile (0–100) of sorted values.
pub(crate) fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = (p / 100.0 * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}
