#!/usr/bin/env bash
# The MPI layer and the cluster run on localhost under OpenMPI's mpirun (no GPU needed): node
# discovery with the fake-node override, gathering, broadcast, timeouts and the abort path, a
# dead rank, and `rigcheck run` across 4 ranks faked as 2 nodes (one cluster report by rank 0,
# the no-GPU message per node, a rank that hangs or dies named in the partial report).
# Usage: mpi_test.sh PROBE RIGCHECK SCHEMAS PYTHON
# Skipped (exit 77) when mpirun is missing; scripts/setup-deps.sh installs it (openmpi-bin).
set -u
probe=$1 rigcheck=$2 schemas=$3 python=$4
if ! command -v mpirun >/dev/null 2>&1; then
  echo "SKIP: mpirun not found (apt-get install openmpi-bin, or scripts/setup-deps.sh)"
  exit 77
fi
# CI runs as root; mpirun refuses root without these. --oversubscribe: 4 ranks on 2 cores.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
mpi=(mpirun --oversubscribe --mca btl self,tcp -np 4)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# expect RC PATTERN -- COMMAND...: the exit status and a line of its output (stdout and stderr).
expect() {
  local want=$1 pattern=$2
  shift 3
  local out rc
  out=$(timeout 120 "$@" 2>&1)
  rc=$?
  if [ "$rc" -ne "$want" ]; then fail "exit $rc (want $want): $*"$'\n'"$out"; return; fi
  if ! grep -qE -- "$pattern" <<<"$out"; then fail "no /$pattern/ in: $*"$'\n'"$out"; fi
  last_out=$out
}

# --- the layer itself
expect 0 "identity ok" -- "${mpi[@]}" "$probe" identity 0,0,0,0
expect 0 "rank 3: node 1/2, local rank 1/2 \(faked\)" -- "${mpi[@]}" -x RIGCHECK_FAKE_NODE_SIZE=2 "$probe" identity 0,0,1,1
expect 0 "rank 2: node 2/4, local rank 0/1" -- "${mpi[@]}" -x RIGCHECK_FAKE_NODE_SIZE=1 "$probe" identity 0,1,2,3
# Per rank, as a wrapper script sets it: ranks 0 and 3 on one node, 1 and 2 on another.
cat >"$tmp/wrap.sh" <<'WRAP'
#!/bin/sh
case "$OMPI_COMM_WORLD_RANK" in 0|3) RIGCHECK_FAKE_NODE=7 ;; *) RIGCHECK_FAKE_NODE=3 ;; esac
export RIGCHECK_FAKE_NODE
exec "$@"
WRAP
chmod +x "$tmp/wrap.sh"
expect 0 "rank 3: node 0/2, local rank 1/2" -- "${mpi[@]}" "$tmp/wrap.sh" "$probe" identity 0,1,1,0
expect 3 "RIGCHECK_FAKE_NODE_SIZE=\"two\" is not a number of ranks per node" -- "${mpi[@]}" -x RIGCHECK_FAKE_NODE_SIZE=two "$probe" identity 0,0,0,0
expect 0 "gather ok: 4 ranks" -- "${mpi[@]}" "$probe" gather
expect 0 "broadcast ok: 4 ranks have the plan" -- "${mpi[@]}" "$probe" broadcast
# A rank that hangs: rank 0 names it after its deadline, runs the abort hooks, and MPI_Abort
# ends every rank (the hung one too) with its code.
start=$(date +%s)
expect 7 "missing: 3 after the deadline" -- "${mpi[@]}" "$probe" timeout 3
grep -q "abort hook ran" <<<"$last_out" || fail "the abort hook did not run: $last_out"
grep -q "dropped hook ran" <<<"$last_out" && fail "a dropped abort hook ran"
[ $(( $(date +%s) - start )) -lt 60 ] || fail "the timeout path took $(( $(date +%s) - start )) s"
# A rank that dies: mpirun ends the whole job unless told not to (README: cluster runs).
expect 7 "missing: 2 after the deadline" -- "${mpi[@]}" --mca orte_abort_on_non_zero_status 0 "$probe" dead 2
expect 5 "rank 0 barrier timed out" -- "${mpi[@]}" "$probe" barrier 2

# --- `rigcheck run` across 4 ranks faked as 2 nodes (this machine has no GPU: each node says so)
validate() {  # validate FILE: the report schema, with every schema of the project for references
  "$python" - "$schemas" "$1" <<'PY' || fail "schema validation of $1"
import glob, json, os, sys, jsonschema
store = {}
for path in glob.glob(os.path.join(sys.argv[1], "*.schema.json")):
    s = json.load(open(path))
    store[s["$id"]] = s
schema = json.load(open(os.path.join(sys.argv[1], "report.schema.json")))
resolver = jsonschema.RefResolver.from_schema(schema, store=store)
jsonschema.Draft202012Validator(schema, resolver=resolver).validate(json.load(open(sys.argv[2])))
PY
}
# check_nodes FILE PYTHON-ASSERTIONS: assertions over the cluster report `r` and its nodes `n`.
check_nodes() {
  "$python" - "$1" "$2" <<'PY' || fail "cluster report $1: $2"
import json, sys
r = json.load(open(sys.argv[1]))
n = r["nodes"]
exec(sys.argv[2])
PY
}
run_rc_ok() { [ "$1" -eq 0 ] || [ "$1" -eq 3 ] || [ "$1" -eq 4 ]; }
cd "$tmp" || exit 1  # a run's default --out is results/: it must not land in the source tree

out=$(timeout 300 "${mpi[@]}" -x RIGCHECK_FAKE_NODE_SIZE=2 "$rigcheck" run --out "$tmp/c1" --name c1 2>&1); rc=$?
run_rc_ok $rc || fail "cluster run: exit $rc"$'\n'"$out"
[ "$(ls "$tmp/c1" | sort | tr '\n' ' ')" = "c1.html c1.json c1.md " ] || fail "rank 0 did not write exactly the cluster report: $(ls "$tmp/c1")"
[ ! -e "$tmp/results" ] || fail "a rank wrote to the default results/"
grep -q "cluster: 4 ranks on 2 node(s) (nodes faked by RIGCHECK_FAKE_NODE)" <<<"$out" || fail "no cluster line: $out"
grep -q "^node0: No measurements: " <<<"$out" || fail "node0's no-GPU message is not in rank 0's summary: $out"
grep -q "^node1: No measurements: " <<<"$out" || fail "node1's no-GPU message is not in rank 0's summary: $out"
grep -q "^Note: nothing was measured between nodes: node0, node1 have no GPU\|^Note: this rigcheck was built without NCCL" <<<"$out" ||
  fail "no reason for the missing inter-node step: $out"
[ "$(grep -c "^node1: topology: " <<<"$out")" -eq 1 ] || fail "node1's local part did not run exactly once (by its leader): $out"
validate "$tmp/c1/c1.json"
check_nodes "$tmp/c1/c1.json" '
assert [x["name"] for x in n] == ["node0", "node1"], n
assert [x["ranks"] for x in n] == [[0, 1], [2, 3]]
for x in n:
    assert x["failure"] == "", x["failure"]
    assert x["report"]["measurement_note"].startswith("No measurements: "), x["report"]["measurement_note"]
'

# One node after the other.
out=$(timeout 300 "${mpi[@]}" -x RIGCHECK_FAKE_NODE_SIZE=2 "$rigcheck" run --nodes-in-turn --out "$tmp/c2" --name c2 2>&1); rc=$?
run_rc_ok $rc || fail "cluster run --nodes-in-turn: exit $rc"$'\n'"$out"
grep -q "one node at a time" <<<"$out" || fail "--nodes-in-turn not in the plan: $out"
first=$(grep -n "^node0: topology: " <<<"$out" | cut -d: -f1); turn=$(grep -n "cluster: node1's local part" <<<"$out" | cut -d: -f1)
[ -n "$first" ] && [ -n "$turn" ] && [ "$first" -lt "$turn" ] || fail "node1 did not wait for node0: $out"
check_nodes "$tmp/c2/c2.json" 'assert len(n) == 2 and all(x["failure"] == "" for x in n)'

# A rank that hangs (rank 3, a member of node1): after --node-timeout rank 0 writes the partial
# report naming it, then MPI_Abort ends the job (exit 1).
start=$(date +%s)
out=$(timeout 300 "${mpi[@]}" -x RIGCHECK_FAKE_NODE_SIZE=2 -x RIGCHECK_TEST_HOOK=hang-rank:3 "$rigcheck" run --node-timeout 20 --out "$tmp/c3" --name c3 2>&1); rc=$?
[ "$rc" -eq 1 ] || fail "a hung rank: exit $rc (want 1)"$'\n'"$out"
[ $(( $(date +%s) - start )) -lt 200 ] || fail "the hung rank took $(( $(date +%s) - start )) s to end"
grep -q "the job is ended with MPI_Abort" <<<"$out" || fail "no abort sentence: $out"
grep -q "^node1: rank 3 (node1) did not answer within 20 s: it hung or died" <<<"$out" || fail "the hung rank is not named: $out"
check_nodes "$tmp/c3/c3.json" '
assert n[0]["failure"] == ""
assert "rank 3 (node1) did not answer within 20 s" in n[1]["failure"], n[1]["failure"]
assert n[1]["report"] is not None and n[1]["report"]["measurement_note"].startswith("No measurements")
'

# A leader that dies (rank 2, node1's): its node has no report, the others' stands.
out=$(timeout 300 "${mpi[@]}" --mca orte_abort_on_non_zero_status 0 -x RIGCHECK_FAKE_NODE_SIZE=2 -x RIGCHECK_TEST_HOOK=die-rank:2 \
      "$rigcheck" run --node-timeout 20 --out "$tmp/c4" --name c4 2>&1); rc=$?
[ "$rc" -eq 1 ] || fail "a dead rank: exit $rc (want 1)"$'\n'"$out"
check_nodes "$tmp/c4/c4.json" '
assert n[0]["failure"] == "" and n[0]["report"] is not None
assert "rank 2 (node1, its leader) did not answer within 20 s: it hung or died, so this node" in n[1]["failure"], n[1]["failure"]
assert n[1]["report"] is None
'
validate "$tmp/c4/c4.json"

# A node whose local part fails: a failure of that node, the run goes on and ends in order.
out=$(timeout 300 "${mpi[@]}" -x RIGCHECK_FAKE_NODE_SIZE=2 -x RIGCHECK_TEST_HOOK=fail-rank:2 "$rigcheck" run --out "$tmp/c5" --name c5 2>&1); rc=$?
run_rc_ok $rc || fail "a failed local part: exit $rc"$'\n'"$out"
check_nodes "$tmp/c5/c5.json" 'assert "rank 2 (node1, its leader): its local part failed: the test hook fail-rank made it fail" in n[1]["failure"], n[1]["failure"]'

# One machine's commands under the launcher stop, in one sentence from rank 0.
expect 2 "rigcheck doctor. runs on one machine" -- "${mpi[@]}" "$rigcheck" doctor
expect 2 "RIGCHECK_FAKE_NODE=\"x\" is not a node number" -- "${mpi[@]}" -x RIGCHECK_FAKE_NODE=x "$rigcheck" run --out "$tmp/c6"

if [ "$failures" -ne 0 ]; then echo "$failures failed"; exit 1; fi
echo "all passed"
