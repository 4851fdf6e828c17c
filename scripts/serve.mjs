// Serves the playground (www/) with the built package mounted at /pkg/ and the examples at
// /examples/, on 127.0.0.1 only. Static files, no build step, nothing fetched from elsewhere.
//
//   node scripts/serve.mjs [--port N]      (default 8080; 0 picks a free port)
//
// Also imported by the end-to-end tests (`serve()`), which use a free port and stop it.
import { createServer } from "node:http";
import { readFile, stat } from "node:fs/promises";
import { extname, join, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));

/** URL prefix → folder. The longest matching prefix wins. */
export const defaultMounts = {
  "/": join(root, "www"),
  "/pkg/": join(root, "pkg"),
  "/examples/": join(root, "examples"),
};

const types = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".wasm": "application/wasm",
  ".svg": "image/svg+xml",
  ".ts": "text/plain; charset=utf-8",
};

/** Starts the server; resolves to `{ url, close() }`. */
export async function serve({ port = 0, mounts = defaultMounts } = {}) {
  const prefixes = Object.keys(mounts).sort((a, b) => b.length - a.length);
  const server = createServer(async (req, res) => {
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { allow: "GET, HEAD" });
      res.end();
      return;
    }
    let pathname;
    try {
      pathname = decodeURIComponent(new URL(req.url, "http://127.0.0.1").pathname);
    } catch {
      res.writeHead(400);
      res.end();
      return;
    }
    const prefix = prefixes.find((p) => pathname.startsWith(p));
    const base = resolve(mounts[prefix]);
    let file = resolve(base, "." + sep + pathname.slice(prefix.length));
    // Nothing outside the mounted folder, whatever the path says.
    if (file !== base && !file.startsWith(base + sep)) {
      res.writeHead(403);
      res.end();
      return;
    }
    try {
      if ((await stat(file)).isDirectory()) file = join(file, "index.html");
      const body = await readFile(file);
      res.writeHead(200, {
        "content-type": types[extname(file)] ?? "application/octet-stream",
        "cache-control": "no-store",
      });
      res.end(req.method === "HEAD" ? undefined : body);
    } catch {
      res.writeHead(404, { "content-type": "text/plain; charset=utf-8" });
      res.end(`not found: ${pathname}\n`);
    }
  });
  await new Promise((ok, fail) => {
    server.on("error", fail);
    server.listen(port, "127.0.0.1", ok);
  });
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    close() {
      server.closeAllConnections();
      return new Promise((ok) => server.close(ok));
    },
  };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const i = process.argv.indexOf("--port");
  const port = Number(i > 0 ? process.argv[i + 1] : (process.env.PORT ?? 8080));
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error("serve: --port expects a number between 0 and 65535");
    process.exit(2);
  }
  try {
    await stat(join(root, "pkg", "promptfence_bg.wasm"));
  } catch {
    console.error("serve: pkg/ is not built; run `make pkg` first (or `make serve`)");
    process.exit(2);
  }
  const { url } = await serve({ port });
  console.log(`promptfence playground: ${url}/   (browser example: ${url}/examples/browser/; Ctrl-C stops)`);
}
