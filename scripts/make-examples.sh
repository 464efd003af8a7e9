#!/usr/bin/env bash
# Regenerates results/examples/: a simulated report (JSON, Markdown, HTML) for every variant of every
# seed rig in results/rigs/, and cluster reports of results/clusters/, so a newcomer can see what a report looks like before running one.
# Every file says SIMULATED. Usage: scripts/make-examples.sh [path/to/rigcheck]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
rigcheck="${1:-${BUILD_DIR:-$root/build}/cli/rigcheck}"
out="$root/results/examples"
mkdir -p "$out"
rm -f "$out"/*.json "$out"/*.md "$out"/*.html
for rig in "$root"/results/rigs/*.json; do
  name=$(basename "$rig" .json)
  for variant in $(python3 -c "import json,sys; print(' '.join(v['name'] for v in json.load(open(sys.argv[1]))['variants']))" "$rig"); do
    # Exit codes 3/4 report findings, which is the point of most variants.
    "$rigcheck" run --simulate "$rig" --variant "$variant" --size 16MiB --out "$out" --name "$name--$variant" --quiet \
      >/dev/null || [ $? -le 4 ]
  done
done
# Cluster reports of the example clusters (results/clusters/): each file's healthy variant and one
# fault; the other variants are checked by the tests (a 4-node report of 10-GPU nodes is megabytes).
for spec in 2x-t180-v100-edr:healthy 2x-t180-v100-edr:no-peermem 2x-asrock-2x3090-100gbe:healthy; do
  cluster=${spec%%:*} variant=${spec#*:}
  "$rigcheck" run --simulate "$root/results/clusters/$cluster.json" --variant "$variant" --size 16MiB --out "$out" \
    --name "cluster-$cluster--$variant" --quiet >/dev/null || [ $? -le 4 ]
done
# The command line records where the files were made; keep it relative so the examples do not
# carry this checkout's path.
python3 - "$out" "$root" <<'PY'
import glob, json, sys
out, root = sys.argv[1], sys.argv[2]
for path in glob.glob(out + "/*.json"):
    r = json.load(open(path))
    r["command_line"] = [a.replace(root + "/", "") for a in r["command_line"]]
    r["command_line"][0] = "rigcheck"
    json.dump(r, open(path, "w"), indent=2)
    open(path, "a").write("\n")
PY
echo "wrote $(ls "$out"/*.json | wc -l) example reports to $out"
