#!/usr/bin/env bash
# The HTML report in a real browser: headless Chromium loads the page of seed-rig reports, its
# DOM has every section, nothing was refused or failed in the console (the page's CSP refuses
# any load from the network, so a load would show here), and a screenshot is not blank.
# Exit 77 (ctest: skipped) when no Chromium is installed; scripts/test.sh installs Debian's.
# Usage: browser_test.sh RIGCHECK EXAMPLES_DIR PYTHON3 [KEEP_DIR]
set -uo pipefail
rigcheck="$1" examples="$2" python="$3" keep="${4:-}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

browser=""
for b in chromium chromium-browser; do
  if command -v "$b" >/dev/null 2>&1; then browser="$(command -v "$b")"; break; fi
done
if [ -z "$browser" ]; then
  echo "SKIPPED: no chromium on PATH (scripts/test.sh installs Debian's chromium package)"
  exit 77
fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
fail=0
width=1280
# A profile and HOME of its own, so that the test neither reads nor writes the user's.
run_browser() { HOME="$tmp" timeout 120 "$browser" --headless --disable-gpu --no-sandbox --no-first-run --user-data-dir="$tmp/profile" \
  --hide-scrollbars --enable-logging=stderr --v=0 "$@"; }

for name in supermicro-4029gp-trt2-10x3090--acs-and-iommu-on gigabyte-t180-g20-4xv100-nvlink--nvlink-link-down \
            asus-crosshair-viii-x570-3090--second-card-in-chipset-slot; do
  page="$tmp/$name.html"
  if ! "$rigcheck" report "$examples/$name.json" --format html >"$page"; then
    echo "FAIL: rigcheck report --format html $name"; fail=1; continue
  fi
  if ! run_browser --dump-dom "file://$page" >"$tmp/$name.dom" 2>"$tmp/$name.log"; then
    echo "FAIL: $browser --dump-dom $name exited with an error"; tail -5 "$tmp/$name.log"; fail=1; continue
  fi
  for id in verdict findings gpus topology heatmaps tests; do
    grep -q "id=\"$id\"" "$tmp/$name.dom" || { echo "FAIL: $name: the browser's DOM has no section $id"; fail=1; }
  done
  grep -q "<svg class=\"topology\"" "$tmp/$name.dom" || { echo "FAIL: $name: no topology picture in the DOM"; fail=1; }
  grep -q "class=\"hm-" "$tmp/$name.dom" || { echo "FAIL: $name: no heatmap cell in the DOM"; fail=1; }
  # Console errors (a script error, a load the CSP refused, a missing resource).
  if grep -E "CONSOLE|Uncaught|Refused to|net::ERR_" "$tmp/$name.log"; then
    echo "FAIL: $name: the browser reported the errors above"; fail=1
  fi
  shot="$tmp/$name.png"
  if ! run_browser --screenshot="$shot" --window-size="$width,1600" "file://$page" >/dev/null 2>"$tmp/$name.shot.log" || [ ! -s "$shot" ]; then
    echo "FAIL: $name: no screenshot"; tail -5 "$tmp/$name.shot.log"; fail=1; continue
  fi
  "$python" "$here/png_check.py" "$shot" "$width" || fail=1
  if [ -n "$keep" ]; then mkdir -p "$keep" && cp "$shot" "$keep/"; fi
done
[ "$fail" -eq 0 ] && echo "browser test: every page loaded, showed every section and a picture"
exit "$fail"
