#!/usr/bin/env bash
# Builds the test suite with clang and runs it, under AddressSanitizer + UndefinedBehaviorSanitizer
# (the default) or plain (`clang`: does it compile with clang at all). CPU-only (RIGCHECK_CUDA=OFF):
# the sanitizers look at rigcheck's own host code, and nvcc picks its own host compiler.
#   scripts/sanitize.sh [asan|clang] [ctest arguments...]     # build dir: build-asan / build-clang
# Needs clang (apt-get install clang). Any finding of a sanitizer fails the test it happens in.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
mode="${1:-asan}"
[ $# -gt 0 ] && shift
command -v clang++ >/dev/null || { echo "sanitize: clang++ is not installed (apt-get install clang)" >&2; exit 1; }

flags="" link=""
case "$mode" in
  asan)
    flags="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
    link="-fsanitize=address,undefined"
    ;;
  clang) ;;
  *) echo "sanitize: unknown mode $mode (asan, clang)" >&2; exit 2 ;;
esac
build_dir="${BUILD_DIR:-$root/build-$mode}"

CC=clang CXX=clang++ cmake -S "$root" -B "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DRIGCHECK_CUDA=OFF \
  -DCMAKE_CXX_FLAGS="$flags" -DCMAKE_C_FLAGS="$flags" -DCMAKE_EXE_LINKER_FLAGS="$link" \
  -DCMAKE_SHARED_LINKER_FLAGS="$link" >"$build_dir.configure.log" 2>&1 \
  || { cat "$build_dir.configure.log" >&2; echo "sanitize: cmake configure failed" >&2; exit 1; }
cmake --build "$build_dir" -j "$(nproc 2>/dev/null || echo 2)"

# halt_on_error: a finding ends the process with an error, so the test that caused it fails.
# Leak checking is off: libpci and hwloc keep process-lifetime allocations that are not leaks.
# handle_segv=0: the suite's workers that crash on purpose (raise(SIGSEGV), to test crash isolation)
# must die by the signal as they do in a normal build; ASan's handler would instead symbolize a
# report for longer than those tests' 1 s timeout and exit(1). Memory errors are still caught by
# the instrumentation; only a wild access loses ASan's stack (the test still fails by the signal).
export ASAN_OPTIONS="detect_leaks=0:halt_on_error=1:abort_on_error=0:strict_string_checks=1:handle_segv=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
cd "$build_dir"
ctest --output-on-failure -j "$(nproc 2>/dev/null || echo 2)" "$@"
