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
echo "gpu-smoke: passed"
