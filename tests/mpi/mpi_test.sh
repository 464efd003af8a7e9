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

if [ "$failures" -ne 0 ]; then echo "$failures failed"; exit 1; fi
echo "all passed"
