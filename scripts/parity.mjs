// Parity: every line of a JSON Lines corpus ({ id, text, ... }) scanned by the native CLI
// (`promptfence scan --jsonl`) and by the wasm package in Node must give the same verdict,
// score and set of rule ids (or the same error code).
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
const input = readFileSync(corpus, "utf8");
const records = input.split("\n").filter((l) => l.trim() !== "").map((l) => JSON.parse(l));

const native = spawnSync(bin, ["scan", "--jsonl"], { input, maxBuffer: 1 << 30, encoding: "utf8" });
if (native.error) throw native.error;
const nativeLines = native.stdout.split("\n").filter((l) => l !== "").map((l) => JSON.parse(l));
if (nativeLines.length !== records.length) {
  console.error(`parity: native gave ${nativeLines.length} lines for ${records.length} records`);
  process.exit(1);
}

const fence = await createFence();
const summary = (verdict, score, ruleIds) => JSON.stringify({ verdict, score, rules: [...ruleIds].sort() });
let mismatches = 0;
for (const [i, record] of records.entries()) {
  const n = nativeLines[i];
  const want = n.error ? `error ${n.error.code}` : summary(n.verdict, n.score, n.findings.map((f) => f.rule_id));
  let got;
  try {
    const r = fence.scan(record.text);
    got = summary(r.verdict, r.score, r.findings.map((f) => f.ruleId));
  } catch (e) {
    got = `error ${e.code}`;
  }
  if (got !== want) {
    mismatches += 1;
    if (mismatches <= 10) console.error(`parity: ${record.id}: native ${want}, wasm ${got}`);
  }
}
console.log(`parity: ${records.length - mismatches}/${records.length} records identical (verdict, score, rule ids)`);
process.exit(mismatches === 0 ? 0 : 1);
