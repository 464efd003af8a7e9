#!/usr/bin/env bash
# Builds rigcheck and runs its real CUDA path on a machine with an NVIDIA GPU: topology discovery
# joined with CUDA, and the pattern self-test. Fails unless every GPU is found, joined by PCI
# address, and verified. Prints what it saw for the issue notes.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/setup-deps.sh" >&2
BUILD_TYPE=Release RIGCHECK_CMAKE_ARGS="-DRIGCHECK_BUILD_TESTS=OFF ${RIGCHECK_CMAKE_ARGS:-}" "$root/scripts/build.sh"
rigcheck="${BUILD_DIR:-$root/build}/cli/rigcheck"
out="${OUT:-$(mktemp -d)}"

echo "== rigcheck topo"
"$rigcheck" topo | tee "$out/topo.txt"
"$rigcheck" topo --json -o "$out/topo.json"
python3 - "$out/topo.json" <<'PY'
import json, sys
t = json.load(open(sys.argv[1]))
gpus = t["gpus"]
assert gpus, "no GPU in the topology"
for g in gpus:
    assert g["cuda_index"] >= 0, f"GPU {g['address']} not joined to a CUDA device"
    assert g["compute_capability"], f"GPU {g['address']} has no compute capability"
    print(f"GPU{g['index']} {g['address']} {g['name']} cc {g['compute_capability']} cuda:{g['cuda_index']} "
          f"NUMA {g['numa_node']} host path {g['host_path']['gbps']:.2f} GB/s ({g['host_path']['where']})")
print(f"driver {t['system']['nvidia_driver']} CUDA driver {t['system']['cuda_driver_version']} NCCL {t['system']['nccl_version']}")
PY

echo "== rigcheck selftest"
"$rigcheck" selftest --size 256MiB | tee "$out/selftest.txt"
grep -q ": ok (pattern verified" "$out/selftest.txt"

echo "== rigcheck bench (real backend)"
tests="host_to_device_ce device_to_host_ce host_to_device_sm device_to_host_sm host_device_bidir_sm device_local_copy_ce host_latency_sm"
gpus=$(python3 -c "import json; print(len(json.load(open('$out/topo.json'))['gpus']))")
if [ "$gpus" -ge 2 ]; then tests="$tests device_to_device_read_ce device_to_device_write_ce device_to_device_read_sm device_to_device_latency_sm"; fi
# shellcheck disable=SC2086
"$rigcheck" bench $tests --size 256MiB | tee "$out/bench.txt"
# shellcheck disable=SC2086
"$rigcheck" bench $tests --size 256MiB --json -o "$out/bench.json"
python3 - "$out/bench.json" <<'PY'
import json, sys
run = json.load(open(sys.argv[1]))
assert run["mode"] == "real", "the real backend must say mode real"
# Plausibility floors: anything below is a broken measurement, not a slow rig.
floor = {"ns": (50, 100000)}
bad = []
for c in run["cells"]:
    name, med = c["name"], c["median"]
    print(f"{name:45s} {c['status']:11s} {med:10.2f} {c['unit']:5s} cv {c['cv']:.4f} samples {len(c['samples'])} {c['path']}")
    if c["status"] == "unsupported":
        continue
    if c["status"] != "ok":
        bad.append(f"{name}: {c['status']} {c['detail']}")
    elif c["unit"] == "ns" and not (floor["ns"][0] < med < floor["ns"][1]):
        bad.append(f"{name}: latency {med} ns implausible")
    elif c["unit"] == "GB/s" and not (0.2 < med < 10000):
        bad.append(f"{name}: {med} GB/s implausible")
assert not bad, "\n".join(bad)
PY
echo "== rigcheck bench allreduce (NCCL; a single GPU still runs a 1-rank communicator and the per-GPU worker)"
"$rigcheck" bench allreduce allgather --sizes 1MiB:64MiB --procs both | tee "$out/nccl.txt"
grep -q "^allreduce .* ok$" "$out/nccl.txt"
if grep -qE " (wrong|hang|error)$" "$out/nccl.txt"; then echo "gpu-smoke: a collective failed" >&2; exit 1; fi

echo "== rigcheck run (the whole validation)"
"$rigcheck" run --out "$out" --name smoke || [ $? -le 4 ]
python3 -c "import json,sys; r=json.load(open('$out/smoke.json')); assert r['status']=='complete' and r['mode']=='real', r['status']; print('report', r['verdict'])"
echo "gpu-smoke: passed"
