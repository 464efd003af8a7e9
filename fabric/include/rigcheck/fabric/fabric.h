#pragma once
// The fabric model (docs/architecture.md): the topology as a graph of links with a capacity per
// direction, routes for every kind of transfer, and max-min fair sharing of concurrent flows.

#include <string>
#include <vector>

#include "rigcheck/fabric/transfer.h"
#include "rigcheck/fabric/fabric_constants.h"
#include "rigcheck/fabric/platform.h"
#include "rigcheck/topology/model.h"

namespace rigcheck::fabric {

// A route through the fabric: directed edges (edge id * 2 + direction), and what the flow on it
// achieves of the links' raw capacity.
struct Route {
  std::vector<int> edges;
  double efficiency = 1;   // engine/link-kind efficiency, host staging and IOMMU factors
  double latency_ns = 0;   // one dependent access along the route
  PeerPath path = PeerPath::direct;
  bool nvlink = false;
  bool crosses_sockets = false;  // a peer route over the socket link (its efficiency carries the cost)
  bool through_root_complex = false;  // a peer route forwarded by the root complex (PHB/SYS, or ACS redirect)
  double tlp_share = 1;  // of its efficiency: the platform's small-TLP cost there (Intel: 1/1.2)
  // A host copy: the GPU whose host link it crosses and its direction, and the share of its rate
  // it keeps while that link carries a copy the other way (FabricConstants::host_duplex_share).
  int host_gpu = -1;
  bool to_host = false;
  double duplex_share = 1;
};

// Rates of flows running together, and for each flow the directed edge that stopped it (-1: none).
struct FairShare {
  std::vector<double> rates;   // GB/s after each route's efficiency
  std::vector<int> binding;    // the link that filled first among those the flow crosses
  std::vector<double> duplex;  // the duplex share applied to each flow (1: none)
};

// The gen/width a link runs at under load in the model. Rig files (and topology JSON written from
// them) describe the loaded state, so `current` is taken as it is: a riser stuck at Gen1 stays at
// Gen1. A topology discovered from a machine was read at rest, when idle GPUs drop their link
// *generation* but keep their width, so there the generation is the maximum and the width as read.
// Unknown ({0, 0}) when neither current nor max is known.
topology::LinkState loaded_link(const topology::Topology& t, const topology::PciLink& link);

class Fabric {
 public:
  Fabric(const topology::Topology& topology, const FabricConstants& constants);

  Route route(const Endpoint& src, const Endpoint& dst, Engine engine) const;
  // GPU to GPU through a bounce buffer in the source GPU's local host memory, both legs at once
  // (how the driver stages a copy without peer access, and how NCCL's SHM transport moves data).
  // Both directions of one pair share the pair's staging (host_staged_bidirectional_gain), so a
  // staged pair both ways moves little more than one way. The route is of this fabric's machine
  // state: build the Fabric from the actual topology for the machine as it is, from
  // diagnosis::healthy_version() for the machine as it should be.
  Route host_staged_route(int src_gpu, int dst_gpu, Engine engine) const;
  // What one staged copy src -> dst moves alone (GB/s, one direction), and a staged pair both
  // ways at once (the sum of both directions).
  double host_staged_gbps(int src_gpu, int dst_gpu, Engine engine = Engine::ce) const;
  double host_staged_bidirectional_gbps(int gpu_a, int gpu_b, Engine engine = Engine::ce) const;
  // The share of a CE copy a host-staged one gets on PCIe links of `link_gbps` (raw, the pair's
  // narrowest) of generation `gen`, from the share measured on x16 links.
  static double staged_share(double share_at_x16, int gen, double link_gbps);
  PeerPath peer_path(int src_gpu, int dst_gpu, Engine engine) const;

  // Max-min fair rates (GB/s, after each route's efficiency) of flows running together.
  std::vector<double> fair_rates(const std::vector<const Route*>& flows) const;
  FairShare fair_share(const std::vector<const Route*>& flows) const;

  // The platform the socket links come from (platforms.json), and whether the CPU model matched.
  const Platform& platform() const { return *platform_; }
  const topology::Topology& topology() const { return t_; }
  const FabricConstants& constants() const { return c_; }

  // The slowest finite link on a route (-1 when every edge is unlimited).
  int narrowest_edge(const Route& route) const;

  // Capacity of a directed edge in GB/s (<= 0: unlimited) and a human name for it.
  double capacity(int directed_edge) const { return edges_[directed_edge / 2].gbps; }
  std::string edge_name(int directed_edge) const;
  int edge_count() const { return static_cast<int>(edges_.size()); }

 private:
  struct Edge {
    std::string name;
    double gbps = 0;  // per direction; <= 0 unlimited
  };
  int add_edge(std::string name, double gbps);
  int root_of(int pci_node) const;
  int socket_of_root(int root) const;
  int socket_of_numa(int numa) const;
  int host_numa_for(const Endpoint& host, int gpu) const;
  void append_up(int from_node, int stop_node, std::vector<int>& out, double& latency) const;
  void append_down(int stop_node, int to_node, std::vector<int>& out, double& latency) const;
  // `stream` picks which of the platform's socket links the crossing uses.
  void append_socket_crossing(int from_socket, int to_socket, int stream, std::vector<int>& out, double& latency) const;
  bool p2p_allowed(int a, int b) const;
  bool crosses_sockets(int gpu_a, int gpu_b) const;  // their root ports are on different sockets
  Route host_route(int gpu, int numa, bool to_host, Engine engine) const;
  Route pcie_peer_route(int a, int b, Engine engine) const;
  // The share of its rate a route through the root complex keeps on a platform that splits P2P
  // into small TLPs (platforms.json root_complex_p2p_share): the cost falls on the source's links
  // up to the root complex (`pcie_links`), not on an edge that binds before them.
  double tlp_share(const std::vector<int>& route, const std::vector<int>& pcie_links) const;
  double pcie_path_gbps(int gpu) const;  // its narrowest PCIe link up to the root complex (0 unknown)
  int link_gen(int gpu) const;  // the GPU's own link generation as the model runs it (0 unknown)
  double ce_efficiency(int gpu) const;
  double sm_host_efficiency(int gpu, bool to_host) const;
  std::string architecture_of(int gpu) const;  // "" when neither the GPU nor the model table says
  double nvlink_ce_efficiency(int a, int b) const;
  void add_memory_edges();  // host memory per NUMA node, and the host bridges' DMA where measured
  void add_staging_edges();

  const topology::Topology& t_;
  FabricConstants c_;
  std::vector<Edge> edges_;
  std::vector<int> up_edge_;          // per PCI node: edge to its parent
  std::vector<int> forward_edge_;     // per PCI node (root ports): P2P forwarded to another port
  std::vector<std::vector<std::vector<int>>> socket_edge_;  // [a][b] the links between two sockets
  std::vector<int> memory_edge_;      // per NUMA node index (position in t.numa_nodes)
  std::vector<int> host_bridge_dma_edge_;  // per PCI node (host bridges with a platform figure)
  std::vector<int> device_memory_edge_;  // per GPU
  std::vector<std::vector<int>> nvlink_edge_;  // [a][b] direct NVLink bundle
  std::vector<int> nvswitch_edge_;    // per GPU: its links into the NVSwitch fabric
  std::vector<std::vector<int>> staging_edge_;  // [a][b] host staging of a GPU pair, both directions
  std::vector<std::vector<int>> nvlink_version_;  // [a][b] of a direct bundle, 0 unknown
  const Platform* platform_;  // a row of the static platform table
  int sockets_ = 1;
};

}  // namespace rigcheck::fabric
