#!/usr/bin/env bash
# A report is posted publicly: planted identifying values in the environment and on the command
# line do not reach it, unless --no-redact.
#   cli_privacy_test.sh RIGCHECK RIGS
set -u
rigcheck=$1 rigs=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

uuid=1b2c3d4e-5f60-4718-8a9b-0c1d2e3f4a5b
mkdir -p "$tmp/home/planteduser/rigs"
cp "$rigs/asrock-x99-ws-e-2x3090-risers.json" "$tmp/home/planteduser/rigs/x99.json"
planted() {
  env CUDA_VISIBLE_DEVICES="GPU-$uuid" NCCL_COMM_ID=10.11.12.13:29500 NCCL_SOCKET_IFNAME=enp65s0f0 \
    NCCL_DEBUG_FILE="$tmp/home/planteduser/nccl.log" HOME="$tmp/home/planteduser" \
    "$rigcheck" run --simulate "$tmp/home/planteduser/rigs/x99.json" --out "$tmp/out" --quiet "$@" >/dev/null 2>&1
}
planted --name redacted
for f in "$tmp/out/redacted.json" "$tmp/out/redacted.md"; do
  [ -f "$f" ] || { fail "no report $f"; continue; }
  for secret in "$uuid" 10.11.12.13 enp65s0f0 planteduser "$tmp"; do
    if grep -q -- "$secret" "$f"; then fail "$(basename "$f") holds the planted $secret"; fi
  done
done
grep -q '"CUDA_VISIBLE_DEVICES": "GPU-<uuid>"' "$tmp/out/redacted.json" || fail "the redacted variable is not kept as GPU-<uuid>"
grep -q '"hostname": null' "$tmp/out/redacted.json" || fail "the hostname is in the report"

planted --name verbatim --no-redact
grep -q "GPU-$uuid" "$tmp/out/verbatim.json" || fail "--no-redact did not keep the UUID"
grep -q "10.11.12.13:29500" "$tmp/out/verbatim.json" || fail "--no-redact did not keep NCCL_COMM_ID"
grep -q '"hostname": null' "$tmp/out/verbatim.json" && fail "--no-redact did not keep the hostname"

# Names from the machine or a file are escaped: no escape sequence reaches the terminal, and in
# Markdown no name ends a table cell, closes a <details> block or brings HTML.
python3 - "$tmp/out/redacted.json" "$tmp/evil.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
evil = "Evil | </details><script>alert(1)</script>\x1b]0;owned\x07\x1b[2J\u009b31m"
r["topology"]["machine"] = evil
r["topology"]["gpus"][0]["name"] = evil
json.dump(r, open(sys.argv[2], "w"))
PY
"$rigcheck" report "$tmp/evil.json" >"$tmp/evil.txt" 2>&1 || fail "report of the planted names failed"
"$rigcheck" report "$tmp/evil.json" --format markdown >"$tmp/evil.md" 2>&1 || fail "markdown report of the planted names failed"
python3 -c "import json;json.dump(json.load(open('$tmp/evil.json'))['topology'], open('$tmp/evil-topo.json', 'w'))"
"$rigcheck" topo --from-json "$tmp/evil-topo.json" >"$tmp/evil-topo.txt" 2>&1 || fail "topo of the planted names failed"
for f in "$tmp/evil.txt" "$tmp/evil.md" "$tmp/evil-topo.txt"; do
  if LC_ALL=C grep -q $'\x1b\|\x07\|\xc2\x9b' "$f"; then fail "$(basename "$f") passes control characters to the terminal"; fi
done
grep -q "Evil" "$tmp/evil.txt" || fail "the planted name is not shown at all"
if grep -q "</details><script\|<script>" "$tmp/evil.md"; then fail "the Markdown report passes HTML from a name"; fi
grep -q 'Evil \\| &lt;/details&gt;' "$tmp/evil.md" || fail "the Markdown report does not escape | and <"
"$rigcheck" report "$tmp/evil.json" --format html >"$tmp/evil.html" 2>&1 || fail "HTML report of the planted names failed"
if grep -q "<script" "$tmp/evil.html"; then fail "the HTML report passes HTML from a name"; fi
if LC_ALL=C grep -q $'\x1b\|\x07\|\xc2\x9b' "$tmp/evil.html"; then fail "the HTML report passes control characters"; fi
grep -q 'Evil | &lt;/details&gt;&lt;script&gt;' "$tmp/evil.html" || fail "the HTML report does not escape <"

if [ "$failures" -ne 0 ]; then
  echo "$failures check(s) failed"
  exit 1
fi
echo "all privacy checks passed"
