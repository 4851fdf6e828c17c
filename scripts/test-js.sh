#!/usr/bin/env bash
# Runs the JavaScript suite (tests/js/suite.test.js) against the built pkg/ in Node, Deno,
# workerd and headless Chromium, then the install test and the TypeScript check.
# Expects `make pkg` and `scripts/setup.sh` to have run (the Makefile sees to both).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=node_modules/.bin
out=test-output/js
rm -rf "$out"
mkdir -p "$out/workerd" "$out/browser"

# The suite imports "promptfence": resolve it to pkg/ through an ordinary node_modules entry,
# so each host goes through the package's own `exports` conditions.
mkdir -p tests/js/node_modules
ln -sfn ../../../pkg tests/js/node_modules/promptfence

echo "== node"
node --test tests/js/suite.test.js tests/js/learn-session.test.js

echo "== deno"
$bin/deno test --quiet --allow-read --no-check tests/js/suite.test.js tests/js/learn-session.test.js

# workerd and the browser have no node:test / node:assert: bundle the same suite with the
# stand-ins in tests/js/harness/.
stand_ins=(--alias:node:test=./tests/js/harness/node-test.js
  --alias:node:assert/strict=./tests/js/harness/node-assert.js)

echo "== workerd"
$bin/esbuild tests/js/harness/worker.js --bundle --format=esm --platform=neutral \
  --conditions=workerd,worker --main-fields=module,main --external:*.wasm \
  "${stand_ins[@]}" --log-level=warning --outfile="$out/workerd/worker.js"
cp pkg/promptfence_bg.wasm "$out/workerd/"
node scripts/run-workerd.mjs "$out/workerd"

echo "== chromium"
$bin/esbuild tests/js/harness/entry.js --bundle --format=esm --platform=browser \
  "${stand_ins[@]}" --log-level=warning --outfile="$out/browser/suite.js"
cp pkg/promptfence_bg.wasm "$out/browser/"
cat > "$out/browser/index.html" <<'HTML'
<!doctype html>
<script type="module">
  import { run } from "./suite.js";
  window.__result = await run();
</script>
HTML
node scripts/run-browser.mjs "$out/browser"

echo "== install"
scripts/test-install.sh
