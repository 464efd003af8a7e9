#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages rigcheck builds against. Idempotent: installs only what is
# missing, so a second run is quick and touches nothing. Uses sudo when not run as root.
# The CUDA toolkit (nvcc, cudart, NCCL) is not a Debian package: install it from NVIDIA; without it
# rigcheck still builds, with RIGCHECK_CUDA=OFF.
set -euo pipefail

packages=(
  build-essential cmake pkg-config git
  libhwloc-dev hwloc          # topology discovery (hwloc 2.x) and lstopo for debugging
  libhwloc-plugins            # what a normal install of hwloc brings (its libxml2 XML importer);
                              # --no-install-recommends below would leave it out
  libpci-dev pciutils pci.ids # PCI config space (ACS, link registers) and device names
  libcli11-dev nlohmann-json3-dev
  libcairo2-dev               # draws and encodes the heatmap PNGs of `rigcheck report --format png`
  libopenmpi-dev openmpi-bin  # cluster runs across nodes (RIGCHECK_MPI; mpirun for them and their tests)
  libgtest-dev libgmock-dev libbenchmark-dev
  python3 python3-jsonschema  # JSON Schema validation in the tests
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup-deps: all ${#packages[@]} packages present"
  exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
  SUDO=()
elif command -v sudo >/dev/null 2>&1; then
  SUDO=(sudo)
else
  echo "setup-deps: missing packages (${missing[*]}) and neither root nor sudo is available" >&2
  exit 1
fi

echo "setup-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -qq
"${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
