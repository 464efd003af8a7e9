// A node's network path from its topology (bench/internode.h): which NIC the ring across nodes
// leaves through, and what limits it.
#include <algorithm>
#include <map>

#include "rigcheck/bench/internode.h"
#include "rigcheck/topology/paths.h"
#include "rigcheck/topology/pcie_link.h"

namespace rigcheck::bench {

namespace {

// Lower is nearer, as NCCL ranks paths (PIX < PXB < PHB < NODE < SYS).
int distance(topology::PathClass c) {
  switch (c) {
    case topology::PathClass::same: return 0;
    case topology::PathClass::pix: return 1;
    case topology::PathClass::pxb: return 2;
    case topology::PathClass::phb: return 3;
    case topology::PathClass::node: return 4;
    case topology::PathClass::sys: return 5;
    case topology::PathClass::unknown: return 6;
  }
  return 6;
}

// How far GPU `gpu` is from the NIC; unknown (the farthest) when the NIC has no path to it.
int distance_to(const topology::Nic& n, int gpu) {
  return gpu >= 0 && gpu < static_cast<int>(n.gpu_paths.size()) ? distance(n.gpu_paths[gpu]) : distance(topology::PathClass::unknown);
}

const topology::NicPort* active_port(const topology::Nic& n) {
  for (const auto& p : n.ports)
    if (p.active()) return &p;
  return nullptr;
}

// The NIC's nearest GPU and its path class (NCCL sends a node's inter-node traffic from the GPU
// nearest the NIC).
std::pair<int, topology::PathClass> nearest_gpu(const topology::Nic& n) {
  int best = -1;
  topology::PathClass cls = topology::PathClass::unknown;
  for (size_t g = 0; g < n.gpu_paths.size(); ++g)
    if (best < 0 || distance(n.gpu_paths[g]) < distance(cls)) {
      best = static_cast<int>(g);
      cls = n.gpu_paths[g];
    }
  return {best, cls};
}

bool gdr_available(const topology::GpuDirectRdma& g) {
  // "?": not known (a topology read from a file that predates the field): assumed available, so
  // an unknown is not reported as a fault.
  return g.peer_module == "?" || !g.peer_module.empty() || g.dmabuf.value_or(false);
}

bool sockets_forced(const std::map<std::string, std::string>& env) {
  auto is = [&](const char* k, const char* v) {
    auto it = env.find(k);
    return it != env.end() && it->second == v;
  };
  return is("NCCL_IB_DISABLE", "1") || is("NCCL_NET", "Socket");
}

// NCCL_IB_HCA as NCCL reads it (docs: Environment Variables): a comma-separated list of HCA
// names, each a prefix unless the list starts with '=' (exact names), all excluded when it starts
// with '^'; ":port" suffixes name ports (a NIC is admitted when its name is). Unset: every HCA.
bool hca_admitted(const std::map<std::string, std::string>& env, const std::string& name) {
  auto it = env.find("NCCL_IB_HCA");
  if (it == env.end() || it->second.empty()) return true;
  std::string list = it->second;
  bool exclude = false, exact = false;
  if (!list.empty() && list[0] == '^') exclude = true, list.erase(0, 1);
  if (!list.empty() && list[0] == '=') exact = true, list.erase(0, 1);
  bool listed = false;
  size_t at = 0;
  while (at <= list.size()) {
    size_t comma = list.find(',', at);
    std::string entry = list.substr(at, comma == std::string::npos ? std::string::npos : comma - at);
    entry = entry.substr(0, entry.find(':'));
    if (!entry.empty() && (exact ? name == entry : name.compare(0, entry.size(), entry) == 0)) listed = true;
    if (comma == std::string::npos) break;
    at = comma + 1;
  }
  return exclude ? !listed : listed;
}

// What a NIC signals at (Gb/s) in the given state: its active port's rate; for the healthy
// machine, a NIC that is down counts at its rated speed: the adapter's (a rig, the adapter table)
// or, when only sysfs was read (a down port's rate there means nothing), the rate its active
// siblings of the same kind run at. 0: not usable.
double rate_of(const topology::Topology& t, const topology::Nic& n, PathState state) {
  if (const auto* p = active_port(n)) return p->rate_gbit;
  if (state != PathState::healthy || n.ports.empty()) return 0;
  if (n.max_rate_gbit > 0) return n.max_rate_gbit;
  double sibling = 0;
  for (const auto& other : t.nics)
    if (&other != &n && other.kind == n.kind)
      if (const auto* p = active_port(other)) sibling = std::max(sibling, p->rate_gbit);
  return sibling;
}

// The path through one NIC, from its nearest GPU among `gpus` (all of them when empty).
NodeNetworkPath path_through(const topology::Topology& t, const topology::Nic& n, int node, const std::vector<int>& gpus,
                             PathState state) {
  const double rate = rate_of(t, n, state);
  NodeNetworkPath p;
  p.node = node;
  p.nic = n.name;
  p.kind = n.kind == topology::NicKind::infiniband ? "ib" : n.kind == topology::NicKind::roce ? "roce" : "ethernet";
  p.link_gbps = rate / 8;
  p.link_max_gbps = (n.max_rate_gbit > 0 ? n.max_rate_gbit : rate) / 8;
  auto [gpu, cls] = nearest_gpu(n);
  if (!gpus.empty()) {
    // A rail's path class and GPUDirect RDMA are those of the nearest GPU it carries. NCCL
    // decides GDR per GPU, so a rail that also carries a farther GPU (a HCA that took over for a
    // down one) is modelled optimistically for that GPU's ranks.
    gpu = -1;
    cls = topology::PathClass::unknown;
    for (int g : gpus)
      if (g >= 0 && g < static_cast<int>(n.gpu_paths.size()) && (gpu < 0 || distance(n.gpu_paths[g]) < distance(cls)))
        gpu = g, cls = n.gpu_paths[g];
  }
  p.gpu_nic_path = cls == topology::PathClass::unknown ? "" : topology::to_string(cls);
  // The PCIe part of the path: the NIC's own link, and the GPU's way to where they meet: its own
  // link below a common switch (PIX, PXB), its whole way up to the CPU otherwise (host path).
  double pcie = 0;
  if (n.pcie_current && n.pcie_current->known()) pcie = topology::pcie_gbps(*n.pcie_current);
  else if (n.pcie_max && n.pcie_max->known()) pcie = topology::pcie_gbps(*n.pcie_max);
  if (gpu >= 0 && gpu < static_cast<int>(t.gpus.size())) {
    const topology::Gpu& g = t.gpus[gpu];
    double gpu_side = g.host_path.gbps;
    const bool below_switch = cls == topology::PathClass::pix || cls == topology::PathClass::pxb;
    if (below_switch && g.node >= 0 && g.node < static_cast<int>(t.pci.size()) && t.pci[g.node].link)
      gpu_side = topology::link_gbps(*t.pci[g.node].link);
    if (gpu_side > 0) pcie = pcie > 0 ? std::min(pcie, gpu_side) : gpu_side;
  }
  p.gpu_nic_gbps = pcie;
  p.transport = n.rdma() && !sockets_forced(t.system.nccl_network_env) ? "IB" : "Socket";
  // NCCL_NET_GDR_LEVEL's default lets the NIC reach GPU memory below a common PCIe switch only.
  p.gdr = p.transport == "IB" && gdr_available(t.system.gpudirect_rdma) &&
          (cls == topology::PathClass::pix || cls == topology::PathClass::pxb);
  return p;
}

}  // namespace

std::optional<NodeNetworkPath> network_path_of(const topology::Topology& t, int node, PathState state) {
  // The active RDMA NIC nearest the GPUs; else the fastest active Ethernet NIC.
  const topology::Nic* chosen = nullptr;
  auto better = [&](const topology::Nic& a, const topology::Nic& b) {
    if (a.rdma() != b.rdma()) return a.rdma();
    const int da = distance(nearest_gpu(a).second), db = distance(nearest_gpu(b).second);
    if (da != db) return da < db;
    return rate_of(t, a, state) > rate_of(t, b, state);
  };
  const auto& env = t.system.nccl_network_env;
  auto usable = [&](const topology::Nic& n) { return rate_of(t, n, state) > 0 && (!n.rdma() || hca_admitted(env, n.name)); };
  for (const auto& n : t.nics)
    if (usable(n) && (!chosen || better(n, *chosen))) chosen = &n;
  if (!chosen) return std::nullopt;
  // One NIC unless NCCL's IB transport has several RDMA NICs to spread over (its socket
  // transport is modelled on one interface; the healthy machine uses IB where it can). NCCL ranks
  // a GPU's NICs by bandwidth before distance, so only the fastest NICs are rails: a 25 GbE RoCE
  // port next to a GPU does not take its traffic from the HDR HCAs.
  std::vector<const topology::Nic*> rails;
  const bool ib = chosen->rdma() && (state == PathState::healthy || !sockets_forced(env));
  double fastest = 0;
  for (const auto& n : t.nics)
    if (n.rdma() && usable(n)) fastest = std::max(fastest, rate_of(t, n, state));
  if (ib)
    for (const auto& n : t.nics)
      if (n.rdma() && usable(n) && rate_of(t, n, state) >= fastest) rails.push_back(&n);
  if (rails.empty()) rails.push_back(chosen);
  auto finish = [&](NodeNetworkPath p) { return state == PathState::healthy ? healthy_path(p) : p; };
  if (rails.size() == 1 || t.gpus.empty()) return finish(path_through(t, *rails.front(), node, {}, state));
  // Each GPU to its nearest rail; ties to the one carrying the fewest GPUs so far.
  std::vector<std::vector<int>> carried(rails.size());
  for (const auto& g : t.gpus) {
    size_t best = 0;
    for (size_t r = 1; r < rails.size(); ++r) {
      const int d = distance_to(*rails[r], g.index), bd = distance_to(*rails[best], g.index);
      if (d < bd || (d == bd && carried[r].size() < carried[best].size())) best = r;
    }
    carried[best].push_back(g.index);
  }
  // The path that carries the node leader (GPU0, local rank 0) comes first: it is the one the
  // leaders' send/recv crosses.
  size_t lead = 0;
  for (size_t r = 0; r < rails.size(); ++r)
    if (!carried[r].empty() && carried[r].front() == t.gpus.front().index) lead = r;
  NodeNetworkPath p = path_through(t, *rails[lead], node, carried[lead], state);
  p.gpus = carried[lead];
  for (size_t r = 0; r < rails.size(); ++r) {
    if (r == lead || carried[r].empty()) continue;
    NodeNetworkPath more = path_through(t, *rails[r], node, carried[r], state);
    more.gpus = carried[r];
    p.more_rails.push_back(std::move(more));
  }
  return finish(p);
}

}  // namespace rigcheck::bench
