#!/usr/bin/env bash
# The README's second command: install dependencies, build, run the whole test suite.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/setup-deps.sh"
# Test-only: headless Chromium for the HTML report's browser test (tests/browser/). Not a build
# dependency, so setup-deps.sh (and run.sh) leave it out; without it that one test is skipped.
if ! command -v chromium >/dev/null 2>&1 && ! command -v chromium-browser >/dev/null 2>&1; then
  sudo_=(); [ "$(id -u)" -eq 0 ] || sudo_=(sudo)
  echo "test: installing chromium for the browser test"
  { DEBIAN_FRONTEND=noninteractive "${sudo_[@]}" apt-get update -qq &&
    DEBIAN_FRONTEND=noninteractive "${sudo_[@]}" apt-get install -y -qq --no-install-recommends chromium; } ||
    echo "test: chromium could not be installed; the browser test (html.browser) will be skipped" >&2
fi
# The same build type as scripts/run.sh: one build serves both commands (BUILD_TYPE overrides).
BUILD_TYPE="${BUILD_TYPE:-Release}" "$root/scripts/build.sh"
cd "${BUILD_DIR:-$root/build}"
ctest --output-on-failure -j "$(nproc 2>/dev/null || echo 2)" "$@"
