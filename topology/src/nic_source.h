#pragma once
// Network adapters from sysfs (issue 15): RDMA devices of /sys/class/infiniband, netdevs of
// /sys/class/net that sit on a PCI function, and network-class PCI functions with neither (no
// driver bound). GPUDirect RDMA availability from /sys/module and the kernel and driver. Internal.

#include "discovery_state.h"
#include "rigcheck/topology/rooted_fs.h"

namespace rigcheck::topology::detail {

// Fills state.topo.nics (in PCI address order, joined to the tree by address). Virtual netdevs
// (lo, bridges, docker0, veth) have no PCI device and are not NICs.
void collect_nics(const RootedFs& fs, DiscoveryState& state);

// Fills state.topo.nics from the network OS devices hwloc reported (an XML has no sysfs): names,
// kinds and RDMA port states; rates, link layers and PCIe link files are not in hwloc's XML.
void nics_from_hwloc(DiscoveryState& state);

// The peer-memory module loaded and whether the dma-buf path can work, from /sys/module and the
// kernel release and driver in `system` (read before).
GpuDirectRdma read_gpudirect_rdma(const RootedFs& fs, const SystemState& system, const std::string& nvidia_version_text);

}  // namespace rigcheck::topology::detail
