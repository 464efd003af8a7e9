#pragma once
// NVML, loaded with dlopen (no header or library is needed at build time): GPU names, PCIe link
// capability, NVLink bundles and P2P status, joined to the PCI tree by BDF. Internal.

#include "discovery_state.h"

namespace rigcheck::topology::detail {

// Adds what NVML knows to the GPUs already found; notes why not when NVML is unavailable.
void apply_nvml(DiscoveryState& state);

}  // namespace rigcheck::topology::detail
