#!/usr/bin/env bash
# End-to-end checks of `rigcheck topo` and `rigcheck bench`: exit codes, the lines a user sees, and JSON that validates
# against the published schema.
#   cli_test.sh RIGCHECK MAKE_FAKE_ROOT FIXTURES SCHEMAS PYTHON
set -u
rigcheck=$1 make_fake_root=$2 fixtures=$3 schemas=$4 python=$5
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# expect RC PATTERN -- command...: exit code RC and output (stdout+stderr) matching PATTERN.
expect() {
  local rc=$1 pattern=$2; shift 3
  local out actual
  out=$("$@" 2>&1); actual=$?
  [ "$actual" -eq "$rc" ] || fail "exit $actual (wanted $rc): $*"$'\n'"$out"
  grep -Eq -- "$pattern" <<<"$out" || fail "output of '$*' lacks /$pattern/"$'\n'"$out"
}

validate() {  # validate FILE [SCHEMA]: JSON Schema check (default: the topology schema)
  "$python" - "$schemas" "${2:-topology}" "$1" <<'PY' || fail "schema validation of $1"
import glob, json, os, sys, jsonschema
# Every schema of the project, so that references between them resolve without a network.
store = {}
for path in glob.glob(os.path.join(sys.argv[1], "*.schema.json")):
    s = json.load(open(path))
    jsonschema.Draft202012Validator.check_schema(s)
    store[s["$id"]] = s
schema = json.load(open(os.path.join(sys.argv[1], sys.argv[2] + ".schema.json")))
resolver = jsonschema.RefResolver.from_schema(schema, store=store)
jsonschema.Draft202012Validator(schema, resolver=resolver).validate(json.load(open(sys.argv[3])))
PY
}

# This machine (CI has no GPU and no driver): one clear line per missing piece, exit 0.
if [ ! -e /proc/driver/nvidia/version ]; then
  expect 0 "no NVIDIA GPU" -- "$rigcheck" topo
  expect 0 "NVML not available" -- "$rigcheck" topo
fi
"$rigcheck" topo --json -o "$tmp/live.json" 2>/dev/null || fail "topo --json on this machine"
validate "$tmp/live.json"

# The DGX-2 fixture: the PIX/PXB/NODE/SYS matrix and the NVLink bundles.
dgx2=$fixtures/hwloc/nvidiaDGX2.xml
expect 0 "GPU15 +SYS +SYS .*NODE +NODE +PXB +PXB +PIX +X" -- "$rigcheck" topo --xml "$dgx2"
expect 0 "GPU0 \(6 links\): nvswitch" -- "$rigcheck" topo --xml "$dgx2"
expect 0 "GPU0 +X +NV6 +NV6" -- "$rigcheck" topo --xml "$dgx2"

# Every fixture gives schema-valid JSON, and --from-json prints what the XML printed.
for xml in "$fixtures"/hwloc/*.xml; do
  name=$(basename "$xml" .xml)
  "$rigcheck" topo --xml "$xml" --json -o "$tmp/$name.json" 2>/dev/null || fail "topo --json --xml $name"
  validate "$tmp/$name.json"
  diff <("$rigcheck" topo --xml "$xml" 2>&1 | tail -n +2) <("$rigcheck" topo --from-json "$tmp/$name.json" 2>&1 | tail -n +2) \
    >/dev/null || fail "--from-json of $name renders differently"
done
expect 0 "no NVIDIA GPU found in the PCI tree of this XML" -- "$rigcheck" topo --xml "$fixtures/hwloc/96em64t-4n4d3ca2co-pci.xml"

# A generated machine: ACS state per bridge, idle and downtrained links, chipset slot.
"$make_fake_root" "$tmp/fake" || fail "make_fake_root"
expect 0 "SwitchDown 0000:02:08.0 .*ACS SV RR CR UF \(redirects P2P\)" -- "$rigcheck" topo --fsroot "$tmp/fake/root"
expect 0 "SwitchDown 0000:02:10.0 .*ACS off" -- "$rigcheck" topo --fsroot "$tmp/fake/root"
expect 0 "GPU0 0000:03:00.0 .*max Gen4 x16, now Gen1 x16" -- "$rigcheck" topo --fsroot "$tmp/fake/root"
expect 0 "RootPort 0000:00:1c.4 .*chipset" -- "$rigcheck" topo --fsroot "$tmp/fake/root"
expect 0 "IOMMU: passthrough +NVIDIA driver: 580.82.07" -- "$rigcheck" topo --fsroot "$tmp/fake/root"
"$rigcheck" topo --fsroot "$tmp/fake/root" --json -o "$tmp/fake.json" 2>/dev/null || fail "topo --json --fsroot"
validate "$tmp/fake.json"
"$make_fake_root" "$tmp/fake64" --non-root || fail "make_fake_root --non-root"
expect 0 "only 64 bytes of PCI config space are readable \(not root\)" -- "$rigcheck" topo --fsroot "$tmp/fake64/root"

# XML + a dump of another machine: said, not silently ignored (XML + matching dump: fake_sysfs_test).
expect 0 "none of the devices in .*lspci.txt is in the topology" -- "$rigcheck" topo --xml "$dgx2" --pci-dump "$tmp/fake/lspci.txt"

# Measurements on the simulated fabric of the fake machine: labelled, schema-valid, exit codes.
"$rigcheck" topo --fsroot "$tmp/fake/root" --json -o "$tmp/rig.json" 2>/dev/null || fail "topo --json for the rig"
expect 0 "^SIMULATED: these numbers come from rigcheck's fabric model" -- "$rigcheck" bench all --simulate "$tmp/rig.json" --size 16MiB
expect 0 "device_to_device_read_ce .*GB/s" -- "$rigcheck" bench device_to_device_read_ce --simulate "$tmp/rig.json"
"$rigcheck" bench all --simulate "$tmp/rig.json" --size 16MiB --json -o "$tmp/bench.json" || fail "bench --json"
validate "$tmp/bench.json" bench
expect 0 '"mode": "simulated"' -- cat "$tmp/bench.json"
expect 0 "host_to_device_ce/gpu1" -- "$rigcheck" bench host_to_device_ce --simulate "$tmp/rig.json" --json --benchmark_filter=gpu1/
expect 0 "host_latency_sm" -- "$rigcheck" bench --list
expect 2 "unknown test \"nope\"" -- "$rigcheck" bench nope --simulate "$tmp/rig.json"
expect 2 "unknown Google Benchmark flag --benchmark_bogus" -- "$rigcheck" bench all --simulate "$tmp/rig.json" --benchmark_bogus=1
expect 2 "there is no GPU9" -- "$rigcheck" bench all --simulate "$tmp/rig.json" --gpus 0,9
printf '{"schema": ' >"$tmp/half.json"
expect 2 "not valid JSON" -- "$rigcheck" bench all --simulate "$tmp/half.json"
if [ ! -e /proc/driver/nvidia/version ]; then
  expect 0 "^No measurement: (no NVIDIA driver is loaded|rigcheck was built without CUDA)" -- "$rigcheck" bench all
  expect 0 "run it on a simulated rig: rigcheck bench all --simulate RIG.json" -- "$rigcheck" bench all
fi

# rigcheck doctor: static checks with exit codes by the worst finding.
expect 4 "\[critical\] acs-redirect: ACS redirects GPU peer-to-peer traffic" -- "$rigcheck" doctor --fsroot "$tmp/fake/root"
expect 4 "sudo setpci -s 0000:02:08.0 ECAP_ACS\+0x6.w=0000" -- "$rigcheck" doctor --fsroot "$tmp/fake/root"
expect 4 "\[warning\] chipset-attached-gpu: GPU3 0000:06:00.0" -- "$rigcheck" doctor --from-json "$tmp/rig.json"
if "$rigcheck" --help 2>&1 | grep -q "^  selftest"; then  # a CUDA build: it cannot run on these Fermi GPUs
  expect 4 "\[info\] gpus-split-across-sockets" -- "$rigcheck" doctor --xml "$fixtures/hwloc/24em64t-2n6c2t-pci.xml"
  expect 4 "Fermi's last was CUDA 8" -- "$rigcheck" doctor --xml "$fixtures/hwloc/24em64t-2n6c2t-pci.xml"
else
  expect 3 "\[info\] gpus-split-across-sockets" -- "$rigcheck" doctor --xml "$fixtures/hwloc/24em64t-2n6c2t-pci.xml"
fi
# Its ConnectX-2 VPI HCA (mlx4_0, class 0c06) sits on its own root port: no GPU within PXB of it.
expect_rc=$("$rigcheck" --help 2>&1 | grep -q "^  selftest" && echo 4 || echo 3)
expect "$expect_rc" "mlx4_0 \(0000:05:00.0, InfiniBand\): nearest GPU is GPU[0-9] at PHB" -- "$rigcheck" doctor --xml "$fixtures/hwloc/24em64t-2n6c2t-pci.xml"
expect 0 "NIC[0-9] mlx4_0 infiniband 0000:05:00.0" -- "$rigcheck" topo --xml "$fixtures/hwloc/24em64t-2n6c2t-pci.xml"
expect 0 "no-gpu" -- "$rigcheck" doctor --xml "$fixtures/hwloc/96em64t-4n4d3ca2co-pci.xml"
"$make_fake_root" "$tmp/small-bar" --one-gpu-small-bar || fail "make_fake_root --one-gpu-small-bar"
expect 3 "\[warning\] small-bar1: GPU0 0000:01:00.0" -- "$rigcheck" doctor --fsroot "$tmp/small-bar/root"
"$rigcheck" doctor --fsroot "$tmp/fake/root" --json >"$tmp/findings.json" 2>/dev/null
expect 0 '"id": "acs-redirect"' -- cat "$tmp/findings.json"
expect 2 "excludes" -- "$rigcheck" doctor --xml "$dgx2" --fsroot "$tmp/fake/root"

# Seed rigs: doctor and simulated runs straight from a rig file and variant.
rigs=$(cd "$fixtures/../../results/rigs" && pwd)
# Started as one rank of several (mpirun, srun) by a build without MPI: rank 0 says why in one
# sentence and exits 2; the other ranks stop silently with 0 (a non-zero rank ending first would
# make mpirun kill rank 0 before it says why), instead of running N copies on the same GPUs.
expect 2 "rank 0 of 4 started by OpenMPI mpirun" -- env OMPI_COMM_WORLD_RANK=0 OMPI_COMM_WORLD_SIZE=4 "$rigcheck" doctor --from-json "$rigs/dell-t1700-gtx1660.json"
out=$(env SLURM_PROCID=1 SLURM_NTASKS=2 "$rigcheck" run --simulate "$rigs/dell-t1700-gtx1660.json" --out "$tmp/ranks" 2>&1); rc=$?
[ "$rc" -eq 0 ] && [ -z "$out" ] && [ ! -e "$tmp/ranks" ] || fail "rank 1 of 2 did not stop silently (exit $rc): $out"
expect 0 "Verdict" -- env OMPI_COMM_WORLD_RANK=0 OMPI_COMM_WORLD_SIZE=4 "$rigcheck" report "$rigs/../examples/dell-t1700-gtx1660--healthy.json"

expect 0 "^SIMULATED" -- "$rigcheck" bench host_to_device_ce --simulate "$rigs/asrock-x99-ws-e-2x3090-risers.json" --variant riser-gen1
expect 0 "\[critical\] link-downtrained-under-load" -- "$rigcheck" bench host_to_device_ce --simulate "$rigs/asrock-x99-ws-e-2x3090-risers.json" --variant riser-gen1
expect 4 "\[critical\] driver-545-geforce-p2p" -- "$rigcheck" doctor --from-json "$rigs/supermicro-4029gp-trt2-10x3090.json" --variant driver-545
expect 0 "No findings" -- "$rigcheck" doctor --from-json "$rigs/dell-t1700-gtx1660.json"
expect 2 "has no variant \"nope\" \(it has: healthy, chipset-slot\)" -- "$rigcheck" doctor --from-json "$rigs/dell-t1700-gtx1660.json" --variant nope
expect 2 "--variant applies to rig files" -- "$rigcheck" bench all --simulate "$tmp/rig.json" --variant x

# rigcheck run on simulated rigs: the report (schema-valid JSON + Markdown), exit codes, compare.
expect 0 "^Report: $tmp/runs/healthy.json" -- "$rigcheck" run --simulate "$rigs/dell-t1700-gtx1660.json" --out "$tmp/runs" --name healthy --quiet
validate "$tmp/runs/healthy.json" report
expect 0 '"status": "complete"' -- cat "$tmp/runs/healthy.json"
expect 0 '"hostname": null' -- cat "$tmp/runs/healthy.json"
expect 4 "\[critical\] link-downtrained-under-load" -- "$rigcheck" run --simulate "$rigs/asrock-x99-ws-e-2x3090-risers.json" --variant riser-gen1 --out "$tmp/runs" --name riser --quiet
validate "$tmp/runs/riser.json" report
"$rigcheck" run --simulate "$rigs/asrock-x99-ws-e-2x3090-risers.json" --out "$tmp/runs" --name x99 --quiet >/dev/null 2>&1
for heading in "^# rigcheck report: ASRock X99 WS-E" "^> \*\*SIMULATED\*\*" "^## Findings" "^## GPUs" "^## Measurements" \
               "^\| GPU \| PCI address \| model \| link max \(now\) \| host path GB/s \| NUMA \|" \
               "^\| cell \| median \| % of expected \| verdict \| samples \|" "^<details><summary>host_to_device_ce \(GB/s\)</summary>"; do
  expect 0 "$heading" -- cat "$tmp/runs/x99.md"
done
# The run's HTML page, and report --format html / png: where the files go, the paths printed.
expect 0 '<section id="heatmaps">' -- cat "$tmp/runs/x99.html"
expect 0 '^<!DOCTYPE html>' -- "$rigcheck" report "$tmp/runs/riser.json" --format html
expect 0 "^$tmp/pictures/riser.html\$" -- "$rigcheck" report "$tmp/runs/riser.json" --format html -o "$tmp/pictures"
expect 0 "^$tmp/runs/riser-device_to_device_write_ce.png\$" -- "$rigcheck" report "$tmp/runs/riser.json" --format png
expect 0 "^$tmp/pictures/riser-device_to_device_latency_sm.png\$" -- "$rigcheck" report "$tmp/runs/riser.json" --format png -o "$tmp/pictures"
head -c 8 "$tmp/pictures/riser-device_to_device_latency_sm.png" | od -c | grep -q 'P   N   G' || fail "report --format png did not write a PNG"
expect 2 "has no GPU-pair or node-pair test, so there is no heatmap to draw" -- "$rigcheck" report "$tmp/runs/healthy.json" --format png
expect 0 "Verdict: critical" -- "$rigcheck" report "$tmp/runs/riser.json"
expect 0 "^# rigcheck report" -- "$rigcheck" report "$tmp/runs/riser.json" --format markdown
expect 0 "host_to_device_ce/gpu1: +[0-9.]+ +[0-9.]+ +\(-[0-9]+%\) +verdict ok / below_expectation" -- "$rigcheck" compare "$tmp/runs/x99.json" "$tmp/runs/riser.json"
expect 0 "new in riser: link-downtrained-under-load" -- "$rigcheck" compare "$tmp/runs/x99.json" "$tmp/runs/riser.json"
expect 0 "^\| cell \| x99 \| riser \| change \| verdicts \|" -- "$rigcheck" compare --markdown "$tmp/runs/x99.json" "$tmp/runs/riser.json"
if [ ! -e /proc/driver/nvidia/version ]; then
  expect 0 "No measurements: (no NVIDIA driver is loaded|rigcheck was built without CUDA)" -- "$rigcheck" run --out "$tmp/runs" --name live --quiet
  validate "$tmp/runs/live.json" report
fi

# A hung or crashing test costs that test only (RIGCHECK_TEST_HOOK makes its worker hang or crash).
RIGCHECK_TEST_HOOK=hang:device_to_device_write_ce expect 4 "\[critical\] test-hang: The device_to_device_write_ce test hung" -- \
  "$rigcheck" run --simulate "$rigs/asrock-x99-ws-e-2x3090-risers.json" --out "$tmp/runs" --name hang --test-timeout 2 --quiet
expect 0 '"status": "hang"' -- cat "$tmp/runs/hang.json"
expect 0 '"name": "device_to_device_bidir_ce"' -- cat "$tmp/runs/hang.json"
validate "$tmp/runs/hang.json" report
RIGCHECK_TEST_HOOK=crash:host_to_device_ce expect 4 "test-crash: The host_to_device_ce test failed" -- \
  "$rigcheck" run --simulate "$rigs/asrock-x99-ws-e-2x3090-risers.json" --out "$tmp/runs" --name crash --quiet
expect 0 "crashed with signal 11" -- cat "$tmp/runs/crash.json"

# start_hung_run NAME: a run in the background whose 4th test hangs; returns once the first three
# are in the report (the PID is in $runner).
start_hung_run() {
  RIGCHECK_TEST_HOOK=hang:device_to_device_write_ce "$rigcheck" run --simulate "$rigs/asrock-x99-ws-e-2x3090-risers.json" \
    --out "$tmp/runs" --name "$1" --test-timeout 60 --quiet >/dev/null 2>&1 &
  runner=$!
  for _ in $(seq 1 100); do
    grep -q '"name": "host_latency_sm"' "$tmp/runs/$1.json" 2>/dev/null && break
    sleep 0.1
  done
}

# A run killed mid-way leaves a valid partial report.
start_hung_run killed
kill -9 "$runner" 2>/dev/null
wait "$runner" 2>/dev/null
pkill -9 -f "name killed" 2>/dev/null
validate "$tmp/runs/killed.json" report
expect 0 '"status": "partial"' -- cat "$tmp/runs/killed.json"

# Ctrl-C: the worker is stopped at once, the report says partial and blames nothing on the machine.
start_hung_run interrupted
sleep 0.3
kill -INT "$runner"
wait "$runner"
[ $? -eq 1 ] || fail "an interrupted run should exit 1"
validate "$tmp/runs/interrupted.json" report
expect 0 '"status": "partial"' -- cat "$tmp/runs/interrupted.json"
expect 0 '"measurement_note": "interrupted during device_to_device_write_ce' -- cat "$tmp/runs/interrupted.json"
if grep -q '"test-hang"\|"test-crash"' "$tmp/runs/interrupted.json"; then fail "an interrupted test was reported as a fault"; fi

printf '{"schema": "rigcheck.topology/1"}' >"$tmp/not-a-report.json"
expect 2 "not-a-report.json has schema \"rigcheck.topology/1\", not \"rigcheck.report/1\"" -- "$rigcheck" report "$tmp/not-a-report.json"
expect 2 "is not valid JSON" -- "$rigcheck" compare "$tmp/runs/x99.json" "$tmp/half.json"
expect 2 "compare: ?|Expected at least 2|files" -- "$rigcheck" compare "$tmp/runs/x99.json"

# The committed example reports: schema-valid and labelled simulated (scripts/make-examples.sh).
for example in "$rigs"/../examples/*.json; do
  validate "$example" report
  grep -q '"mode": "simulated"' "$example" || fail "$example is not marked simulated"
  grep -q '^> \*\*SIMULATED\*\*' "${example%.json}.md" || fail "${example%.json}.md is not marked simulated"
done

# NCCL collectives on the simulated ring model: nccl-tests-like table, transports, control arm.
x99="$rigs/asrock-x99-ws-e-2x3090-risers.json"
expect 0 "^SIMULATED: collective figures come from rigcheck's ring model" -- "$rigcheck" bench allreduce --simulate "$x99" --sizes 1MiB:8MiB
expect 0 "^allreduce +1048576 +262144 +float +out" -- "$rigcheck" bench allreduce --simulate "$x99" --sizes 1MiB:8MiB
expect 0 "Transports NCCL chose: SHM x2" -- "$rigcheck" bench allreduce --simulate "$x99" --sizes 1MiB:8MiB
expect 0 "process model per-gpu" -- "$rigcheck" bench allreduce allgather --simulate "$x99" --sizes 1MiB --procs both
expect 0 "Verdict allreduce: slower than the control" -- "$rigcheck" bench allreduce --simulate "$rigs/supermicro-4029gp-trt2-10x3090.json" --variant acs-and-iommu-on --sizes 64MiB
expect 0 '"process_model": "single"' -- "$rigcheck" bench reducescatter --simulate "$x99" --sizes 1MiB --json
expect 2 "is not a range such as 8B:1GiB" -- "$rigcheck" bench allreduce --simulate "$x99" --sizes big
expect 2 "separate rigcheck bench calls" -- "$rigcheck" bench allreduce host_to_device_ce --simulate "$x99"
if [ ! -e /proc/driver/nvidia/version ]; then
  expect 0 "^No measurement: no NVIDIA GPU" -- "$rigcheck" bench allreduce
fi

# Bad input: one line naming the problem, exit 2, no crash.
printf '<?xml version="1.0"?>\n<topology version="2.0"><object type="Machine"' >"$tmp/broken.xml"
expect 2 "^rigcheck: hwloc cannot load the XML topology" -- "$rigcheck" topo --xml "$tmp/broken.xml"
# hwloc's libxml2 importer crashes on this file, its minimal parser refuses it: either way one line.
expect 2 "^rigcheck: hwloc (crashed|cannot load) .*hwloc-2.9-crash.xml" -- "$rigcheck" topo --xml "$fixtures/bad/hwloc-2.9-crash.xml"
printf 'not xml at all\n' >"$tmp/text.xml"
expect 2 "^rigcheck: hwloc cannot" -- "$rigcheck" topo --xml "$tmp/text.xml"
printf '{"schema": "rigcheck.topology/1", "pci": 3' >"$tmp/broken.json"
expect 2 "^rigcheck: .*broken.json: the file is not valid JSON" -- "$rigcheck" topo --from-json "$tmp/broken.json"
printf '{"schema": "rigcheck.report/1"}' >"$tmp/foreign.json"
expect 2 "unsupported schema" -- "$rigcheck" topo --from-json "$tmp/foreign.json"
printf '0000:34:00.0 GPU\n00: zz zz\n' >"$tmp/bad-dump.txt"
expect 2 "^rigcheck: the PCI dump .*bad-dump.txt is malformed at line 2" -- "$rigcheck" topo --xml "$dgx2" --pci-dump "$tmp/bad-dump.txt"
expect 2 "does not exist|not exist" -- "$rigcheck" topo --xml "$tmp/missing.xml"
expect 2 "excludes" -- "$rigcheck" topo --xml "$dgx2" --fsroot "$tmp/fake/root"
expect 2 "A subcommand is required|subcommand" -- "$rigcheck"
expect 0 "Exit codes: 0 success" -- "$rigcheck" --help

if [ "$failures" -ne 0 ]; then
  echo "$failures check(s) failed"
  exit 1
fi
echo "all CLI checks passed"
