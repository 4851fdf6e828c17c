// The playground's examples menu says which verdict each example gets (www/examples.js); this
// checks every claim against the built package, so the menu cannot drift from the engine.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createFence } from "../../pkg/node.js";
import { examples } from "../../www/examples.js";

test("every playground example gets the verdict the menu claims (balanced profile)", async () => {
  const fence = await createFence();
  const groups = new Set(examples.map((e) => e.group));
  assert.ok(groups.size >= 3, [...groups].join(", "));
  assert.ok(examples.filter((e) => e.expect === "block").length >= 10);
  assert.ok(examples.filter((e) => e.expect === "allow").length >= 5);
  const wrong = [];
  for (const { label, expect, text } of examples) {
    const report = fence.scan(text);
    if (report.verdict !== expect) wrong.push(`${label}: expected ${expect}, got ${report.verdict} (${report.score})`);
    if (expect === "block") assert.ok(report.findings.length > 0, label);
  }
  assert.deepEqual(wrong, []);
});
