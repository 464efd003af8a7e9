#!/usr/bin/env bash
# Runs the README's two commands (`scripts/run.sh run`, `scripts/test.sh`) on a fresh clone in a
# clean Debian bookworm chroot, twice: once with the host's CUDA toolkit bind-mounted read-only at
# /usr/local/cuda, once without it. A dependency that only this developer's machine happens to
# have (libhwloc-plugins once) fails here. Run it before resolving anything that adds a dependency.
#
#   sudo scripts/fresh-machine-check.sh [WORKDIR]     # default WORKDIR: /var/tmp/rigcheck-fresh
#
# Needs root and debootstrap (apt-get install debootstrap) and network access to a Debian mirror
# (MIRROR overrides deb.debian.org). It changes nothing outside WORKDIR: the chroots live there and
# every mount it makes is undone on exit. PASSES="cuda nocuda" selects passes; CPUS="0,1" the CPUs
# the builds may use (taskset, so nproc and the build's -j follow).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="${1:-/var/tmp/rigcheck-fresh}"
mirror="${MIRROR:-http://deb.debian.org/debian}"
passes="${PASSES-cuda nocuda}"  # PASSES="" only makes the base system
cpus="${CPUS:-0,1}"

die() { echo "fresh-machine-check: $*" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || die "must run as root (debootstrap and chroot need it)"
command -v debootstrap >/dev/null || die "debootstrap is not installed (apt-get install debootstrap)"

mounted=()
cleanup() {
  local i
  for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do umount -l "${mounted[$i]}" 2>/dev/null || true; done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The pristine system is made once and copied for each pass, so every pass starts from the same
# freshly installed machine and a second run of this script skips the download.
base="$work/base"
if [ ! -f "$base/.complete" ]; then
  rm -rf "$base"
  mkdir -p "$work"
  echo "fresh-machine-check: debootstrap bookworm into $base (from $mirror)"
  debootstrap --variant=minbase bookworm "$base" "$mirror" >"$work/debootstrap.log" 2>&1 \
    || { tail -20 "$work/debootstrap.log" >&2; die "debootstrap failed (log: $work/debootstrap.log)"; }
  touch "$base/.complete"
fi

bind() {  # bind SRC DST [ro]
  mkdir -p "$2"
  mount --bind "$1" "$2"
  mounted+=("$2")
  if [ "${3:-}" = ro ]; then mount -o remount,bind,ro "$2"; fi
}

run_pass() {
  local pass="$1" dir="$work/$1"
  echo "fresh-machine-check: pass $pass in $dir"
  # A run that was killed hard may have left its mounts: never delete through a bind mount of /dev.
  if grep -q " $dir/" /proc/mounts; then die "$dir still has mounts from an earlier run; umount them first"; fi
  rm -rf --one-file-system "$dir"
  cp -a "$base" "$dir"
  # A fresh clone: committed files only, nothing built.
  git clone -q --no-hardlinks "$root" "$dir/src"
  cp /etc/resolv.conf "$dir/etc/resolv.conf"
  mount -t proc proc "$dir/proc" && mounted+=("$dir/proc")
  bind /sys "$dir/sys" ro
  bind /dev "$dir/dev"
  if [ "$pass" = cuda ]; then
    [ -d /usr/local/cuda ] || die "pass cuda: /usr/local/cuda does not exist on this machine"
    bind "$(readlink -f /usr/local/cuda)" "$dir/usr/local/cuda" ro
  fi
  local log="$work/$pass.log" rc=0
  # rigcheck run's exit code says what it found on this machine (3, 4: findings), not whether it
  # ran; anything else, or a failing test, fails the pass.
  taskset -c "$cpus" chroot "$dir" /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    HOME=/root LANG=C.UTF-8 bash -c '
      set -u
      cd /src
      scripts/run.sh run; rc=$?
      case $rc in 0|3|4) ;; *) echo "scripts/run.sh run exited $rc"; exit 1 ;; esac
      scripts/test.sh || { echo "scripts/test.sh failed"; exit 1; }
    ' >"$log" 2>&1 || rc=$?
  cleanup
  mounted=()
  if [ "$rc" -ne 0 ]; then
    tail -40 "$log" >&2
    die "pass $pass failed (log: $log)"
  fi
  echo "fresh-machine-check: pass $pass ok ($(grep -Eo '[0-9]+% tests passed.*' "$log" | tail -1))"
}

for p in $passes; do
  case "$p" in cuda | nocuda) run_pass "$p" ;; *) die "unknown pass $p (cuda, nocuda)" ;; esac
done
echo "fresh-machine-check: all passes ok"
