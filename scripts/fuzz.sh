#!/usr/bin/env bash
# Builds the libFuzzer harnesses of tests/fuzz/ with clang (-fsanitize=fuzzer,address,undefined,
# CPU-only, build dir build-fuzz) and runs one of them or all, one after the other:
#   scripts/fuzz.sh                      # every harness, 60 s each
#   scripts/fuzz.sh fuzz_rig 600         # one harness for 10 minutes
#   scripts/fuzz.sh all 600              # every harness, 10 minutes each
#   scripts/fuzz.sh --list               # the harness names
# Seeds come from the project's own inputs (results/rigs, results/examples, tests/fixtures/...),
# gathered into build-fuzz/fuzz/HARNESS/seeds at run time; what the fuzzer adds is kept in
# build-fuzz/fuzz/HARNESS/corpus for the next run. A crash, timeout or out-of-memory input is
# written to build-fuzz/fuzz/HARNESS/artifacts/ and the script exits 1; reproduce it with
#   build-fuzz/tests/fuzz/HARNESS FILE
# (or the copy build-fuzz/fuzz/HARNESS/HARNESS.bin that ran) and make it a regression test
# (tests/fixtures/bad/ and its README). Each run prints one line:
# executions, seconds, corpus size, findings. Needs clang with libFuzzer (apt-get install clang)
# and python3 (it trims large reports into seeds). Environment: BUILD_DIR, JOBS (build, default 2),
# FUZZ_NO_BUILD, FUZZ_ARGS (below).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build_dir="${BUILD_DIR:-$root/build-fuzz}"
harnesses=(fuzz_rig fuzz_topology_json fuzz_json_patch fuzz_pci_dump fuzz_nccl_log fuzz_report fuzz_import fuzz_ingest)

if [ "${1:-}" = "--list" ]; then printf '%s\n' "${harnesses[@]}"; exit 0; fi
which="${1:-all}"
seconds="${2:-60}"
if [ "$which" != all ] && [[ ! " ${harnesses[*]} " =~ " $which " ]]; then
  echo "fuzz: unknown harness $which (scripts/fuzz.sh --list)" >&2; exit 2
fi
command -v clang++ >/dev/null || { echo "fuzz: clang++ is not installed (apt-get install clang)" >&2; exit 1; }

# FUZZ_NO_BUILD=1 runs the harnesses as built (e.g. while sources are being edited).
if [ -z "${FUZZ_NO_BUILD:-}" ]; then
CC=clang CXX=clang++ cmake -S "$root" -B "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DRIGCHECK_CUDA=OFF \
  -DRIGCHECK_FUZZ=ON -DRIGCHECK_BUILD_BENCH=OFF >"$build_dir.configure.log" 2>&1 \
  || { cat "$build_dir.configure.log" >&2; echo "fuzz: cmake configure failed" >&2; exit 1; }
cmake --build "$build_dir" -j "${JOBS:-2}" --target rigcheck_fuzzers rigcheck_make_fake_root
fi

# The longest input worth trying per parser: a little above the largest real input of its kind,
# since every extra byte slows each execution down.
max_len() {
  case "$1" in
    fuzz_rig|fuzz_topology_json|fuzz_json_patch) echo 16384 ;;  # seed rigs are 1.5-6 KB
    fuzz_import|fuzz_ingest) echo 32768 ;;                       # pasted outputs are up to 10 KB
    fuzz_nccl_log|fuzz_report|fuzz_pci_dump) echo 65536 ;;      # a 30 KB NCCL line; trimmed reports; 2-function dumps
  esac
}

# Copies (never links: the fuzzer must not write into the tree) the project's inputs of one kind.
seed() {
  local dir="$1"; shift
  mkdir -p "$dir"
  for f in "$@"; do [ -f "$f" ] && cp "$f" "$dir/"; done
  return 0
}

make_seeds() {
  local h="$1" dir="$2" fx="$root/tests/fixtures"
  rm -rf "$dir"; mkdir -p "$dir"
  case "$h" in
    fuzz_rig|fuzz_json_patch) seed "$dir" "$root"/results/rigs/*.json "$fx"/bad/bb-rig-*.json ;;
    fuzz_topology_json)
      seed "$dir" "$fx"/bad/bb-*.topo.json
      # The machine of every example report is a topology JSON as `topo --json` writes it.
      python3 - "$dir" "$root"/results/examples/*.json <<'EOF'
import json, os, sys
for path in sys.argv[2:]:
    with open(path) as f:
        topology = json.load(f).get("topology")
    if topology:
        with open(os.path.join(sys.argv[1], os.path.basename(path)), "w") as out:
            json.dump(topology, out, indent=1)
EOF
      ;;
    fuzz_pci_dump)
      seed "$dir" "$fx"/bad/pcidump-*.txt
      # The harness joins dumps with the reference machine's tree: its dump, in the small variants.
      for variant in --non-root --one-gpu-small-bar; do
        "$build_dir/tests/rigcheck_make_fake_root" "$dir/machine$variant" "$variant"
        mv "$dir/machine$variant/lspci.txt" "$dir/lspci$variant.txt"; rm -rf "$dir/machine$variant"
      done
      ;;
    fuzz_nccl_log) seed "$dir" "$fx"/nccl/*.log "$fx"/imports/nccl-info-*.txt "$fx"/bad/nccl-*.log ;;
    fuzz_report)
      seed "$dir" "$fx"/bad/bb-report-*.json
      # Example reports are up to 600 KB: every array cut to its first three elements keeps each
      # kind of field, compact, within max_len.
      python3 - "$dir" "$(max_len fuzz_report)" "$root"/results/examples/*.json <<'EOF'
import json, os, sys
def trim(v):
    if isinstance(v, list): return [trim(x) for x in v[:3]]
    if isinstance(v, dict): return {k: trim(x) for k, x in v.items()}
    return v
for path in sys.argv[3:]:
    with open(path) as f:
        text = json.dumps(trim(json.load(f)), separators=(",", ":"))
    if len(text) <= int(sys.argv[2]):
        with open(os.path.join(sys.argv[1], os.path.basename(path)), "w") as out:
            out.write(text)
EOF
      ;;
    fuzz_import|fuzz_ingest) seed "$dir" "$fx"/imports/*.txt "$fx"/imports/*.md "$fx"/nccl/*.log; rm -f "$dir/SOURCES.md" ;;
  esac
}

status=0
run_one() {
  local h="$1" work="$build_dir/fuzz/$1"
  mkdir -p "$work/corpus" "$work/artifacts"
  make_seeds "$h" "$work/seeds"
  local before; before="$(ls "$work/artifacts" | wc -l)"
  echo "fuzz: $h for ${seconds}s (max_len $(max_len "$h"), $(ls "$work/seeds" | wc -l) seeds)"
  # Leak checking is off as in scripts/sanitize.sh (hwloc and libpci keep process-lifetime
  # allocations); -jobs=1 runs the fuzzer in one child whose output goes to fuzz-0.log.
  # A copy runs, so that rebuilding while a harness runs does not replace the binary under it.
  # FUZZ_ARGS adds libFuzzer options (e.g. "-fork=1 -ignore_crashes=1" to go on after a finding).
  cp "$build_dir/tests/fuzz/$h" "$work/$h.bin"
  local rc=0 start; start="$(date +%s)"
  # shellcheck disable=SC2086
  (cd "$work" && rm -f fuzz-0.log && ASAN_OPTIONS="detect_leaks=0:strict_string_checks=1" \
    UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" "$work/$h.bin" -jobs=1 ${FUZZ_ARGS:-} \
    -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -max_len="$(max_len "$h")" -print_final_stats=1 \
    -artifact_prefix="$work/artifacts/" "$work/corpus" "$work/seeds") || rc=$?
  local elapsed=$(( $(date +%s) - start )) log="$work/fuzz-0.log"
  local runs corpus findings
  runs="$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1 || true)"
  corpus="$(ls "$work/corpus" | wc -l)"
  findings="$(( $(ls "$work/artifacts" | wc -l) - before ))"
  echo "fuzz: $h: ${runs:-?} executions in ${elapsed}s, corpus $corpus inputs, $findings finding(s) in $work/artifacts (log $log)"
  if [ "$rc" -ne 0 ] || [ "$findings" -ne 0 ]; then
    grep -E 'ERROR|SUMMARY|fuzz_[a-z_]*: ' "$log" | head -20 >&2 || true
    status=1
  fi
}

if [ "$which" = all ]; then
  for h in "${harnesses[@]}"; do run_one "$h"; done
else
  run_one "$which"
fi
exit "$status"
