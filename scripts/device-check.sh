#!/usr/bin/env bash
# The check of rigcheck's real GPU path, for a machine with an NVIDIA GPU. It runs from an already
# built tree (no network, no package install, no build: build first with scripts/build.sh and
# carry the build), finishes in a few minutes on one GPU, and fails on implausible physics, not
# only on errors: see scripts/device_check.py for every check. Every step has its own time limit.
#
# Usage: scripts/device-check.sh OUTDIR       (BUILD_DIR picks the build; default build/)
# OUTDIR receives each step's output, topo.json, bench.json, the run's report, and summary.txt.
# Exit codes: 0 every check passed, 1 a check failed, 2 the tree is not built or OUTDIR incomplete.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${1:?usage: scripts/device-check.sh OUTDIR}"
mkdir -p "$out"
rigcheck="${BUILD_DIR:-$root/build}/cli/rigcheck"
if [ ! -x "$rigcheck" ]; then
  echo "device-check: no rigcheck at $rigcheck; build it first (scripts/build.sh) and carry the build" >&2
  exit 2
fi
if ! command -v python3 >/dev/null 2>&1; then
  echo "device-check: python3 is needed to judge the results" >&2
  exit 2
fi

# step NAME SECONDS COMMAND...: runs one step under its own limit, keeps its output.
step() {
  local name=$1 limit=$2
  shift 2
  echo "== $name: $*"
  local started=$SECONDS
  timeout -k 10 "$limit" "$@" >"$out/$name.txt" 2>&1
  local rc=$?
  echo "$name rc=$rc $((SECONDS - started))s" | tee -a "$out/steps.txt"
  tail -n 25 "$out/$name.txt"
  return 0
}

: >"$out/steps.txt"
if command -v nvidia-smi >/dev/null 2>&1; then step nvidia-smi 30 nvidia-smi; fi
step topo 60 "$rigcheck" topo
step topo-json 60 "$rigcheck" topo --json -o "$out/topo.json"
gpus=$(python3 -c "import json,sys; print(len(json.load(open(sys.argv[1]))['gpus']))" "$out/topo.json" 2>/dev/null || echo 0)
step selftest 60 "$rigcheck" selftest --size 256MiB

tests="host_to_device_ce device_to_host_ce host_to_device_sm device_to_host_sm host_device_bidir_sm device_local_copy_ce host_latency_sm"
if [ "$gpus" -ge 2 ]; then
  tests="$tests device_to_device_read_ce device_to_device_write_ce device_to_device_bidir_ce device_to_device_read_sm device_to_device_latency_sm"
fi
# shellcheck disable=SC2086
step bench 240 "$rigcheck" bench $tests --size 256MiB --time-cap 1 --json -o "$out/bench.json"
step nccl 150 "$rigcheck" bench allreduce --sizes 1MiB:64MiB --procs both --json
step run 240 "$rigcheck" run --out "$out" --name device-check --size 64MiB

# Side by side with NVIDIA's nvbandwidth when it is installed (informational).
if command -v nvbandwidth >/dev/null 2>&1; then
  step nvbandwidth 180 nvbandwidth -j -t host_to_device_memcpy_ce device_to_host_memcpy_ce device_local_copy
  python3 - "$out" <<'PY' | tee "$out/side-by-side.txt"
import json, os, re, sys
out = sys.argv[1]
text = open(os.path.join(out, "nvbandwidth.txt")).read()
start = text.find("{")
nv = json.loads(text[start:]) if start >= 0 else {}
ours = {c["name"]: c["median"] for c in json.load(open(os.path.join(out, "bench.json")))["cells"]}
names = {"host_to_device_memcpy_ce": "host_to_device_ce", "device_to_host_memcpy_ce": "device_to_host_ce",
         "device_local_copy": "device_local_copy_ce"}
print("%-28s %5s %12s %12s" % ("test", "GPU", "nvbandwidth", "rigcheck"))
for t in nv.get("nvbandwidth", {}).get("testcases", []):
    mine = names.get(t.get("name"))
    for row in t.get("bandwidth_matrix", [])[:1]:
        for gpu, value in enumerate(row):
            if mine and value not in ("N/A", None, ""):
                print("%-28s %5d %12.2f %12.2f" % (t["name"], gpu, float(value), ours.get("%s/gpu%d" % (mine, gpu), float("nan"))))
PY
fi

python3 "$root/scripts/device_check.py" "$out" | tee "$out/summary.txt"
exit "${PIPESTATUS[0]}"
