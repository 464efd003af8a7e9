#!/usr/bin/env bash
# scripts/device_check.py judges physics: a healthy (simulated) machine passes; D2H samples that
# are H2D's, a device-local copy no faster than PCIe, a pair cell whose endpoints are one GPU, and
# a riser stuck at Gen1 each fail with the check that names it.
# Usage: device_check_test.sh RIGCHECK RIGS_DIR CHECKER PYTHON
set -uo pipefail
rigcheck=$1 rigs=$2 checker=$3 python=$4
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# make DIR VARIANT: a device-check directory from the simulated 2x3090 rig.
make() {
  local dir=$1 variant=$2 rig="$rigs/asrock-x99-ws-e-2x3090-risers.json"
  mkdir -p "$dir"
  "$rigcheck" topo --from-json "$rig" --variant healthy --json -o "$dir/topo.json" || fail "topo"
  "$rigcheck" bench host_to_device_ce device_to_host_ce device_local_copy_ce host_latency_sm device_to_device_write_ce \
    --simulate "$rig" --variant "$variant" --size 64MiB --time-cap 0.2 --json -o "$dir/bench.json" >/dev/null || fail "bench"
  printf 'GPU cuda:0 0000:04:00.0 GeForce RTX 3090: ok (pattern verified, fill 800.0 GB/s)\nGPU cuda:1 0000:08:00.0 GeForce RTX 3090: ok (pattern verified, fill 800.0 GB/s)\n' >"$dir/selftest.txt"
}

# expect CODE PATTERN DIR: the checker exits CODE and prints PATTERN.
expect() {
  local code=$1 pattern=$2 dir=$3 got
  got=$("$python" "$checker" "$dir" --accept-simulated)
  local rc=$?
  [ "$rc" -eq "$code" ] || fail "exit $rc (wanted $code) for $dir: $got"
  grep -qE -- "$pattern" <<<"$got" || fail "output for $dir lacks /$pattern/: $got"
}

# edit DIR PYTHON: changes bench.json with a Python statement on `cells` (a dict by name).
edit() {
  "$python" - "$1/bench.json" "$2" <<'PY'
import json, sys
path, stmt = sys.argv[1], sys.argv[2]
b = json.load(open(path))
cells = {c["name"]: c for c in b["cells"]}
exec(stmt)
json.dump(b, open(path, "w"))
PY
}

make "$tmp/good" healthy
expect 0 "^[0-9]+ passed, 0 failed$" "$tmp/good"
expect 0 "PASS gpu1-h2d-vs-line-rate: .* of the 15.75 GB/s line rate" "$tmp/good"

cp -r "$tmp/good" "$tmp/copied"
edit "$tmp/copied" 'cells["device_to_host_ce/gpu0"]["samples"] = cells["host_to_device_ce/gpu0"]["samples"]'
expect 1 "FAIL gpu0-d2h-is-its-own-measurement" "$tmp/copied"

cp -r "$tmp/good" "$tmp/slow-local"
edit "$tmp/slow-local" 'cells["device_local_copy_ce/gpu1"]["median"] = cells["host_to_device_ce/gpu1"]["median"]'
expect 1 "FAIL gpu1-local-copy" "$tmp/slow-local"

cp -r "$tmp/good" "$tmp/same-gpu"
edit "$tmp/same-gpu" 'cells["device_to_device_write_ce/gpu0-gpu1"]["dst"] = {"kind": "gpu", "gpu": 0}'
expect 1 "FAIL endpoints device_to_device_write_ce/gpu0-gpu1" "$tmp/same-gpu"

make "$tmp/gen1" riser-gen1
expect 1 "FAIL gpu[01]-h2d-vs-line-rate" "$tmp/gen1"
expect 1 "FAIL gpu[01]-link-under-load: Gen1 under load, maximum Gen3" "$tmp/gen1"

mkdir -p "$tmp/empty"
"$python" "$checker" "$tmp/empty" >/dev/null 2>&1
[ $? -eq 2 ] || fail "an incomplete directory must exit 2"

[ "$failures" -eq 0 ] && echo "device check: all checks behaved" || echo "$failures check(s) failed"
exit $((failures > 0))
