// The Deno example (examples/deno/), started with the command of its `deno task start`, in
// front of the mock upstream.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { runProxyCases } from "./lib/proxy-cases.mjs";
import { freePort, linkPackage, root, startServer } from "./lib/runtime.mjs";

const dir = join(root, "examples", "deno");

runProxyCases("deno", async ({ upstream, canary }) => {
  linkPackage(dir);
  const [command, ...args] = JSON.parse(readFileSync(join(dir, "deno.json"), "utf8")).tasks.start.split(/\s+/);
  if (command !== "deno") throw new Error(`deno.json's start task should run deno, not ${command}`);
  const port = await freePort();
  return startServer(join(root, "node_modules", ".bin", "deno"), args, {
    port,
    cwd: dir,
    env: { UPSTREAM_URL: upstream, CANARY: canary, PORT: String(port), DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1" },
  });
});
