#!/usr/bin/env bash
# wasm-bindgen-test (tests/web.rs) in Node, then in headless Chromium via Debian's chromedriver.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER="$PWD/.tools/bin/wasm-bindgen-test-runner"
export WASM_BINDGEN_TEST_TIMEOUT=120

echo "== wasm-bindgen-test: node"
cargo test --locked --target wasm32-unknown-unknown --test web

echo "== wasm-bindgen-test: chromium"
# Extra WebDriver capabilities for the runner (it adds "headless" itself): root needs
# --no-sandbox, and a closed network wants Chromium's background traffic off.
profile="$(mktemp -d "${TMPDIR:-/tmp}/promptfence-chromedriver-XXXXXX")"
trap 'rm -rf "$profile"' EXIT
cat > "$profile/webdriver.json" <<JSON
{ "goog:chromeOptions": { "binary": "/usr/bin/chromium", "args": [
  "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
  "--user-data-dir=$profile/data"] } }
JSON
WASM_BINDGEN_USE_BROWSER=1 CHROMEDRIVER=/usr/bin/chromedriver \
  WASM_BINDGEN_TEST_WEBDRIVER_JSON="$profile/webdriver.json" \
  cargo test --locked --target wasm32-unknown-unknown --test web
