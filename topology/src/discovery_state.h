#pragma once
// Working state shared by the discovery sources while a Topology is assembled. Internal.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "rigcheck/topology/config_space.h"
#include "rigcheck/topology/model.h"

namespace rigcheck::topology::detail {

// What a source read about one PCI function's own link registers, before the links are
// assembled (a link joins a function's registers with those of the port above it).
struct NodeRegisters {
  LinkState capability;   // LNKCAP or max_link_*
  LinkState status;       // LNKSTA or current_link_*
  double hwloc_gbps = 0;  // hwloc's combined current figure
  std::optional<PcieType> pcie_type;
  std::string source;     // "config", "sysfs", "hwloc"
};

struct RawNvLink {
  int from_node = -1;      // PCI node of the GPU
  std::string to_kind;     // "gpu", "nvswitch", "cpu"
  int to_node = -1;        // PCI node of the remote GPU/NVSwitch
  int to_package = -1;     // remote CPU package
  double mbps = 0;         // hwloc NVLinkBandwidth value (MB/s, one direction, all links together)
  int links = 0;           // when the source counted links itself (NVML)
  int version = 0;
};

// A network OS device hwloc reported below a PCI function ("mlx5_0" OpenFabrics, "ib0" Network).
// Read for XML input, where there is no sysfs; hwloc also keeps GUIDs and MAC addresses for these,
// which are not copied.
struct RawOsNic {
  int node = -1;                               // PCI node of the function
  std::string name;
  bool rdma = false;                           // OpenFabrics (an RDMA device), else Network
  std::vector<std::pair<int, int>> port_states;  // (port, state number) from hwloc's PortNState
};

struct DiscoveryState {
  Topology topo;
  std::vector<NodeRegisters> regs;  // parallel to topo.pci
  std::vector<RawNvLink> nvlinks;
  std::vector<RawOsNic> os_nics;

  int find(const PciAddress& address) const {
    for (const auto& n : topo.pci)
      if (n.address && *n.address == address) return n.id;
    return -1;
  }
  void note(std::string source, std::string message) {
    topo.notes.push_back(Note{std::move(source), std::move(message)});
  }
};

}  // namespace rigcheck::topology::detail
