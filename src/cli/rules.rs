//! `promptfence rules`: lists the rules; with `--test`, runs every rule's examples.

use super::Args;
use promptfence::{Config, Engine, RulePack};

pub fn run(args: &Args) -> Result<i32, String> {
    // The embedded packs as written (with their examples), then the user's.
    let mut packs = RulePack::embedded_with_examples().map_err(|e| e.to_string())?;
    packs.extend(args.config.rule_packs.iter().cloned());
    let engine = Engine::new(Config {
        rule_packs: packs,
        embedded_rules: false,
        ..args.config.clone()
    })
    .map_err(|e| e.to_string())?;
    engine.warm_up().map_err(|e| e.to_string())?;

    if !args.flag("--test") {
        for rule in engine.rules() {
            println!(
                "{:<52} {:<14} {:<8} {:>3}  {}",
                rule.id,
                rule.category.as_str(),
                rule.severity.as_str(),
                rule.score,
                rule.description
            );
        }
        println!("{} rules", engine.rules().len());
        return Ok(0);
    }
    let failures = engine.check_examples();
    let examples: usize = engine
        .rules()
        .iter()
        .map(|r| r.examples.matches.len() + r.examples.no_match.len())
        .sum();
    for f in &failures {
        let what = if f.expected_match {
            "did not match"
        } else {
            "matched but must not"
        };
        println!("FAIL {} ({}): {what}: {:?}", f.rule_id, f.source, f.text);
    }
    println!(
        "{} rules, {} examples: {} passed, {} failed",
        engine.rules().len(),
        examples,
        examples - failures.len(),
        failures.len()
    );
    Ok(if failures.is_empty() { 0 } else { 1 })
}
