// Starting and stopping the real runtimes (workerd, Deno) the end-to-end tests talk to: a free
// port on 127.0.0.1, a child process whose output is kept for the failure message, and a wait
// until the port answers HTTP.
import { spawn } from "node:child_process";
import { createServer } from "node:net";
import { existsSync, mkdirSync, rmSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root. */
export const root = fileURLToPath(new URL("../../../", import.meta.url));

/** A port on 127.0.0.1 that was free a moment ago. */
export function freePort() {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.on("error", fail);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
  });
}

/**
 * Spawns `command args` and waits until `http://127.0.0.1:port/` answers (any status).
 * Returns `{ url, output(), stop() }`; rejects (after killing the child) when the process
 * exits early or does not answer within `timeoutMs`.
 */
export async function startServer(command, args, { port, cwd = root, env = {}, timeoutMs = 30_000 }) {
  const child = spawn(command, args, {
    cwd,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let log = "";
  child.stdout.on("data", (d) => (log += d));
  child.stderr.on("data", (d) => (log += d));
  let exited = null;
  const exit = new Promise((ok) => child.on("exit", (code, signal) => ok((exited = { code, signal }))));
  const stop = async () => {
    if (exited === null) {
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 3000);
      await exit;
      clearTimeout(timer);
    }
  };
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (exited !== null) {
      throw new Error(`${command} exited (${exited.code ?? exited.signal}) before answering:\n${log}`);
    }
    try {
      await fetch(`${url}/`, { method: "GET", signal: AbortSignal.timeout(2000) });
      break;
    } catch {
      if (Date.now() > deadline) {
        await stop();
        throw new Error(`${command} did not answer on ${url} within ${timeoutMs} ms:\n${log}`);
      }
      await new Promise((ok) => setTimeout(ok, 100));
    }
  }
  return { url, output: () => log, stop };
}

/**
 * What `npm install` does with an example's `"promptfence": "file:../../pkg"` dependency: a
 * symlink in its node_modules, so the example imports the built package by its name.
 */
export function linkPackage(exampleDir) {
  if (!existsSync(join(root, "pkg", "promptfence_bg.wasm"))) {
    throw new Error("pkg/ is not built: run `make pkg` (make e2e does)");
  }
  mkdirSync(join(exampleDir, "node_modules"), { recursive: true });
  const link = join(exampleDir, "node_modules", "promptfence");
  rmSync(link, { force: true, recursive: true });
  symlinkSync(join("..", "..", "..", "pkg"), link);
}
