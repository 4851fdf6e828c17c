// Parity: every line of a JSON Lines corpus ({ id, text, ... }) scanned by the native CLI
// (`promptfence scan --jsonl --redact`) and by the wasm package in Node must give the same
// verdict, score and set of rule ids (or the same error code), and the same redacted text
// (`fence.redact`). The project's own entity cases (tests/data/entities.jsonl) are checked
// the same way after the corpus, so redaction is compared on text full of PII and secrets.
//
//   node scripts/parity.mjs <corpus.jsonl> <native promptfence binary>
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { createFence } from "../pkg/node.js";

const [corpus, bin] = process.argv.slice(2);
if (!corpus || !existsSync(corpus)) {
  console.log(`parity: ${corpus ?? "corpus"} not present, skipped`);
  process.exit(0);
}
const fence = await createFence();
const summary = (verdict, score, ruleIds) => JSON.stringify({ verdict, score, rules: [...ruleIds].sort() });

/** Compares native and wasm on one JSON Lines file; returns the number of mismatching records. */
function compare(path) {
  const input = readFileSync(path, "utf8");
  const records = input.split("\n").filter((l) => l.trim() !== "").map((l) => JSON.parse(l));
  const native = spawnSync(bin, ["scan", "--jsonl", "--redact"], { input, maxBuffer: 1 << 30, encoding: "utf8" });
  if (native.error) throw native.error;
  const nativeLines = native.stdout.split("\n").filter((l) => l !== "").map((l) => JSON.parse(l));
  if (nativeLines.length !== records.length) {
    console.error(`parity: native gave ${nativeLines.length} lines for ${records.length} records of ${path}`);
    return records.length;
  }
  let scans = 0;
  let redactions = 0;
  for (const [i, record] of records.entries()) {
    const n = nativeLines[i];
    const want = n.error ? `error ${n.error.code}` : summary(n.verdict, n.score, n.findings.map((f) => f.rule_id));
    let got;
    let redacted = null;
    try {
      const r = fence.scan(record.text);
      got = summary(r.verdict, r.score, r.findings.map((f) => f.ruleId));
      redacted = fence.redact(record.text).text;
    } catch (e) {
      got = `error ${e.code}`;
    }
    const name = record.id ?? `line ${i + 1}`;
    if (got !== want) {
      scans += 1;
      if (scans <= 10) console.error(`parity: ${name}: native ${want}, wasm ${got}`);
    }
    if (!n.error && redacted !== n.redacted) {
      redactions += 1;
      if (redactions <= 10) console.error(`parity: ${name}: redacted differently:\n  native ${JSON.stringify(n.redacted)}\n  wasm   ${JSON.stringify(redacted)}`);
    }
  }
  console.log(
    `parity: ${path}: ${records.length - scans}/${records.length} records identical (verdict, score, rule ids), ` +
      `${records.length - redactions}/${records.length} redacted identically`,
  );
  return Math.max(scans, redactions);
}

const entities = new URL("../tests/data/entities.jsonl", import.meta.url).pathname;
const mismatches = compare(corpus) + compare(entities);
process.exit(mismatches === 0 ? 0 : 1);
