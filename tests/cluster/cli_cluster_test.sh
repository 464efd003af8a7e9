#!/usr/bin/env bash
# `rigcheck run --simulate CLUSTER.json` from the command line: the cluster file is told apart by
# its schema, exit codes follow the cluster's verdict, the report validates against the published
# schema (jsonschema, every schema of the project), `rigcheck report` prints it again, and bad
# cluster files are one sentence with exit 2.
#   cli_cluster_test.sh RIGCHECK CLUSTERS SCHEMAS PYTHON
set -u
rigcheck=$1 clusters=$2 schemas=$3 python=$4
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

validate() {  # validate FILE: the report schema
  "$python" - "$schemas" "$1" <<'PY' || fail "schema validation of $1"
import glob, json, os, sys, jsonschema
store = {}
for path in glob.glob(os.path.join(sys.argv[1], "*.schema.json")):
    s = json.load(open(path))
    jsonschema.Draft202012Validator.check_schema(s)
    store[s["$id"]] = s
schema = json.load(open(os.path.join(sys.argv[1], "report.schema.json")))
resolver = jsonschema.RefResolver.from_schema(schema, store=store)
report = json.load(open(sys.argv[2]))
jsonschema.Draft202012Validator(schema, resolver=resolver).validate(report)
assert report["nodes"] and report["internode"]["provenance"] == "simulated", "not a simulated cluster report"
PY
}

edr=$clusters/2x-t180-v100-edr.json
expect 0 "SIMULATED Cluster: 2 node\(s\), 8 rank\(s\)" -- "$rigcheck" run --simulate "$edr" --out "$tmp" --name healthy --quiet
validate "$tmp/healthy.json"
[ -s "$tmp/healthy.md" ] && [ -s "$tmp/healthy.html" ] || fail "run wrote no .md or .html"
grep -q "SIMULATED" "$tmp/healthy.md" || fail "the Markdown is not labelled SIMULATED"
expect 0 "node0: ok" -- "$rigcheck" report "$tmp/healthy.json"
expect 0 "\| node0 \| X \|" -- "$rigcheck" report "$tmp/healthy.json" --format markdown

expect 3 "nic-port-rate-below: mlx5_0 .* port 1 runs at 56 Gb/s" -- "$rigcheck" run --simulate "$edr" --variant cable-at-fdr --out "$tmp" --name fdr --quiet
validate "$tmp/fdr.json"
expect 4 "cluster-node-failed: node1 did not finish" -- "$rigcheck" run --simulate "$edr" --variant node1-dies --out "$tmp" --name dead --quiet
validate "$tmp/dead.json"
# The HDR adapters on the 10x3090 nodes' Gen3 x16 links cannot carry 200 Gb/s: a warning for the
# design, named by node (the Gen4 cards in Gen3 slots are the platform's nature, an info).
expect 3 "node3: mlx5_0: PCIe Gen3 x16 carries 126.031 Gb/s of payload; active ports 200 Gb/s" -- \
  "$rigcheck" run --simulate "$clusters/4x-supermicro-10x3090-hdr.json" --out "$tmp" --name four --quiet
validate "$tmp/four.json"

# Multi-rail (tests/fixtures/clusters/2x-pcie-8gpu-4hca.json): one HDR HCA per GPU pair; the ring
# over every rank uses all four, one channel each; eight one-GPU-per-node groups share them two by two.
rails=$(dirname "$0")/../fixtures/clusters/2x-pcie-8gpu-4hca.json
expect 0 "NIC: mlx5_0 \(ib\) 200 Gb/s, PIX to the GPUs, GPUDirect RDMA; 4 rails with mlx5_1, mlx5_2, mlx5_3" -- \
  "$rigcheck" run --simulate "$rails" --out "$tmp" --name rails --quiet
expect 0 "node0 +node1 +NET/IB/3/GDRDMA \(simulated\) +mlx5_3" -- "$rigcheck" report "$tmp/rails.json"
expect 0 "-> 94.0 GB/s expected busbw" -- "$rigcheck" report "$tmp/rails.json"
expect 0 "allreduce +network +2 x 8 groups +1 GiB +11.74 +11.75" -- "$rigcheck" report "$tmp/rails.json"
validate "$tmp/rails.json" report
expect 3 "nic-port-down: mlx5_2" -- "$rigcheck" run --simulate "$rails" --variant node1-hca-port-down --out "$tmp" --name rails-down --quiet
expect 0 "node1 +node0 +NET/IB/2/GDRDMA \(simulated\) +mlx5_3" -- "$rigcheck" report "$tmp/rails-down.json"
# The expectation is the healthy node's (all four HCAs up): the network scope at half of it.
expect 0 "cluster-network-below-expected: Network bus bandwidth 5.9 GB/s of 11.8 GB/s expected" -- "$rigcheck" report "$tmp/rails-down.json"
# NCCL on sockets: one interface, no rails; judged against the healthy node's four HCAs.
expect 3 "cluster-socket-transport: node0: NCCL uses sockets" -- "$rigcheck" run --simulate "$rails" --variant node0-sockets --out "$tmp" --name rails-sockets --quiet
[ "$(grep -c '"detail": "NET/Socket' "$tmp/rails-sockets.json")" -eq 1 ] || fail "node0 on sockets does not leave through exactly one interface"
expect 0 "allreduce +network +2 x 8 groups +1 GiB +[0-9.]+ +11.75 " -- "$rigcheck" report "$tmp/rails-sockets.json"

# Bad input: one sentence, exit 2.
expect 2 "the cluster has no variant \"nope\"" -- "$rigcheck" run --simulate "$edr" --variant nope --out "$tmp"
printf '{"schema": "rigcheck.cluster/1", "network": {"kind": "infiniband", "rate_gbit": 100}, "nodes": [{"rig": "missing.json"}]}' >"$tmp/bad.json"
expect 2 "missing.json" -- "$rigcheck" run --simulate "$tmp/bad.json" --out "$tmp"
expect 2 "--gpus does not apply to a cluster file" -- "$rigcheck" run --simulate "$edr" --gpus 0,1 --out "$tmp"

[ "$failures" -eq 0 ] && echo "cluster CLI checks passed"
exit $((failures > 0))
