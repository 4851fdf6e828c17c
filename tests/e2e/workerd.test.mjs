// The Cloudflare Worker example (examples/cloudflare-worker/), built with its own `npm run
// build` and run in workerd with its checked-in config.capnp, in front of the mock upstream.
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { runProxyCases } from "./lib/proxy-cases.mjs";
import { freePort, linkPackage, root, startServer } from "./lib/runtime.mjs";

const dir = join(root, "examples", "cloudflare-worker");

runProxyCases("workerd", async ({ upstream, canary }) => {
  linkPackage(dir);
  execFileSync("npm", ["run", "--silent", "build"], { cwd: dir, stdio: "inherit" });
  const port = await freePort();
  return startServer(
    join(root, "node_modules", ".bin", "workerd"),
    ["serve", "config.capnp", "--socket-addr", `http=127.0.0.1:${port}`],
    { port, cwd: dir, env: { UPSTREAM_URL: upstream, CANARY: canary } },
  );
});
