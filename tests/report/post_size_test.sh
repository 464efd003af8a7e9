#!/usr/bin/env bash
# The Markdown report is meant to be pasted into a forum post: it must fit where people post it,
# with every finding and every matrix. Discourse forums take 32,000 characters per post by default,
# a GitHub comment 65,536. Every seed rig and variant (up to 10 GPUs) must fit in 32,000; a
# generated 16-GPU rig (make_wide_rig.py) in 65,536, and so must compare of a rig's variants; a report that holds back anything must
# say to attach the JSON.
#   post_size_test.sh RIGCHECK RIGS_DIR PYTHON
set -u
rigcheck=$1 rigs=$2 python=$3
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0 checked=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# check RIG VARIANT LIMIT
check() {
  local rig=$1 variant=$2 limit=$3 name
  name="$(basename "$rig" .json)--$variant"
  "$rigcheck" run --simulate "$rig" --variant "$variant" --out "$tmp" --name "$name" --quiet >/dev/null 2>&1
  [ -s "$tmp/$name.md" ] || { fail "$name: no Markdown report"; return; }
  local size findings_json findings_md
  size=$("$python" -c 'import sys; print(len(open(sys.argv[1], encoding="utf-8").read()))' "$tmp/$name.md")
  checked=$((checked + 1))
  [ "$size" -le "$limit" ] || fail "$name: the Markdown has $size characters, more than $limit"
  # Every finding of the JSON is in the Markdown, and every pairwise test has its matrix.
  "$python" - "$tmp/$name.json" "$tmp/$name.md" <<'PY' || fail "$name: the Markdown lacks a finding or a matrix"
import json, sys
r = json.load(open(sys.argv[1])); md = open(sys.argv[2], encoding="utf-8").read()
missing = [f["id"] for f in r["findings"] if "] %s: " % f["id"] not in md]
pairwise = {c["test"] for c in r["measurements"] if c["src"].get("kind") == "gpu" and c["dst"].get("kind") == "gpu"
            and c["src"].get("gpu") != c["dst"].get("gpu")}
missing += ["matrix " + t for t in sorted(pairwise) if "**%s** (" % t not in md]
if "attach the JSON" not in md: missing.append("the note to attach the JSON")
if missing: print("missing:", ", ".join(missing)); sys.exit(1)
PY
  echo "$name: $size characters (limit $limit)"
}

for rig in "$rigs"/*.json; do
  for variant in $("$python" -c 'import json, sys; print(" ".join(v["name"] for v in json.load(open(sys.argv[1]))["variants"]))' "$rig"); do
    check "$rig" "$variant" 32000
  done
done
"$python" "$here/make_wide_rig.py" "$rigs/supermicro-4029gp-trt2-10x3090.json" "$tmp/generated-16x3090.json"
for variant in healthy acs-and-iommu-on driver-545; do check "$tmp/generated-16x3090.json" "$variant" 65536; done

# compare of a machine's variants (healthy vs ACS and IOMMU on vs driver 545) fits the same limits.
compare_fits() {
  local limit=$1 name=$2; shift 2
  "$rigcheck" compare --markdown "$@" >"$tmp/$name.md" 2>&1 || { fail "$name: compare failed"; return; }
  local size
  size=$("$python" -c 'import sys; print(len(open(sys.argv[1], encoding="utf-8").read()))' "$tmp/$name.md")
  checked=$((checked + 1))
  [ "$size" -le "$limit" ] || fail "$name: the compare Markdown has $size characters, more than $limit"
  grep -q "^\*\*device_to_device_write_ce: " "$tmp/$name.md" || fail "$name: no delta matrix"
  echo "$name: $size characters (limit $limit)"
}
compare_fits 32000 compare-10 "$tmp"/supermicro-4029gp-trt2-10x3090--{healthy,acs-and-iommu-on,driver-545}.json
compare_fits 65536 compare-16 "$tmp"/generated-16x3090--{healthy,acs-and-iommu-on,driver-545}.json

[ "$checked" -ge 20 ] || fail "only $checked reports were checked"
[ "$failures" -eq 0 ] && echo "$checked reports fit" && exit 0
exit 1
