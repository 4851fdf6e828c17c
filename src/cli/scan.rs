//! `promptfence scan`: one text (argument, file or standard input) or JSON Lines.

use super::Args;
use promptfence::{Engine, Report, Verdict};
use serde_json::{json, Value};
use std::io::{BufRead, Write};
use std::time::Instant;

pub fn run(args: &Args) -> Result<i32, String> {
    let engine = args.engine()?;
    if args.flag("--jsonl") {
        return scan_jsonl(&engine, args.flag("--redact"));
    }
    let text = super::input_text(args)?;
    let report = engine.scan(&text).map_err(|e| e.to_string())?;
    if args.flag("--json") {
        let json = serde_json::to_string_pretty(&report).map_err(|e| e.to_string())?;
        emit(&format!("{json}\n"))?;
    } else {
        emit(&human(&report))?;
    }
    Ok(match report.verdict {
        Verdict::Allow => 0,
        Verdict::Warn => 1,
        Verdict::Block => 3,
    })
}

/// Writes to standard output; a reader that went away (`| head`) is not an error.
fn emit(text: &str) -> Result<(), String> {
    match std::io::stdout().lock().write_all(text.as_bytes()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(format!("cannot write output: {e}"))
        }
        _ => Ok(()),
    }
}

fn human(report: &Report) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    // Writing to a String cannot fail.
    let _ = writeln!(
        out,
        "verdict: {}  score: {}  ({} bytes, views: {})",
        report.verdict.as_str(),
        report.score,
        report.stats.bytes,
        report.stats.views.join(", ")
    );
    for f in &report.findings {
        let _ = writeln!(
            out,
            "  [{:>3}] {:<8} {} ({}) bytes {}..{} in {} view",
            f.score,
            f.severity.as_str(),
            f.rule_id,
            f.category,
            f.span.start,
            f.span.end,
            f.view
        );
        let _ = writeln!(out, "        {}", f.message);
        if !f.excerpt.is_empty() {
            let _ = writeln!(out, "        \"{}\"", f.excerpt.replace('\n', " "));
        }
    }
    out
}

/// The stable per-line output of `scan --jsonl`.
pub(crate) fn report_line(id: &Value, report: &Report, micros: f64) -> Value {
    let findings: Vec<Value> = report
        .findings
        .iter()
        .map(|f| {
            json!({
                "rule_id": f.rule_id,
                "category": f.category.as_str(),
                "severity": f.severity.as_str(),
                "score": f.score,
                "start": f.span.start,
                "end": f.span.end,
                "view": f.view,
            })
        })
        .collect();
    json!({
        "id": id,
        "verdict": report.verdict.as_str(),
        "score": report.score,
        "findings": findings,
        "us": (micros * 10.0).round() / 10.0,
    })
}

fn scan_jsonl(engine: &Engine, redact: bool) -> Result<i32, String> {
    let stdin = std::io::stdin();
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut failures = 0usize;
    for (n, line) in stdin.lock().lines().enumerate() {
        let line = line.map_err(|e| format!("cannot read standard input: {e}"))?;
        if line.trim().is_empty() {
            continue;
        }
        let result = match serde_json::from_str::<Value>(&line) {
            Err(e) => Err((
                "INVALID_INPUT".to_owned(),
                format!("not JSON: {e}"),
                Value::Null,
            )),
            Ok(obj) => {
                let id = obj.get("id").cloned().unwrap_or(Value::Null);
                match obj.get("text").and_then(Value::as_str) {
                    None => Err((
                        "INVALID_INPUT".to_owned(),
                        "no string field \"text\"".to_owned(),
                        id,
                    )),
                    Some(text) => {
                        let started = Instant::now();
                        match engine.scan(text) {
                            Ok(report) => {
                                let us = started.elapsed().as_secs_f64() * 1e6;
                                let mut line = report_line(&id, &report, us);
                                if redact {
                                    add_redacted(engine, text, &mut line);
                                }
                                Ok(line)
                            }
                            Err(e) => Err((e.kind().code().to_owned(), e.message().to_owned(), id)),
                        }
                    }
                }
            }
        };
        let value = result.unwrap_or_else(|(code, message, id)| {
            failures += 1;
            json!({"id": id, "line": n + 1, "error": {"code": code, "message": message}})
        });
        match writeln!(out, "{value}") {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => return Ok(0),
            other => other.map_err(|e| format!("cannot write output: {e}"))?,
        }
    }
    out.flush()
        .map_err(|e| format!("cannot write output: {e}"))?;
    if failures > 0 {
        eprintln!("promptfence: {failures} line(s) could not be scanned (see their \"error\")");
        return Ok(1);
    }
    Ok(0)
}

/// Adds `"redacted"`: the text with PII and secrets masked (a fresh vault per line).
fn add_redacted(engine: &Engine, text: &str, line: &mut Value) {
    let mut vault = promptfence::Vault::new();
    if let (Ok(r), Some(obj)) = (engine.redact(text, &mut vault), line.as_object_mut()) {
        obj.insert("redacted".to_owned(), Value::String(r.text));
    }
}
