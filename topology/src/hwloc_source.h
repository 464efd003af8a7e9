#pragma once
// hwloc: CPU packages, NUMA nodes, the PCI tree and (from XML) NVLink distances. Internal.

#include <string>

#include "discovery_state.h"

namespace rigcheck::topology::detail {

struct HwlocInput {
  std::string xml;     // load this XML instead of the live machine
  std::string fsroot;  // live discovery under this fake root (HWLOC_FSROOT)
};

// Throws InputError when the XML (or fake root) cannot be loaded.
void load_hwloc(const HwlocInput& input, DiscoveryState& state);

}  // namespace rigcheck::topology::detail
