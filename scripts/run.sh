#!/usr/bin/env bash
# The README's first command: install dependencies, build (Release), run rigcheck with the
# arguments given (default: `run`, the whole validation). Example: scripts/run.sh topo --xml tests/fixtures/hwloc/nvidiaDGX2.xml
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/setup-deps.sh" >&2
BUILD_TYPE=Release "$root/scripts/build.sh"
if [ $# -eq 0 ]; then set -- run; fi
exec "${BUILD_DIR:-$root/build}/cli/rigcheck" "$@"
