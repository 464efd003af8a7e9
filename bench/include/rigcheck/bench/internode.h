#pragma once
// Inter-node results: what a cluster run measures between nodes (or what the fabric model says it
// would measure), as plain data. The MPI layer fills them from NCCL over the network; the
// simulator (`simulate_internode`) fills them from the cluster's network model. Both carry their
// provenance, and the report labels simulated ones SIMULATED.
//
// Scopes follow nccl-tests' NCCL_TESTS_SPLIT (README of NVIDIA/nccl-tests): "all" is one
// communicator over every rank; "network" splits by local rank ("AND 0x7"), so each communicator
// holds one GPU per node and sees only the network; "intra" splits by node ("OR 0x7"), so each
// communicator stays inside one node. busbw follows nccl-tests' doc/PERFORMANCE.md
// (bench::bus_factor), so it compares with the slowest link whatever the rank count.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "rigcheck/bench/collectives.h"
#include "rigcheck/topology/model.h"

namespace rigcheck::bench {

enum class CollectiveScope { all, network, intra };
const char* to_string(CollectiveScope s);  // "all", "network", "intra"
std::optional<CollectiveScope> scope_from_name(const std::string& name);

enum class Provenance { measured, simulated };
const char* to_string(Provenance p);  // "measured", "simulated"

// One collective over one scope, per size. For "network" and "intra" there are several
// communicators (one per local rank, or one per node); `results` holds the slowest one's figures
// per size (the one that bounds a job), `groups` says how many there were.
struct InterNodeCollective {
  Collective op = Collective::all_reduce;  // all_reduce, all_gather, reduce_scatter, all_to_all
  CollectiveScope scope = CollectiveScope::all;
  int ranks = 0;   // ranks in one communicator of this scope
  int groups = 1;  // communicators of this scope
  bool concurrent = true;  // the groups ran at the same time (as nccl-tests' split does), sharing NICs
  std::vector<CollectiveResult> results;  // per size: bytes, time_us, algbw_gbps, busbw_gbps, check
  double expected_busbw_gbps = 0;         // the model's bus bandwidth for this scope; 0 when unknown
};

// Send/recv between two node leaders (local rank 0 of each), one direction at a time, so a slow
// node or link stands out in a node x node matrix.
struct NodeLink {
  int from_node = 0;
  int to_node = 0;
  uint64_t bytes = 0;
  double time_us = 0;
  double gbps = 0;       // bytes / time, one direction
  std::string check;     // "ok", "hang", "error", "skipped"
  double expected_gbps = 0;  // the model's figure for this pair; 0 when unknown
};

// The transport NCCL took on one channel between two ranks, from NCCL_DEBUG=INFO
// ("Channel 00/0 : 0[0] -> 8[0] [send] via NET/IB/0/GDRDMA"), or from the model.
struct ChannelTransport {
  int from_rank = 0;
  int to_rank = 0;
  int from_node = -1;    // node of each rank, when known
  int to_node = -1;
  int channel = 0;
  std::string transport;  // "NET/IB", "NET/Socket", "P2P", "SHM", "NVLS", "COLLNET"
  bool gdrdma = false;    // NET/IB with GPUDirect RDMA (the "/GDRDMA" suffix)
  std::string nic;        // the NIC the channel uses ("mlx5_0", "eth0"), "" when not known
  std::string detail;     // the line's words as printed: "NET/IB/0/GDRDMA"
};

// What one node brings to the network, as the model of the ring across nodes sees it: the NIC its
// ring traffic leaves through and the PCIe path between that NIC and the GPUs. It is derived from
// the node's topology (its NICs) and the cluster file's faults; it is not a NIC description.
struct NodeNetworkPath {
  int node = 0;
  std::string nic;              // the NIC's name ("mlx5_0")
  std::string kind;             // "ib", "roce", "ethernet"
  double link_gbps = 0;         // the NIC's link rate now, GB/s one direction
  double link_max_gbps = 0;     // what it should run at (its rated speed, or the switch's)
  double gpu_nic_gbps = 0;      // bottleneck of the PCIe path between the GPUs and the NIC; 0 unknown
  std::string gpu_nic_path;     // nvidia-smi path class of that path ("PIX", "PXB", "PHB", "NODE", "SYS")
  bool gdr = false;             // GPUDirect RDMA in use (NIC and GPU can DMA directly)
  std::string transport = "IB"; // NCCL's network: "IB" (IB verbs, also RoCE) or "Socket"
  // Multi-rail. NCCL sends each GPU's inter-node traffic through the NIC nearest it and spreads
  // its channels over every such NIC, so a node with one HCA per GPU pair reaches the sum of its
  // HCAs (NCCL's topology search, docs "NCCL_CROSS_NIC"; the rail-optimised DGX/HGX designs).
  // `gpus` are the local GPUs whose traffic leaves through this NIC; `more_rails` the node's
  // other NICs that carry some, each with its own GPUs, all on this path's transport. Both
  // empty: one NIC carries everything (and reports written before multi-rail read so).
  std::vector<int> gpus;
  std::vector<NodeNetworkPath> more_rails;
};

// The switch or fabric the nodes share.
struct NetworkFabric {
  std::string kind = "ib";        // "ib", "roce", "ethernet"
  double port_gbps = 0;           // one switch port, GB/s one direction (HDR 200 Gb/s = 25)
  double oversubscription = 1.0;  // 2.0: the uplinks carry half of what the ports can
};

struct InterNodeResults {
  Provenance provenance = Provenance::measured;
  std::string backend;                   // "NCCL 2.28.9 over OpenMPI 4.1.4", "simulated fabric model"
  int nodes = 0;
  int ranks = 0;
  std::vector<int> ranks_per_node;       // by node index
  std::vector<InterNodeCollective> collectives;
  std::vector<NodeLink> pairwise;        // node leaders, every ordered pair i != j that ran
  std::vector<ChannelTransport> transports;
  // The NCCL network variables as set on rank 0 (the names: topology::kNcclNetworkVariables).
  std::map<std::string, std::string> nccl_environment;
  std::string nccl_version;              // "2.28.9"
  std::vector<NodeNetworkPath> paths;    // the model's view of each node's network path, when known
  // The same nodes' paths as the healthy machine has them (every NIC up at its rated speed, as
  // network_path_of(…, PathState::healthy)): the expectations come from these. Empty: derived
  // from `paths` by healthy_path (which cannot bring back a NIC that is down).
  std::vector<NodeNetworkPath> healthy_paths;
  std::optional<NetworkFabric> fabric;   // the switch, when known
  std::string bottleneck;                // what bounds the network scope: "node1 mlx5_0 at HDR x2 (12.5 GB/s)"
  std::vector<std::string> notes;        // what could not be measured, and why
};

// Transports per channel from NCCL_DEBUG=INFO text; `node_of_rank` maps ranks to nodes.
std::vector<ChannelTransport> channel_transports(const std::string& nccl_info_log, const std::vector<int>& node_of_rank);

nlohmann::json to_json(const InterNodeResults& r);
InterNodeResults internode_from_json(const nlohmann::json& j);  // nlohmann::json::exception when malformed

// --- The model -------------------------------------------------------------------------------

// What one ring hop across nodes carries at most (GB/s) through one NIC: the NIC's link rate
// times the NCCL network efficiency of its transport (IB with GDR, IB staged through host
// memory, sockets), the GPU-NIC PCIe path, and the switch port divided by the oversubscription.
double node_network_gbps(const NodeNetworkPath& p, const std::optional<NetworkFabric>& fabric);

// What the node sends across the network with every rail at once (the "all" scope: NCCL's
// channels spread over the NICs): the sum of node_network_gbps over the path and its more_rails.
double node_rails_gbps(const NodeNetworkPath& p, const std::optional<NetworkFabric>& fabric);

// What each of `groups` concurrent one-GPU-per-node communicators gets (the "network" scope, as
// nccl-tests' split runs them): local rank g uses the NIC that carries GPU g, shared with the other
// ranks below `groups` on that NIC; the slowest share. Without GPU lists, one NIC shared by all.
double node_group_share_gbps(const NodeNetworkPath& p, const std::optional<NetworkFabric>& fabric, int groups);

// Which state of the node's NICs a path describes: as they are, or as the healthy machine has
// them (every NIC with a port counted up, at its rated speed).
enum class PathState { as_is, healthy };

// The path of node `node` from its topology: the NIC NCCL's ring would leave through (an active
// RDMA NIC nearest the GPUs, else the fastest active Ethernet NIC), its link rate and rated rate,
// its path class and PCIe bottleneck to the GPUs, GPUDirect RDMA (a peer-memory module or dma-buf,
// and NIC and GPU below one switch), and the transport (Socket when the NIC has no RDMA, or
// NCCL_IB_DISABLE=1 / NCCL_NET=Socket is set). With several active RDMA NICs (those NCCL_IB_HCA
// admits, when set), each GPU goes to its nearest NIC, ties spread evenly, and every NIC that
// carries a GPU is a rail. nullopt when the node has no NIC up.
// With PathState::healthy a NIC whose ports are down still counts (at its rated speed), and the
// result is healthy_path's: the figure the expectations come from.
std::optional<NodeNetworkPath> network_path_of(const topology::Topology& t, int node, PathState state = PathState::as_is);

// The healthy version of a path, which the expected figures come from (as every expectation in
// rigcheck is the healthy machine's): the link at its rated speed, NCCL's IB transport on an RDMA
// NIC, GPUDirect RDMA where NCCL would use it (NIC and GPU below one PCIe switch: PIX or PXB);
// every rail the same way.
NodeNetworkPath healthy_path(const NodeNetworkPath& p);

// The network's bound on a ring over every rank (the "all" scope): the slowest node's figure
// with every rail (node_rails_gbps; NCCL's ring runs at its slowest hop), with that node's index.
// The network scope's share per communicator is network_scope_gbps.
struct NetworkBottleneck {
  double gbps = 0;
  int node = -1;
  std::string text;
};
NetworkBottleneck network_bottleneck(const std::vector<NodeNetworkPath>& paths, const std::optional<NetworkFabric>& fabric);

// The network scope (one GPU per node, `groups` communicators at once): the slowest node's
// node_group_share_gbps.
double network_scope_gbps(const std::vector<NodeNetworkPath>& paths, const std::optional<NetworkFabric>& fabric, int groups);

// Fills the expectations a measured run left at 0 from `r.paths` and `r.fabric` (the healthy
// paths): the network scope's busbw (shared by its concurrent groups), each node-leader pair's.
// The "all" and "intra" scopes need the nodes' own ring models and stay as they are.
void fill_network_expectations(InterNodeResults& r);

// Simulation on the fabric model. `node_ring_gbps` is each node's intra-node ring rate
// (fabric::ring_model over its GPUs); `gpus_per_node` its GPU count. The collectives of every
// scope are simulated per size, the pairwise matrix from the two nodes' paths, the transports
// from each path (NET/IB with GDRDMA or not, NET/Socket) for the ring's network hops. The
// expected figures are those of the healthy paths (healthy_path).
struct InterNodeSimulation {
  std::vector<NodeNetworkPath> paths;   // by node index
  std::vector<NodeNetworkPath> healthy_paths;  // by node index; empty: healthy_path of each path
  std::optional<NetworkFabric> fabric;
  std::vector<int> gpus_per_node;
  std::vector<double> node_ring_gbps;   // intra-node ring rate per node; 0 for one GPU
  std::vector<bool> node_ring_p2p;      // the intra-node ring is P2P (else SHM)
  std::vector<Collective> ops = {Collective::all_reduce, Collective::all_gather, Collective::reduce_scatter, Collective::all_to_all};
  std::vector<uint64_t> sizes = {1ull << 20, 64ull << 20, 1ull << 30};
  uint64_t pairwise_bytes = 256ull << 20;
  std::string nccl_version;             // as the node rigs say, "" when unknown
};
InterNodeResults simulate_internode(const InterNodeSimulation& s);

}  // namespace rigcheck::bench
