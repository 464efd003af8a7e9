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

[ "$failures" -eq 0 ] && echo "all network CLI checks passed"
exit $((failures > 0))
