// Serves a folder on 127.0.0.1 (free port), opens its index.html in headless Debian Chromium
// through playwright-core, and waits for the page to set `window.__result`
// ({ total, passed, failed, failures }). Exits 0 only when every test passed.
//
//   node scripts/run-browser.mjs <folder>
import { createServer } from "node:http";
import { readFile } from "node:fs/promises";
import { extname, join, normalize } from "node:path";
import { chromium } from "playwright-core";

const root = process.argv[2];
if (!root) {
  console.error("usage: node scripts/run-browser.mjs <folder>");
  process.exit(2);
}
const types = { ".html": "text/html", ".js": "text/javascript", ".mjs": "text/javascript", ".wasm": "application/wasm" };

const server = createServer(async (req, res) => {
  let path = normalize(decodeURIComponent(new URL(req.url, "http://x").pathname)).replace(/^(\.\.[/\\])+/, "");
  if (path.endsWith("/")) path += "index.html";
  try {
    const body = await readFile(join(root, path));
    res.writeHead(200, { "content-type": types[extname(path)] ?? "application/octet-stream" });
    res.end(body);
  } catch {
    res.writeHead(404);
    res.end();
  }
});
await new Promise((ok) => server.listen(0, "127.0.0.1", ok));
const url = `http://127.0.0.1:${server.address().port}/`;

// playwright-core starts Chromium with a fresh temporary profile of its own.
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  args: [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
  ],
});
let code = 1;
try {
  const page = await browser.newPage();
  page.on("pageerror", (e) => console.error("page error:", e.message));
  await page.goto(url);
  await page.waitForFunction(() => window.__result !== undefined, null, { timeout: 60_000 });
  const result = await page.evaluate(() => window.__result);
  for (const f of result.failures) console.error(`not ok - ${f.name}\n${f.error}`);
  console.log(`chromium: ${result.passed}/${result.total} passed`);
  code = result.failed === 0 && result.total > 0 ? 0 : 1;
} finally {
  await browser.close();
  server.close();
}
process.exit(code);
