// The README's integration snippets are the example files the other end-to-end tests run: a
// snippet is marked `<!-- snippet: PATH -->` before its code block and must equal PATH.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { root } from "./lib/runtime.mjs";

const readme = readFileSync(join(root, "README.md"), "utf8");
const snippets = [...readme.matchAll(/<!-- snippet: (\S+) -->\n```\w*\n([\s\S]*?)```/g)].map(([, path, code]) => ({ path, code }));

test("the README shows the Worker, Deno and browser examples the tests run", () => {
  const paths = snippets.map((s) => s.path);
  for (const required of ["examples/cloudflare-worker/worker.js", "examples/deno/main.js", "examples/browser/chat.js"]) {
    assert.ok(paths.includes(required), `README has no snippet of ${required} (has: ${paths.join(", ")})`);
  }
});

test("every README snippet equals the file it names", () => {
  assert.ok(snippets.length > 0);
  for (const { path, code } of snippets) {
    assert.equal(code, readFileSync(join(root, path), "utf8"), `README snippet of ${path} differs from the file`);
  }
});
