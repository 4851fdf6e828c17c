// Runs a bundled worker (worker.js + promptfence_bg.wasm in one folder) in workerd on
// 127.0.0.1 (free port), asks it for the suite's result, stops it. Exits 0 only when every
// test passed.
//
//   node scripts/run-workerd.mjs <folder>
import { spawn } from "node:child_process";
import { createServer } from "node:net";
import { writeFileSync } from "node:fs";
import { join, resolve } from "node:path";

const dir = resolve(process.argv[2] ?? "");
const port = await new Promise((ok) => {
  const s = createServer().listen(0, "127.0.0.1", () => {
    const { port } = s.address();
    s.close(() => ok(port));
  });
});
writeFileSync(
  join(dir, "config.capnp"),
  `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [(name = "main", worker = .suite)],
  sockets = [(name = "http", address = "127.0.0.1:${port}", http = (), service = "main")],
);
const suite :Workerd.Worker = (
  modules = [
    (name = "worker.js", esModule = embed "worker.js"),
    (name = "promptfence_bg.wasm", wasm = embed "promptfence_bg.wasm"),
  ],
  compatibilityDate = "2025-09-01",
);
`,
);
const workerd = spawn(resolve("node_modules/.bin/workerd"), ["serve", join(dir, "config.capnp")], {
  stdio: ["ignore", "inherit", "inherit"],
});
let code = 1;
try {
  let response;
  for (let i = 0; i < 200 && !response; i++) {
    try {
      response = await fetch(`http://127.0.0.1:${port}/`);
    } catch {
      await new Promise((ok) => setTimeout(ok, 100));
    }
  }
  if (!response) throw new Error("workerd did not answer");
  const text = await response.text();
  let result;
  try {
    result = JSON.parse(text);
  } catch {
    throw new Error(`workerd answered ${response.status}: ${text.slice(0, 500)}`);
  }
  for (const f of result.failures) console.error(`not ok - ${f.name}\n${f.error}`);
  console.log(`workerd: ${result.passed}/${result.total} passed`);
  code = result.failed === 0 && result.total > 0 ? 0 : 1;
} catch (e) {
  console.error(`workerd: ${e.message}`);
} finally {
  workerd.kill();
}
process.exit(code);
