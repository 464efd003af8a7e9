// The network model of a cluster: the ring NCCL builds across nodes, bounded by the slowest
// node's NIC and the PCIe path between its GPUs and that NIC, and the simulated inter-node
// results it gives (bench/internode.h).
#include <algorithm>
#include <cstdio>
#include <limits>

#include "rigcheck/bench/internode.h"

namespace rigcheck::bench {

namespace {

// Fraction of the NIC's line rate NCCL's ring busbw reaches with IB verbs and GPUDirect RDMA:
// 46-48 GB/s per NDR 400 Gb/s NIC (50 GB/s), NVIDIA/nccl-tests#290 (AddyLaddy); 12.2 GB/s on a
// 100 Gb/s EDR card (12.5 GB/s), "as good as you can get", NVIDIA/nccl-tests#29 (sjeaugey).
constexpr double kIbGdrEfficiency = 0.94;
// Staged through host memory because GPUDirect RDMA is not in use: about half of the GDR figure
// without the peer-memory module in two reports, 6 GB/s on 100 Gb/s IB (NVIDIA/nccl#465) and
// ~20 GB/s on 4x100 Gb/s, "about half" (NVIDIA/nccl#214). The loss depends on the PCIe topology
// (sjeaugey in #465), so this is a typical figure, not a bound.
constexpr double kIbStagedEfficiency = 0.5;
// NCCL's socket transport (TCP, or IP over IB): 4 GB/s on the same 100 Gb/s IB network with
// IPoIB, NVIDIA/nccl#465.
constexpr double kSocketEfficiency = 0.32;
// Latency of one ring step across the network (launch, proxy, one network hop): an assumption of
// the model, like bench::simulate_collectives' 8 us step inside a node; small sizes are
// latency-bound in NCCL too.
constexpr double kNetworkStepLatencyUs = 20.0;
constexpr double kIntraStepLatencyUs = 8.0;

double transport_efficiency(const NodeNetworkPath& p) {
  if (p.transport == "Socket") return kSocketEfficiency;
  return p.gdr ? kIbGdrEfficiency : kIbStagedEfficiency;
}

int ring_steps(Collective c, int n) { return c == Collective::all_reduce ? 2 * (n - 1) : n - 1; }

std::string gbps_text(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f GB/s", v);
  return buf;
}

// What limits one node: its NIC's link, the GPU-NIC PCIe path, or the switch port.
std::string limit_text(const NodeNetworkPath& p, const std::optional<NetworkFabric>& fabric) {
  std::string what = p.nic.empty() ? std::string("its NIC") : p.nic;
  double raw = p.link_gbps;
  std::string why = "link " + gbps_text(p.link_gbps);
  if (p.gpu_nic_gbps > 0 && p.gpu_nic_gbps < raw) {
    raw = p.gpu_nic_gbps;
    why = "GPU-NIC PCIe path " + gbps_text(p.gpu_nic_gbps) + (p.gpu_nic_path.empty() ? "" : " (" + p.gpu_nic_path + ")");
  }
  if (fabric && fabric->port_gbps > 0 && fabric->port_gbps / std::max(1.0, fabric->oversubscription) < raw)
    why = "switch port " + gbps_text(fabric->port_gbps) + " at " + std::to_string(fabric->oversubscription).substr(0, 3) + ":1";
  const std::string transport = p.transport == "Socket" ? "NET/Socket" : (p.gdr ? "NET/IB with GPUDirect RDMA" : "NET/IB staged through host memory");
  return "node" + std::to_string(p.node) + " " + what + ": " + why + ", " + transport;
}

}  // namespace

double node_network_gbps(const NodeNetworkPath& p, const std::optional<NetworkFabric>& fabric) {
  double raw = p.link_gbps;
  if (p.gpu_nic_gbps > 0) raw = std::min(raw, p.gpu_nic_gbps);
  if (fabric && fabric->port_gbps > 0) raw = std::min(raw, fabric->port_gbps / std::max(1.0, fabric->oversubscription));
  return std::max(0.0, raw * transport_efficiency(p));
}

double node_rails_gbps(const NodeNetworkPath& p, const std::optional<NetworkFabric>& fabric) {
  double sum = node_network_gbps(p, fabric);
  for (const auto& r : p.more_rails) sum += node_network_gbps(r, fabric);
  return sum;
}

double node_group_share_gbps(const NodeNetworkPath& p, const std::optional<NetworkFabric>& fabric, int groups) {
  groups = std::max(1, groups);
  if (p.gpus.empty()) return node_network_gbps(p, fabric) / groups;
  // A rail's share: its rate over the communicators (local ranks below `groups`) it carries.
  double slowest = std::numeric_limits<double>::infinity();
  auto share = [&](const NodeNetworkPath& rail) {
    const auto users = std::count_if(rail.gpus.begin(), rail.gpus.end(), [&](int g) { return g < groups; });
    if (users > 0) slowest = std::min(slowest, node_network_gbps(rail, fabric) / static_cast<double>(users));
  };
  share(p);
  for (const auto& r : p.more_rails) share(r);
  return slowest == std::numeric_limits<double>::infinity() ? node_network_gbps(p, fabric) / groups : slowest;
}

NodeNetworkPath healthy_path(const NodeNetworkPath& p) {
  NodeNetworkPath h = p;
  if (h.link_max_gbps > 0) h.link_gbps = h.link_max_gbps;
  h.transport = p.kind == "ethernet" ? "Socket" : "IB";
  h.gdr = h.transport == "IB" && (p.gpu_nic_path == "PIX" || p.gpu_nic_path == "PXB");
  for (auto& r : h.more_rails) r = healthy_path(r);
  return h;
}

NetworkBottleneck network_bottleneck(const std::vector<NodeNetworkPath>& paths, const std::optional<NetworkFabric>& fabric) {
  NetworkBottleneck b;
  b.gbps = std::numeric_limits<double>::infinity();
  for (const auto& p : paths) {
    const double g = node_rails_gbps(p, fabric);
    if (g < b.gbps) {
      b.gbps = g;
      b.node = p.node;
      b.text = limit_text(p, fabric);
      for (const auto& r : p.more_rails) b.text += "; rail " + limit_text(r, fabric);
      b.text += " -> " + gbps_text(g) + " expected busbw";
    }
  }
  if (paths.empty()) b.gbps = 0;
  return b;
}

double network_scope_gbps(const std::vector<NodeNetworkPath>& paths, const std::optional<NetworkFabric>& fabric, int groups) {
  double slowest = std::numeric_limits<double>::infinity();
  for (const auto& p : paths) slowest = std::min(slowest, node_group_share_gbps(p, fabric, groups));
  return paths.empty() ? 0 : slowest;
}

namespace {

// Each path's healthy version, in the order of `paths`: the node's entry of `known` where it has
// one (a NIC that is down counted up), else healthy_path of the path.
std::vector<NodeNetworkPath> healthy_paths_of(const std::vector<NodeNetworkPath>& paths, const std::vector<NodeNetworkPath>& known) {
  std::vector<NodeNetworkPath> out;
  for (const auto& p : paths) {
    auto it = std::find_if(known.begin(), known.end(), [&](const NodeNetworkPath& h) { return h.node == p.node; });
    out.push_back(it != known.end() ? *it : healthy_path(p));
  }
  return out;
}

}  // namespace

void fill_network_expectations(InterNodeResults& r) {
  if (r.paths.empty()) return;
  const std::vector<NodeNetworkPath> healthy = healthy_paths_of(r.paths, r.healthy_paths);
  // The groups that cross the network: a local rank that only the larger nodes have makes a
  // one-node communicator, which shares no NIC with the others.
  int crossing = 0;
  if (!r.ranks_per_node.empty()) crossing = *std::min_element(r.ranks_per_node.begin(), r.ranks_per_node.end());
  for (auto& c : r.collectives)
    if (c.scope == CollectiveScope::network && c.expected_busbw_gbps <= 0) {
      const int groups = c.concurrent ? (crossing > 0 ? std::min(c.groups, crossing) : c.groups) : 1;
      c.expected_busbw_gbps = network_scope_gbps(healthy, r.fabric, groups);
    }
  auto rate_of = [&](int node) {
    for (const auto& h : healthy)
      if (h.node == node) return node_network_gbps(h, r.fabric);
    return 0.0;
  };
  for (auto& l : r.pairwise)
    if (l.expected_gbps <= 0) {
      const double a = rate_of(l.from_node), b = rate_of(l.to_node);
      if (a > 0 && b > 0) l.expected_gbps = std::min(a, b);
    }
}

namespace {

CollectiveResult simulated_result(Collective op, uint64_t bytes, int ranks, double rate_gbps, double step_latency_us) {
  CollectiveResult r;
  r.op = op;
  r.bytes = bytes;
  r.count = bytes / 4;
  r.check = "ok";
  if (ranks <= 1 || rate_gbps <= 0) {
    r.time_us = step_latency_us;
  } else {
    r.time_us = ring_steps(op, ranks) * step_latency_us + static_cast<double>(bytes) * bus_factor(op, ranks) / (rate_gbps * 1e9) * 1e6;
  }
  compute_bandwidths(r, ranks);
  return r;
}

std::string transport_detail(const NodeNetworkPath& p, int device) {
  const std::string dev = std::to_string(device);
  if (p.transport == "Socket") return "NET/Socket/" + dev;
  return p.gdr ? "NET/IB/" + dev + "/GDRDMA" : "NET/IB/" + dev;
}

}  // namespace

InterNodeResults simulate_internode(const InterNodeSimulation& s) {
  InterNodeResults r;
  r.provenance = Provenance::simulated;
  r.backend = "simulated network model (ring across nodes)";
  r.nodes = static_cast<int>(s.paths.size());
  r.ranks_per_node = s.gpus_per_node;
  for (int g : s.gpus_per_node) r.ranks += g;
  r.paths = s.paths;
  r.fabric = s.fabric;
  r.nccl_version = s.nccl_version;
  const int nodes = r.nodes;
  if (nodes == 0) return r;

  const NetworkBottleneck net = network_bottleneck(s.paths, s.fabric);
  r.bottleneck = net.text;
  const std::vector<NodeNetworkPath> healthy = healthy_paths_of(s.paths, s.healthy_paths);
  r.healthy_paths = healthy;
  const double healthy_net = network_bottleneck(healthy, s.fabric).gbps;
  int min_gpus = std::numeric_limits<int>::max();
  for (int g : s.gpus_per_node) min_gpus = std::min(min_gpus, std::max(g, 1));
  // Inside a node: the slowest node's own ring (one GPU: no intra-node hop).
  double intra = std::numeric_limits<double>::infinity();
  for (size_t i = 0; i < s.node_ring_gbps.size(); ++i)
    if (i < s.gpus_per_node.size() && s.gpus_per_node[i] > 1) intra = std::min(intra, s.node_ring_gbps[i]);
  // One ring over every rank crosses each node boundary once: its slowest hop is the slower of
  // the network and the slowest node's own ring.
  const double all_rate = std::min(net.gbps, intra);
  const double all_expected = std::min(healthy_net, intra);
  // The network scope's communicators (one per local rank) run at once, as nccl-tests' split
  // does, and share the NIC their GPU's traffic leaves through.
  const double network_rate = network_scope_gbps(s.paths, s.fabric, min_gpus);
  const double network_expected = network_scope_gbps(healthy, s.fabric, min_gpus);

  for (Collective op : s.ops) {
    InterNodeCollective all{op, CollectiveScope::all, r.ranks, 1, true, {}, all_expected};
    InterNodeCollective network{op, CollectiveScope::network, nodes, min_gpus, true, {}, network_expected};
    for (uint64_t bytes : s.sizes) {
      all.results.push_back(simulated_result(op, bytes, r.ranks, all_rate, kNetworkStepLatencyUs));
      network.results.push_back(simulated_result(op, bytes, nodes, network_rate, kNetworkStepLatencyUs));
    }
    r.collectives.push_back(std::move(all));
    r.collectives.push_back(std::move(network));
    if (intra < std::numeric_limits<double>::infinity()) {
      InterNodeCollective in{op, CollectiveScope::intra, 0, nodes, true, {}, intra};
      // The slowest node's communicator bounds the scope.
      int slowest = 0;
      for (size_t i = 0; i < s.node_ring_gbps.size(); ++i)
        if (s.gpus_per_node[i] > 1 && s.node_ring_gbps[i] == intra) slowest = static_cast<int>(i);
      in.ranks = s.gpus_per_node[slowest];
      for (uint64_t bytes : s.sizes) in.results.push_back(simulated_result(op, bytes, in.ranks, intra, kIntraStepLatencyUs));
      r.collectives.push_back(std::move(in));
    }
  }

  // Node leaders, one direction at a time: the sender's and the receiver's paths both carry it.
  for (int i = 0; i < nodes; ++i)
    for (int j = 0; j < nodes; ++j) {
      if (i == j) continue;
      const double g = std::min(node_network_gbps(s.paths[i], s.fabric), node_network_gbps(s.paths[j], s.fabric));
      NodeLink l;
      l.from_node = i;
      l.to_node = j;
      l.bytes = s.pairwise_bytes;
      l.time_us = kNetworkStepLatencyUs + (g > 0 ? static_cast<double>(l.bytes) / (g * 1e9) * 1e6 : 0);
      l.gbps = static_cast<double>(l.bytes) / (l.time_us * 1e-6) / 1e9;
      l.expected_gbps = std::min(node_network_gbps(healthy[i], s.fabric), node_network_gbps(healthy[j], s.fabric));
      l.check = "ok";
      r.pairwise.push_back(l);
    }

  // The ring's network hops: the last rank of node i sends to the first rank of node i+1 through
  // node i's NIC (the receive side names the receiver's NIC).
  if (nodes > 1) {
    std::vector<int> first_rank(nodes, 0);
    for (int i = 1; i < nodes; ++i) first_rank[i] = first_rank[i - 1] + std::max(1, s.gpus_per_node[i - 1]);
    for (int i = 0; i < nodes; ++i) {
      const int next = (i + 1) % nodes;
      ChannelTransport t;
      t.from_node = i;
      t.to_node = next;
      t.from_rank = first_rank[i] + std::max(1, s.gpus_per_node[i]) - 1;
      t.to_rank = first_rank[next];
      // One channel per rail: NCCL spreads its channels over the node's NICs.
      std::vector<const NodeNetworkPath*> rails = {&s.paths[i]};
      for (const auto& more : s.paths[i].more_rails) rails.push_back(&more);
      for (size_t c = 0; c < rails.size(); ++c) {
        const NodeNetworkPath& rail = *rails[c];
        t.channel = static_cast<int>(c);
        t.transport = rail.transport == "Socket" ? "NET/Socket" : "NET/IB";
        t.gdrdma = rail.transport != "Socket" && rail.gdr;
        t.nic = rail.nic;
        t.detail = transport_detail(rail, static_cast<int>(c)) + " (simulated)";
        r.transports.push_back(t);
      }
    }
  }
  r.notes.push_back("NCCL's ring algorithm is modelled (NCCL_ALGO=Ring); on 2 nodes NCCL's tree can report a busbw above "
                    "the network's (NVIDIA/nccl#307). Each GPU's traffic leaves through its nearest NIC, and a ring over every "
                    "rank spreads over all of a node's NICs (multi-rail); the sockets transport is modelled on one interface.");
  return r;
}

}  // namespace rigcheck::bench
