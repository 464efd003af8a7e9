#!/usr/bin/env bash
# Configures and builds rigcheck into build/ (BUILD_DIR overrides). Shared by run.sh and test.sh.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build_dir="${BUILD_DIR:-$root/build}"
build_type="${BUILD_TYPE:-Release}"

# The toolkit is found on PATH or in its usual place; without it the build is CPU-only.
if ! command -v nvcc >/dev/null 2>&1 && [ -x /usr/local/cuda/bin/nvcc ]; then
  export PATH="/usr/local/cuda/bin:$PATH"
fi

cmake -S "$root" -B "$build_dir" -DCMAKE_BUILD_TYPE="$build_type" ${RIGCHECK_CMAKE_ARGS:-} >"$build_dir.configure.log" 2>&1 \
  || { cat "$build_dir.configure.log" >&2; echo "build: cmake configure failed" >&2; exit 1; }
sed -n '/rigcheck .* configuration/,/^-- $/p' "$build_dir.configure.log" >&2 || true
jobs="$(nproc 2>/dev/null || echo 2)"
cmake --build "$build_dir" -j "$jobs" >&2
