#!/usr/bin/env bash
# A rig file with NICs through the command line (issue 15): `topo` shows the adapters and their
# path to each GPU, its JSON validates against the topology schema, and `run --simulate` of every
# variant writes a schema-valid report that carries the variant's network finding.
#   cli_network_test.sh RIGCHECK RIG SCHEMAS PYTHON
set -u
rigcheck=$1 rig=$2 schemas=$3 python=$4
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

expect() {  # expect RC PATTERN -- command...
  local rc=$1 pattern=$2; shift 3
  local out actual
  out=$("$@" 2>&1); actual=$?
  [ "$actual" -eq "$rc" ] || fail "exit $actual (wanted $rc): $*"$'\n'"$out"
  grep -Eq -- "$pattern" <<<"$out" || fail "output of '$*' lacks /$pattern/"$'\n'"$out"
}

validate() {  # validate FILE SCHEMA
  "$python" - "$schemas" "$2" "$1" <<'PY' || fail "schema validation of $1 ($2)"
import glob, json, os, sys, jsonschema
store = {}
for path in glob.glob(os.path.join(sys.argv[1], "*.schema.json")):
    s = json.load(open(path))
    store[s["$id"]] = s
schema = json.load(open(os.path.join(sys.argv[1], sys.argv[2] + ".schema.json")))
resolver = jsonschema.RefResolver.from_schema(schema, store=store)
jsonschema.Draft202012Validator(schema, resolver=resolver).validate(json.load(open(sys.argv[3])))
PY
}

expect 0 "NIC mlx5_0 0000:04:00.0 \[15b3:101b\]" -- "$rigcheck" topo --from-json "$rig"
expect 0 "NIC0 mlx5_0 infiniband 0000:04:00.0 NUMA 0 \| PCIe max Gen4 x16, now Gen4 x16 \| port 1 ACTIVE/LinkUp 200 Gb/s \(ib0\)" -- "$rigcheck" topo --from-json "$rig"
expect 0 "to GPUs: GPU0 PIX GPU1 PIX GPU2 PHB GPU3 PHB GPU4 SYS" -- "$rigcheck" topo --from-json "$rig"
expect 0 "GPUDirect RDMA: peer module nvidia_peermem" -- "$rigcheck" topo --from-json "$rig"
"$rigcheck" topo --from-json "$rig" --variant roce-on-cpu-port --json -o "$tmp/topo.json" || fail "topo --json"
validate "$tmp/topo.json" topology

# variant:finding (the healthy variant: none of the network ids; exit 0, its one finding is an info)
network_ids='nic-far-from-gpus|nic-pcie-link-downtrained|nic-pcie-slower-than-port|nic-port-rate-below|nic-port-down|gpudirect-rdma-unavailable|nic-gpu-path-acs-redirect|nccl-env-disables-rdma'
"$rigcheck" run --simulate "$rig" --out "$tmp/runs" --name healthy --quiet >/dev/null 2>&1
rc=$?
[ "$rc" -eq 0 ] || fail "run --simulate of the healthy variant exited $rc"
grep -Eq "\"id\": \"($network_ids)\"" "$tmp/runs/healthy.json" && fail "the healthy variant has a network finding"
grep -q '"mode": "simulated"' "$tmp/runs/healthy.json" || fail "the report is not labelled simulated"
# The report shows the adapters as `topo` does: each NIC's ports, its PCIe link and its path to the GPUs.
grep -q '^## Network$' "$tmp/runs/healthy.md" || fail "the Markdown report has no Network section"
grep -Fq '| NIC0 mlx5_0 | infiniband | 0000:04:00.0 | 0 | 1 ACTIVE/LinkUp 200 Gb/s (ib0) | Gen4 x16 | PIX: GPU0-GPU1; PHB: GPU2-GPU3; SYS: GPU4-GPU7 |' \
  "$tmp/runs/healthy.md" || fail "the Markdown report lacks NIC0's row"
grep -Fq 'GPUDirect RDMA: peer-memory module nvidia_peermem loaded' "$tmp/runs/healthy.md" || fail "the Markdown report lacks GPUDirect RDMA"
grep -q '<section id="network">' "$tmp/runs/healthy.html" || fail "the HTML report has no network section"
expect 0 "NIC3 mlx5_3 +infiniband +0000:94:00.0 +1 +1 ACTIVE/LinkUp 200 Gb/s \(ib3\) +Gen4 x16 +PIX: GPU6-GPU7" -- "$rigcheck" report "$tmp/runs/healthy.json"
for pair in hca-port-down:nic-port-down hca-x8:nic-pcie-link-downtrained hca-edr-cable:nic-port-rate-below \
            no-peermem:gpudirect-rdma-unavailable acs-on-hca-port:nic-gpu-path-acs-redirect ib-disabled:nccl-env-disables-rdma \
            roce-on-cpu-port:nic-far-from-gpus hdr-in-gen3-slot:nic-pcie-slower-than-port; do
  variant=${pair%%:*} id=${pair#*:}
  "$rigcheck" run --simulate "$rig" --variant "$variant" --out "$tmp/runs" --name "$variant" --quiet >/dev/null 2>&1
  rc=$?
  [ "$rc" -eq 3 ] || fail "run --simulate --variant $variant exited $rc (wanted 3: warnings)"
  grep -q "\"id\": \"$id\"" "$tmp/runs/$variant.json" || fail "variant $variant: no $id in the report"
  grep -q "$id" "$tmp/runs/$variant.md" || fail "variant $variant: no $id in the Markdown report"
done
validate "$tmp/runs/hca-port-down.json" report
grep -Eq '\| NIC[0-9] mlx5_[0-9] \| infiniband \| [0-9a-f:.]+ \| [01] \| 1 DOWN' "$tmp/runs/hca-port-down.md" || fail "the port that is down is not shown down"

[ "$failures" -eq 0 ] && echo "all network CLI checks passed"
exit $((failures > 0))
