#!/usr/bin/env bash
# Builds the npm package into pkg/: the engine compiled to wasm32 (size-optimised profile),
# wasm-bindgen's `--target web` glue, wasm-opt -Oz, then the shim, types, README and
# package.json from pkg-templates/.
#
# Why `--target web`: its glue is a plain ES module that takes the module from the caller
# (URL, bytes, Response or WebAssembly.Module), so one build serves every host; the entry
# points in pkg-templates/ only say where the bytes come from (fetch in browsers and Deno,
# the file in Node and Bun, an imported WebAssembly.Module in workerd). The `bundler` target
# would `import` the .wasm directly, which Node and Deno cannot do without flags.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh build
profile=wasm-release
cargo build --locked --lib --target wasm32-unknown-unknown --profile "$profile"

out=pkg
rm -rf "$out"
mkdir -p "$out"
.tools/bin/wasm-bindgen --target web --no-typescript --out-dir "$out" \
  "target/wasm32-unknown-unknown/$profile/promptfence.wasm"
# The Rust toolchain emits bulk-memory and other post-MVP features; say so to wasm-opt.
# `-ocimfs 20`: a function with one caller is inlined into it only when it is tiny. By default
# wasm-opt inlines any such function, whatever its size, which made the module 19 KB larger
# gzipped and built functions of 10-24 KB (the Fence constructor took in the whole engine
# build). V8 compiles a hot function again with its optimizing compiler, on a background
# thread, in time that grows faster than the function: at start-up that was 150-300 ms of
# CPU competing with the first scan on a 2-core machine. Scan latency did not change.
node_modules/.bin/wasm-opt -Oz -ocimfs 20 --enable-bulk-memory --enable-nontrapping-float-to-int \
  --enable-sign-ext --enable-mutable-globals --enable-reference-types --enable-multivalue \
  --strip-debug --strip-producers \
  -o "$out/promptfence_bg.wasm" "$out/promptfence_bg.wasm"

cp pkg-templates/index.js pkg-templates/node.js pkg-templates/workerd.js \
  pkg-templates/index.d.ts pkg-templates/README.md "$out/"
# core.js ships with the modules it imports (errors, chat, guard, proxy) bundled into it: each
# module of an import costs Node's loader about half a millisecond at start-up, and 5.6 ms of
# importing the package became ~2.5 (the entry points and wasm-bindgen's promptfence.js stay
# their own files: every host's entry imports core.js, which imports promptfence.js).
node_modules/.bin/esbuild pkg-templates/core.js --bundle --format=esm --external:./promptfence.js \
  --outfile="$out/core.js" --log-level=warning
# The shipped JavaScript without its comments and layout (identifiers kept, so stack traces
# still name our functions): 21.7 KB gzipped became 14.8 KB. The commented sources are
# pkg-templates/ and the wasm-bindgen output; the API's documentation ships in index.d.ts.
node_modules/.bin/esbuild "$out"/*.js --minify-whitespace --minify-syntax --legal-comments=none \
  --format=esm --outdir="$out" --allow-overwrite --log-level=warning
version="$(awk -F'"' '/^version = / { print $2; exit }' Cargo.toml)"
sed "s/0.0.0-set-by-build/$version/" pkg-templates/package.json > "$out/package.json"

wasm_bytes=$(wc -c < "$out/promptfence_bg.wasm")
wasm_gz=$(gzip -9 -c "$out/promptfence_bg.wasm" | wc -c)
echo "pkg/: promptfence $version, promptfence_bg.wasm $wasm_bytes bytes ($wasm_gz gzipped)"
