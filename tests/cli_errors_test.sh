#!/usr/bin/env bash
# The user's errors at the command line: bad arguments and bad files each get one line naming the
# problem and exit 2, never "internal error", a crash or a hang; output that cannot be written is a
# failure. Every reproducer of tests/fixtures/bad/ goes through the CLI once.
#   cli_errors_test.sh RIGCHECK FIXTURES RIGS
set -u
rigcheck=$1 fixtures=$2 rigs=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# expect RC PATTERN -- command...: exit code RC within 60 s, output (stdout+stderr) matching PATTERN.
expect() {
  local rc=$1 pattern=$2; shift 3
  local out actual
  out=$(timeout 60 "$@" 2>&1); actual=$?
  [ "$actual" -eq "$rc" ] || fail "exit $actual (wanted $rc): $*"$'\n'"$out"
  grep -Eq -- "$pattern" <<<"$out" || fail "output of '$*' lacks /$pattern/"$'\n'"$out"
  if grep -q "internal error" <<<"$out"; then fail "'$*' calls the user's error internal"$'\n'"$out"; fi
}
refuse() { local pattern=$1; shift; expect 2 "^rigcheck: .*$pattern" -- "$@"; }

x99=$rigs/asrock-x99-ws-e-2x3090-risers.json
xml=$fixtures/hwloc/24em64t-2n6c2t-pci.xml
bad=$fixtures/bad

# Timeouts that are not a positive, finite number of seconds were accepted and then reported as
# critical hangs of the machine.
for t in 0 -1 nan inf 1e309 10x; do
  expect 2 "test-timeout" -- "$rigcheck" run --simulate "$x99" --out "$tmp/runs" --test-timeout "$t" --quiet
  expect 2 "timeout" -- "$rigcheck" bench all --simulate "$x99" --timeout "$t"
done
expect 2 "sizes" -- "$rigcheck" bench allreduce --simulate "$x99" --sizes 1e300:1e301

# --name is a file name inside --out.
mkdir -p "$tmp/runs"
refuse "--name" "$rigcheck" run --simulate "$x99" --out "$tmp/runs" --name ../../escaped --quiet
refuse "--name" "$rigcheck" run --simulate "$x99" --out "$tmp/runs" --name .. --quiet
[ ! -e "$tmp/escaped.json" ] && [ ! -e "$(dirname "$tmp")/escaped.json" ] || fail "--name wrote outside --out"

# --out: created when missing, a symbolic link followed and said so, an impossible one refused.
expect 3 "" -- "$rigcheck" run --simulate "$x99" --out "$tmp/new/dir" --name ok --quiet  # 3: the rig has warnings
[ -f "$tmp/new/dir/ok.json" ] || fail "run did not create --out"
mkdir "$tmp/real" && ln -s "$tmp/real" "$tmp/link"
expect 3 "--out .*link is a symbolic link; the report goes to .*real" -- \
  "$rigcheck" run --simulate "$x99" --out "$tmp/link" --name viaLink --quiet
[ -f "$tmp/real/viaLink.json" ] || fail "the report did not go to the link's target"
refuse "--out: cannot create the directory" "$rigcheck" run --simulate "$x99" --out /proc/rigcheck-cannot --quiet
: >"$tmp/afile"
refuse "--out" "$rigcheck" run --simulate "$x99" --out "$tmp/afile" --quiet

# Output that cannot be written is a failure, not success.
expect 1 "cannot write to standard output" -- bash -c '"$0" report "$1" >/dev/full' "$rigcheck" "$tmp/new/dir/ok.json"
expect 2 "-o/--out applies to --format html and png" -- "$rigcheck" report "$tmp/new/dir/ok.json" --format markdown -o "$tmp/pics"
expect 2 "--out: cannot create the directory" -- "$rigcheck" report "$tmp/new/dir/ok.json" --format html -o /dev/null/pics

# Every reproducer, through the command a user would type.
for d in pcidump-negative-offset-min.txt pcidump-heap-underflow-min.txt pcidump-wild-offset-min.txt \
         pcidump-fuzz-heap-corruption.txt; do
  refuse "is malformed at line" "$rigcheck" topo --xml "$xml" --pci-dump "$bad/$d"
done
refuse "unknown type 2" "$rigcheck" topo --xml "$bad/hwloc-bridge-type-2.xml"
refuse "hwloc-fuzz-asan-crash.xml" "$rigcheck" topo --xml "$bad/hwloc-fuzz-asan-crash.xml"
for t in bb-fabric-nvlink-remote-gpu-oob bb-fabric-numa-package-oob bb-fabric-package-intmax bb-sim-hang-nvlink-1e308; do
  refuse "$t.topo.json" "$rigcheck" bench all --simulate "$bad/$t.topo.json"
done
refuse "expand the rig beyond" "$rigcheck" doctor --from-json "$bad/bb-rig-patch-copy-bomb-16.rig.json"
refuse "invalid PCI id" "$rigcheck" doctor --from-json "$bad/bb-rig-model-huge-hex.rig.json"
refuse "bb-report-median-null.json" "$rigcheck" report "$bad/bb-report-median-null.json"
python3 -c "import json;r=json.load(open('$rigs/dell-t1700-gtx1660.json'));r['deep']=0;s=json.dumps(r);print(s.replace('\"deep\": 0','\"deep\": '+'['*200000+']'*200000))" >"$tmp/deep.json"
refuse "levels deep" "$rigcheck" doctor --from-json "$tmp/deep.json"

# Files that are not files: a FIFO hung every input option, /dev/zero filled the memory.
mkfifo "$tmp/fifo"
refuse "is not a regular file" "$rigcheck" topo --from-json "$tmp/fifo"
refuse "is not a regular file" "$rigcheck" topo --xml "$tmp/fifo"
refuse "is not a regular file" "$rigcheck" topo --xml "$xml" --pci-dump "$tmp/fifo"
refuse "is not a regular file" "$rigcheck" report "$tmp/fifo"
refuse "is not a regular file" "$rigcheck" doctor --from-json /dev/zero

if [ "$failures" -ne 0 ]; then
  echo "$failures check(s) failed"
  exit 1
fi
echo "all CLI error checks passed"
