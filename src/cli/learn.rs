//! `promptfence learn`: adds reported attacks to a known-attacks index file (created when
//! missing), which `scan --index FILE` then uses.

use super::Args;
use promptfence::{Category, KnownAttacks};
use serde_json::Value;

pub fn run(args: &Args) -> Result<i32, String> {
    let path = args
        .value("--index")
        .ok_or("learn needs --index FILE (the index to create or update)")?;
    let category = match args.value("--category") {
        None => Category::Injection,
        Some(name) => Category::parse(name)
            .filter(|c| !c.is_data())
            .ok_or_else(|| {
                format!("unknown --category `{name}` (expected injection, jailbreak, prompt_leak, exfiltration, code_injection or obfuscation)")
            })?,
    };
    let mut index = match std::fs::read_to_string(path) {
        Ok(json) => KnownAttacks::from_json(&json).map_err(|e| format!("{path}: {e}"))?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => match args.value("--capacity") {
            None => KnownAttacks::new(),
            Some(n) => {
                let n = n
                    .parse()
                    .map_err(|_| format!("--capacity takes a number of entries, not `{n}`"))?;
                KnownAttacks::with_capacity(n).map_err(|e| e.to_string())?
            }
        },
        Err(e) => return Err(format!("cannot read {path}: {e}")),
    };
    let texts = texts(args, category)?;
    let (mut added, mut refreshed, mut evicted, mut refused) = (0, 0, 0, 0);
    for (n, (text, category)) in texts.iter().enumerate() {
        match index.learn(text, *category) {
            Ok(l) => {
                if l.added {
                    added += 1;
                } else {
                    refreshed += 1;
                }
                evicted += usize::from(l.evicted.is_some());
            }
            Err(e) => {
                refused += 1;
                eprintln!("promptfence: text {} not learned: {}", n + 1, e.message());
            }
        }
    }
    std::fs::write(path, index.to_json()).map_err(|e| format!("cannot write {path}: {e}"))?;
    println!(
        "{path}: {added} added, {refreshed} refreshed (near-duplicates), {evicted} evicted, {refused} refused; {} of {} entries",
        index.len(),
        index.capacity()
    );
    Ok(if refused > 0 { 1 } else { 0 })
}

/// The texts to learn with their categories: the positional text, or each line of `--file F`
/// that is not empty or a `#` comment (a JSON object line gives its `"text"` and, if it names
/// an attack category, its `"category"` or `"label"`).
fn texts(args: &Args, default: Category) -> Result<Vec<(String, Category)>, String> {
    let Some(path) = args.value("--file") else {
        let text = super::input_text(args)?;
        return Ok(vec![(text, default)]);
    };
    let content = std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}"))?;
    let mut out = Vec::new();
    for (n, line) in content.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if !line.starts_with('{') {
            out.push((line.to_owned(), default));
            continue;
        }
        let obj: Value =
            serde_json::from_str(line).map_err(|e| format!("{path}:{}: not JSON: {e}", n + 1))?;
        let text = obj
            .get("text")
            .and_then(Value::as_str)
            .ok_or_else(|| format!("{path}:{}: no string field \"text\"", n + 1))?;
        let category = ["category", "label"]
            .iter()
            .filter_map(|k| obj.get(*k).and_then(Value::as_str))
            .find_map(Category::parse)
            .filter(|c| !c.is_data())
            .unwrap_or(default);
        out.push((text.to_owned(), category));
    }
    Ok(out)
}
