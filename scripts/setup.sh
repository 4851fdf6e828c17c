#!/usr/bin/env bash
# Installs what the WebAssembly build and the JavaScript tests need, skipping whatever is
# already there, so it can run before every `make pkg` / `make test-js`.
#
#   scripts/setup.sh            everything: wasm target, wasm-bindgen CLI, npm dev tools, Chromium
#   scripts/setup.sh build      only what `make pkg` needs (no Chromium)
#
# Nothing here downloads a prebuilt binary from the web: wasm-bindgen is compiled from
# crates.io at exactly the version Cargo.lock pins, wasm-opt / deno / workerd / esbuild come
# from the npm registry, Chromium and ChromeDriver from Debian.
set -euo pipefail
cd "$(dirname "$0")/.."

what="${1:-all}"
log() { printf 'setup: %s\n' "$*"; }

# 1. Rust target.
if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  log "adding rust target wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi

# 2. wasm-bindgen CLI, same version as the wasm-bindgen crate in Cargo.lock (the two must
#    match exactly), cached in .tools/.
version="$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)"
if [ -z "$version" ]; then
  echo "setup: no wasm-bindgen in Cargo.lock" >&2
  exit 1
fi
# A machine-wide copy (kept from an earlier clone on this machine) saves the build; a new
# machine builds it from crates.io.
cache="${PROMPTFENCE_TOOLS_CACHE:-$HOME/.cache/promptfence-tools}/wasm-bindgen-$version"
have() { [ "$("$1"/wasm-bindgen --version 2>/dev/null | awk '{print $2}')" = "$version" ]; }
if ! have .tools/bin; then
  if have "$cache/bin"; then
    log "copying wasm-bindgen-cli $version from $cache"
    mkdir -p .tools && cp -r "$cache/bin" .tools/
  else
    log "building wasm-bindgen-cli $version into .tools/ (a few minutes)"
    cargo install --root .tools wasm-bindgen-cli --version "=$version"
    mkdir -p "$cache" && cp -r .tools/bin "$cache/" || log "could not keep a machine-wide copy (fine)"
  fi
fi

# 3. npm dev tools (binaryen for wasm-opt, deno, workerd, playwright-core, esbuild, typescript,
#    the vard benchmark baseline). `npm ci` when the lock file says exactly what to install.
if [ ! -x node_modules/.bin/wasm-opt ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  log "installing npm dev dependencies"
  # `npm ci` refuses a lock file that lacks other platforms' optional binaries (deno,
  # workerd), which happens when the registry this machine reaches does not list them; then
  # install from package.json without rewriting the lock file.
  npm ci --no-audit --no-fund || npm install --no-audit --no-fund --no-save
fi

[ "$what" = build ] && exit 0

# 4. Chromium + ChromeDriver from Debian, for the browser tests.
if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then
  log "installing chromium and chromium-driver with apt-get"
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -q chromium chromium-driver
fi
log "ok"
