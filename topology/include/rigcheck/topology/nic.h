#pragma once
// Network adapters of one node (issue 15): InfiniBand HCAs, RoCE and plain Ethernet NICs, as plain
// data. Included by model.h; a Topology holds them in PCI address order. Rates are in Gb/s (bits,
// as InfiniBand and Ethernet quote them), never GB/s like the rest of the model.
//
// No MAC address or GUID is kept: nothing rigcheck checks needs one, and reports are posted
// publicly. RDMA device names (mlx5_0) and netdev names (ib0, enp65s0f0np0) name a slot, not a machine.

#include <optional>
#include <string>
#include <vector>

#include "rigcheck/topology/pci_address.h"
#include "rigcheck/topology/pcie_link.h"

namespace rigcheck::topology {

enum class PathClass;  // model.h

enum class NicKind {
  infiniband,  // an RDMA port whose link layer is InfiniBand
  roce,        // an RDMA port whose link layer is Ethernet (RoCE)
  ethernet,    // a plain Ethernet NIC: no RDMA device, NCCL can only use sockets on it
  unknown,
};

struct NicPort {
  int port = 1;             // port number (InfiniBand ports count from 1)
  std::string state;        // RDMA: "ACTIVE", "DOWN", "INIT", "ARMED"; Ethernet: operstate "UP", "DOWN"
  std::string phys_state;   // RDMA: "LinkUp", "Disabled", "Polling"; "" for Ethernet
  std::string link_layer;   // RDMA: "InfiniBand" or "Ethernet"; "" for Ethernet NICs
  double rate_gbit = 0;     // signalling rate, 200 from "200 Gb/sec (4X HDR)"; 0 unknown; meaningless unless active
  int width = 0;            // lanes: 4 from "4X"; 0 when unknown or not stated
  std::string rate_text;    // as sysfs wrote it ("200 Gb/sec (4X HDR)", or the netdev speed "100000")
  std::string netdev;       // its network interface ("ib0", "ens1f0np0"), "" when none
  bool active() const { return state == "ACTIVE" || state == "UP"; }
  bool operator==(const NicPort&) const = default;
};

struct Nic {
  int index = 0;             // rigcheck's index: NICs in PCI address order
  std::string name;          // RDMA device ("mlx5_0"), or the netdev for a plain Ethernet NIC
  NicKind kind = NicKind::unknown;
  PciAddress address;        // the PCI function
  int node = -1;             // PciNode id: its place in the PCIe tree; -1 when not in the tree
  uint16_t vendor_id = 0;
  uint16_t device_id = 0;
  std::string model;         // PCI name ("Mellanox Technologies MT28908 Family [ConnectX-6]") when known
  std::vector<NicPort> ports;
  std::vector<std::string> netdevs;  // every interface of the function, sorted
  double max_rate_gbit = 0;  // what one port can signal (rig file, or the adapter table); 0 unknown
  int numa_node = -1;        // -1 when unknown
  // Filled from the tree by compute_nic_paths (paths.h):
  std::optional<LinkState> pcie_max;      // the NIC's PCIe link: what it can train to
  std::optional<LinkState> pcie_current;  // and what it trained to
  std::vector<PathClass> gpu_paths;       // path class to each GPU, indexed by Gpu::index

  bool rdma() const { return kind == NicKind::infiniband || kind == NicKind::roce; }
  bool operator==(const Nic&) const = default;
};

// GPUDirect RDMA: whether a NIC can read and write GPU memory directly (NCCL's "GDRDMA").
struct GpuDirectRdma {
  // The peer-memory module loaded: "nvidia_peermem" (driver 470 and later), "nv_peer_mem" (the
  // legacy Mellanox module), "" when neither is. Unknown is "?" (a topology read from a file).
  std::string peer_module = "?";
  // The dma-buf path (no module needed): the kernel exports dma-buf for RDMA (5.12 and later)
  // and the NVIDIA open kernel module is loaded. nullopt when it cannot be told.
  std::optional<bool> dmabuf;
  std::vector<std::string> evidence;  // what it was decided from
  bool operator==(const GpuDirectRdma&) const = default;
};

const char* to_string(NicKind kind);  // "infiniband", "roce", "ethernet", "unknown"
std::optional<NicKind> nic_kind_from_string(const std::string& s);

}  // namespace rigcheck::topology
