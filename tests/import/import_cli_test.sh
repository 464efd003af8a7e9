#!/usr/bin/env bash
# rigcheck import on the command line: exit codes as for doctor, one line for a file of no
# known format, stdin, -o, schema-valid JSON, sha256 of each input, IMPORTED labels.
set -u
rigcheck=$1 fixtures=$2 schemas=$3 python=$4
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }

expect_rc() {  # expect_rc RC COMMAND...: runs it, output in $tmp/out and $tmp/err
  local want=$1; shift
  "$@" >"$tmp/out" 2>"$tmp/err"
  local rc=$?
  [ "$rc" = "$want" ] || fail "$* exited $rc, not $want: $(head -c 300 "$tmp/err")"
}

expect_rc 4 "$rigcheck" import "$fixtures/nvbandwidth-v0.7-8xa100-pattern-failure.txt"
grep -q "p2p-data-corruption" "$tmp/out" || fail "pattern failure not reported"
expect_rc 3 "$rigcheck" import "$fixtures/autodl-2x2080ti-forum-post.md"
# Healthy figures of one A100 on driver 560.35.05: the 560 row (an unconfirmed NCCL P2P hang,
# dmlc/xgboost#11242) asks for two GPUs and is info, so a healthy paste exits 0.
expect_rc 0 "$rigcheck" import "$fixtures/nvbandwidth-v0.8-a100-h2d-sm.txt"
grep -q "driver-560-nccl-p2p-hang" "$tmp/out" && fail "the 560 row judged a one-GPU paste"
head -1 "$tmp/out" | grep -q "^IMPORTED:" || fail "text report does not start with IMPORTED"
# The paste's driver is checked against the known issues: six A6000s on 560.35.05 meet the 560
# row, an info finding, and still exit 0.
sed 's/^Driver Version: 580.95.05/Driver Version: 560.35.05/' "$fixtures/nvbandwidth-v0.8-6xa6000-d2d-read-elided.txt" >"$tmp/a6000-560.txt"
expect_rc 0 "$rigcheck" import "$tmp/a6000-560.txt"
grep -q "driver-560-nccl-p2p-hang" "$tmp/out" || fail "the paste's driver was not checked against the known issues"

# Several files, and stdin with -.
expect_rc 3 "$rigcheck" import "$fixtures/smi-topo-current-2x5090-phb-p2p-gns.md" - \
  <"$fixtures/nvbandwidth-v0.8-a100-h2d-sm.txt"
grep -q "  - (sha256 " "$tmp/out" || fail "stdin not listed as an input"

# A file of no known format: one line, exit 2.
printf 'My GPUs are slow.\nAny idea?\n' >"$tmp/prose.txt"
expect_rc 2 "$rigcheck" import "$tmp/prose.txt"
[ "$(wc -l <"$tmp/err")" = 1 ] || fail "no-known-format message is not one line: $(cat "$tmp/err")"
grep -q "prose.txt: no output of a known tool" "$tmp/err" || fail "no-known-format message: $(cat "$tmp/err")"
expect_rc 2 "$rigcheck" import "$tmp/missing.txt"
expect_rc 2 "$rigcheck" import

# JSON: schema-valid, sha256 of the input as sha256sum computes it.
for f in "$fixtures"/*.txt "$fixtures"/*.md; do
  [ "$(basename "$f")" = SOURCES.md ] && continue
  "$rigcheck" import "$f" --format json >"$tmp/r.json" 2>"$tmp/err"
  rc=$?
  case $rc in 0|3|4) ;; *) fail "import $f exited $rc: $(cat "$tmp/err")" ;; esac
  "$python" - "$schemas" "$tmp/r.json" "$f" <<'PY' || fail "schema or sha256 of the report of $f"
import glob, hashlib, json, os, sys, jsonschema
store = {}
for path in glob.glob(os.path.join(sys.argv[1], "*.schema.json")):
    s = json.load(open(path))
    jsonschema.Draft202012Validator.check_schema(s)
    store[s["$id"]] = s
schema = json.load(open(os.path.join(sys.argv[1], "report.schema.json")))
report = json.load(open(sys.argv[2]))
jsonschema.Draft202012Validator(schema, resolver=jsonschema.RefResolver.from_schema(schema, store=store)).validate(report)
assert report["mode"] == "imported"
assert report["inputs"][0]["sha256"] == hashlib.sha256(open(sys.argv[3], "rb").read()).hexdigest()
PY
done

# -o writes the report; markdown and compare label it.
expect_rc 3 "$rigcheck" import "$fixtures/nvbandwidth-v0.2-8x4090-cut.txt" -o "$tmp/a.json" --format markdown
grep -q '> \*\*IMPORTED\*\*' "$tmp/out" || fail "markdown without the IMPORTED banner"
# (clean runs: exit 0; the H800 one is judged against Gen5 since the H800 is in the model table,
# and its host copies both ways against Hopper's published duplex share)
expect_rc 0 "$rigcheck" import "$fixtures/nvbandwidth-v0.8-6xa6000-d2d-read-elided.txt" -o "$tmp/b.json"
expect_rc 0 "$rigcheck" import "$fixtures/nvbandwidth-v0.2-8xh800.txt" -o "$tmp/h800.json"
expect_rc 0 "$rigcheck" compare "$tmp/a.json" "$tmp/b.json"
grep -q "(IMPORTED) vs" "$tmp/out" || fail "compare does not label imported reports: $(head -2 "$tmp/out")"
# An imported report next to a simulated one (the committed examples).
example=$(ls "$fixtures"/../../../results/examples/*healthy.json 2>/dev/null | head -1)
if [ -n "$example" ]; then
  expect_rc 0 "$rigcheck" compare "$tmp/b.json" "$example"
  grep -q "(IMPORTED) vs .*(SIMULATED)" "$tmp/out" || fail "compare imported vs simulated: $(head -2 "$tmp/out")"
else
  fail "no example report to compare with"
fi
expect_rc 0 "$rigcheck" report "$tmp/b.json"
head -1 "$tmp/out" | grep -q "^IMPORTED:" || fail "rigcheck report of an imported report is not labelled"

[ "$failures" = 0 ] || { echo "$failures failure(s)" >&2; exit 1; }
echo "import CLI checks passed"
