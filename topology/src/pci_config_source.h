#pragma once
// libpci: raw config space (link registers, ACS, AER), NUMA node, IOMMU group, driver and names,
// from sysfs (live or a fake root) or from an `lspci -xxxx` dump. Internal.

#include <string>

#include "discovery_state.h"

namespace rigcheck::topology::detail {

struct PciConfigInput {
  std::string dump;       // an `lspci -xxxx` file; when empty, sysfs below `sysfs_root`
  std::string sysfs_root; // "" = the live /sys
};

// Merges what libpci reads into the nodes found by hwloc (joined by BDF). A dump that cannot be
// read throws InputError; a live sysfs that cannot be read adds a note instead.
void apply_pci_config(const PciConfigInput& input, DiscoveryState& state);

}  // namespace rigcheck::topology::detail
