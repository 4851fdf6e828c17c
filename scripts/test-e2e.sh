#!/usr/bin/env bash
# End-to-end tests (tests/e2e/): the Worker example in workerd, the Deno example, the
# playground and guardFetch in headless Chromium, each against a mock LLM on 127.0.0.1, plus
# the checks that the README snippets are those examples. Expects `make pkg` and
# `scripts/setup.sh` to have run (`make e2e` sees to both). Screenshots: test-output/e2e/.
set -euo pipefail
cd "$(dirname "$0")/.."
rm -rf test-output/e2e
mkdir -p test-output/e2e
# One file at a time: the machine is small, and each file starts its own runtime.
node --test --test-concurrency=1 tests/e2e/*.test.mjs
