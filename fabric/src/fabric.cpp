#include "rigcheck/fabric/fabric.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <map>

#include "rigcheck/topology/gpu_models.h"
#include "rigcheck/topology/pcie_link.h"
#include "rigcheck/topology/paths.h"

namespace rigcheck::fabric {

using topology::PciKind;

namespace {

// A link's capacity in the model; 0 (unlimited) when nothing is known.
double link_capacity(const topology::Topology& t, const topology::PciLink& l) {
  const topology::LinkState loaded = loaded_link(t, l);
  if (loaded.known()) return topology::pcie_gbps(loaded);
  return l.current_gbps;  // hwloc XML: one combined figure; 0 = unknown = unlimited
}

}  // namespace

topology::LinkState loaded_link(const topology::Topology& t, const topology::PciLink& l) {
  if (topology::links_read_at_rest(t) && l.current.known() && l.max.known()) return {l.max.gen, std::min(l.current.width, l.max.width)};
  if (l.current.known()) return l.current;
  if (l.max.known()) return l.max;
  return {};
}

Fabric::Fabric(const topology::Topology& t, const FabricConstants& c) : t_(t), c_(c), platform_(&platform_of(t)) {
  const int n = static_cast<int>(t.pci.size());
  up_edge_.assign(n, -1);
  forward_edge_.assign(n, -1);
  for (const auto& node : t.pci) {
    if (node.parent < 0) continue;
    std::string name = node.address ? node.address->str() : "node " + std::to_string(node.id);
    // A port right below a host bridge forwards peer traffic to the root complex's other ports:
    // one capacity per port and direction, so pairs on different ports do not share it. A
    // platform's own forwarding share (Intel's 64-byte TLPs) is a cost on the whole route instead
    // (pcie_peer_route): it falls on the source's links up to the root complex, a narrow one too.
    if (t.pci[node.parent].parent < 0)
      forward_edge_[node.id] = add_edge("root complex P2P forwarding from " + name + " (" + platform_->name + ")", c.root_complex_p2p_gbps);
    double gbps = node.link ? link_capacity(t, *node.link) : 0;
    if (node.kind == PciKind::root_port && node.chipset) {
      if (auto dmi = topology::chipset_uplink(t, node.id)) {
        gbps = dmi->gbps;
        name += " chipset uplink";
      }
    }
    // Switch-internal paths and root-port attachments are not links: no edge, no hop.
    if (gbps > 0) up_edge_[node.id] = add_edge("link above " + name, gbps);
  }
  int max_package = 0;
  for (const auto& p : t.packages) max_package = std::max(max_package, p.os_index);
  for (const auto& node : t.pci) max_package = std::max(max_package, node.package);
  sockets_ = max_package + 1;
  // The sockets are joined by the platform's links (platforms.json); one stream crosses one of
  // them, so each link is its own edge and streams spread over them. Measured: one stream gets
  // about 0.7 of one xGMI link on Rome and Genoa (a Gen4 x16 pair still crosses Genoa at full
  // speed, a Gen5 x16 pair does not), while on Turin a Gen5 x16 pair is not held back.
  socket_edge_.assign(sockets_, std::vector<std::vector<int>>(sockets_));
  const std::string platform_text = describe(*platform_, t);
  // A platform measured on its own (Turin) keeps its figure; the others take the fitted default.
  const double link_share =
      platform_->socket_link_efficiency > 0 ? platform_->socket_link_efficiency : c.socket_link_efficiency;
  for (int a = 0; a < sockets_; ++a)
    for (int b = a + 1; b < sockets_; ++b)
      for (int l = 0; l < std::max(1, platform_->links); ++l) {
        const int e = add_edge("inter-socket link " + std::to_string(a) + "-" + std::to_string(b) + " #" + std::to_string(l) +
                                   " (" + platform_text + ")",
                               platform_->link_gbps() * link_share);
        socket_edge_[a][b].push_back(e);
        socket_edge_[b][a].push_back(e);
      }
  add_memory_edges();

  const int g = static_cast<int>(t.gpus.size());
  nvlink_edge_.assign(g, std::vector<int>(g, -1));
  nvswitch_edge_.assign(g, -1);
  nvlink_version_.assign(g, std::vector<int>(g, 0));
  for (const auto& gpu : t.gpus) {
    device_memory_edge_.push_back(add_edge("GPU" + std::to_string(gpu.index) + " memory", c.device_memory_gbps));
    int switch_links = 0;
    double rate = 0;
    for (const auto& b : gpu.nvlink) {
      if (b.remote_kind == "nvswitch") switch_links += b.links, rate = b.gbps_per_link;
      if (b.remote_kind == "gpu" && b.remote_gpu > gpu.index) {
        nvlink_edge_[gpu.index][b.remote_gpu] = nvlink_edge_[b.remote_gpu][gpu.index] = add_edge(
            "NVLink GPU" + std::to_string(gpu.index) + "-GPU" + std::to_string(b.remote_gpu), b.links * b.gbps_per_link);
        nvlink_version_[gpu.index][b.remote_gpu] = nvlink_version_[b.remote_gpu][gpu.index] = b.version;
      }
    }
    if (switch_links > 0)
      nvswitch_edge_[gpu.index] = add_edge("NVLink GPU" + std::to_string(gpu.index) + "-NVSwitch", switch_links * rate);
  }
  add_staging_edges();
}

void Fabric::add_memory_edges() {
  // A platform with a DRAM figure of its own (platforms.json) shares one socket's line rate among
  // the socket's NUMA nodes (NPS4 splits the channels four ways); the others take the assumption.
  const double socket_rate = platform_->memory_gbps;
  std::map<int, int> nodes_of_package;
  for (const auto& numa : t_.numa_nodes) ++nodes_of_package[std::max(0, numa.package)];
  const auto node_rate = [&](int package) {
    return socket_rate > 0 ? socket_rate / std::max(1, nodes_of_package[std::max(0, package)]) : c_.host_memory_gbps;
  };
  const std::string whose = socket_rate > 0 ? " (" + platform_->name + ")" : " (assumed)";
  for (const auto& numa : t_.numa_nodes)
    memory_edge_.push_back(add_edge("host memory node " + std::to_string(numa.os_index) + whose, node_rate(numa.package)));
  if (memory_edge_.empty()) memory_edge_.push_back(add_edge("host memory" + whose, node_rate(0)));

  // Where the platform has a measured figure (Threadripper PRO 7000: about 73 GB/s each way), all
  // the DMA below one host bridge shares it. It is a delivered figure, measured with copy engines
  // over Gen5 links, and the fair share scales each flow by its route's efficiency afterwards: the
  // edge holds the figure divided by that efficiency, so such flows get exactly the figure back.
  host_bridge_dma_edge_.assign(t_.pci.size(), -1);
  if (platform_->host_bridge_dma_gbps <= 0) return;
  for (const auto& node : t_.pci) {
    if (node.kind != PciKind::host_bridge) continue;
    char bus[16];
    std::snprintf(bus, sizeof bus, "%04x:%02x", node.domain, static_cast<unsigned>(std::max(0, node.secondary_bus)));
    host_bridge_dma_edge_[node.id] = add_edge("host bridge " + std::string(bus) + " DMA to and from host memory (" + platform_->name + ")",
                                              platform_->host_bridge_dma_gbps / c_.pcie_efficiency_ce_gen5);
  }
}

void Fabric::add_staging_edges() {
  // The driver stages a copy without peer access through host memory; both directions of one
  // pair go through it, so they share one capacity: the gain times the pair's slower host link.
  const int g = static_cast<int>(t_.gpus.size());
  std::vector<double> host_link(g, 0);
  for (int i = 0; i < g; ++i) {
    const Route up = host_route(i, host_numa_for(Endpoint::host(), i), true, Engine::ce);
    const int e = narrowest_edge(up);
    host_link[i] = e >= 0 ? capacity(e) : 0;
  }
  staging_edge_.assign(g, std::vector<int>(g, -1));
  for (int a = 0; a < g; ++a)
    for (int b = a + 1; b < g; ++b) {
      const double slower = std::min(host_link[a], host_link[b]);
      if (slower <= 0) continue;  // an unlimited host link: nothing to share
      staging_edge_[a][b] = staging_edge_[b][a] =
          add_edge("host staging of GPU" + std::to_string(a) + "-GPU" + std::to_string(b) + " (both directions)",
                   slower * c_.host_staged_bidirectional_gain);
    }
}

int Fabric::link_gen(int gpu) const {
  const auto& node = t_.pci[t_.gpus[gpu].node];
  return node.link ? loaded_link(t_, *node.link).gen : 0;
}

double Fabric::ce_efficiency(int gpu) const { return link_gen(gpu) >= 5 ? c_.pcie_efficiency_ce_gen5 : c_.pcie_efficiency_ce; }

std::string Fabric::architecture_of(int gpu) const {
  if (!t_.gpus[gpu].architecture.empty()) return t_.gpus[gpu].architecture;
  if (const auto* m = topology::find_gpu_model(t_.gpus[gpu].device_id)) return m->architecture;
  return "";
}

double Fabric::sm_host_efficiency(int gpu, bool to_host) const {
  if (architecture_of(gpu) == "Hopper") return to_host ? c_.hopper_pcie_efficiency_sm_d2h : c_.hopper_pcie_efficiency_sm_h2d;
  return c_.pcie_efficiency_sm;
}

double Fabric::nvlink_ce_efficiency(int a, int b) const {
  int version = nvlink_edge_[a][b] >= 0 ? nvlink_version_[a][b] : 0;
  if (version == 0)
    for (const auto& bundle : t_.gpus[a].nvlink) version = std::max(version, bundle.version);
  if (version == 0)
    if (const auto* m = topology::find_gpu_model(t_.gpus[a].device_id)) version = m->nvlink_version;
  switch (version) {
    case 2: return c_.nvlink_efficiency_ce_v2;
    case 3: return c_.nvlink_efficiency_ce_v3;
    case 4: return c_.nvlink_efficiency_ce_v4;
    default: return c_.nvlink_efficiency_ce;
  }
}

int Fabric::add_edge(std::string name, double gbps) {
  edges_.push_back({std::move(name), gbps});
  return static_cast<int>(edges_.size()) - 1;
}

std::string Fabric::edge_name(int directed_edge) const {
  return edges_[directed_edge / 2].name + (directed_edge % 2 ? " (down)" : " (up)");
}

int Fabric::root_of(int node) const {
  while (t_.pci[node].parent >= 0) node = t_.pci[node].parent;
  return node;
}

int Fabric::socket_of_root(int root) const { return std::max(0, t_.pci[root].package); }

int Fabric::socket_of_numa(int numa) const {
  for (const auto& n : t_.numa_nodes)
    if (n.os_index == numa) return std::max(0, n.package);
  return 0;
}

int Fabric::host_numa_for(const Endpoint& host, int gpu) const {
  if (host.numa_node >= 0) return host.numa_node;
  int local = gpu >= 0 ? t_.gpus[gpu].numa_node : -1;
  if (local >= 0) return local;
  return t_.numa_nodes.empty() ? 0 : t_.numa_nodes.front().os_index;
}

// Upward edges (direction 0) from `from` to just below `stop`; latency per hop.
void Fabric::append_up(int from, int stop, std::vector<int>& out, double& latency) const {
  for (int x = from; x >= 0 && x != stop; x = t_.pci[x].parent) {
    if (up_edge_[x] < 0) continue;
    out.push_back(up_edge_[x] * 2);
    latency += c_.pcie_hop_ns;
  }
}

// Downward edges (direction 1) from below `stop` to `to`.
void Fabric::append_down(int stop, int to, std::vector<int>& out, double& latency) const {
  std::vector<int> chain;
  for (int x = to; x >= 0 && x != stop; x = t_.pci[x].parent)
    if (up_edge_[x] >= 0) chain.push_back(up_edge_[x] * 2 + 1);
  out.insert(out.end(), chain.rbegin(), chain.rend());
  latency += c_.pcie_hop_ns * static_cast<double>(chain.size());
}

void Fabric::append_socket_crossing(int from, int to, int stream, std::vector<int>& out, double& latency) const {
  if (from == to) return;
  const auto& links = socket_edge_[from][to];
  out.push_back(links[static_cast<size_t>(std::max(0, stream)) % links.size()] * 2 + (from < to ? 0 : 1));
  latency += c_.inter_socket_ns;
}

bool Fabric::p2p_allowed(int a, int b) const {
  if (const auto* p = t_.pair(a, b)) {
    if (p->p2p.cuda) return *p->p2p.cuda;
    if (!p->p2p.nvml_read.empty()) return p->p2p.nvml_read == "OK";
  }
  // Not measured: the stock driver's policy for these models (GeForce: no P2P over PCIe) and for
  // the platform (Intel: none across the sockets).
  for (int g : {a, b}) {
    const auto* model = topology::find_gpu_model(t_.gpus[g].device_id);
    if (model && !model->p2p_over_pcie) return false;
  }
  if (!platform_->cross_socket_p2p && crosses_sockets(a, b)) return false;
  return true;
}

bool Fabric::crosses_sockets(int a, int b) const {
  return socket_of_root(root_of(t_.gpus[a].node)) != socket_of_root(root_of(t_.gpus[b].node));
}

PeerPath Fabric::peer_path(int a, int b, Engine engine) const {
  if (nvlink_edge_[a][b] >= 0 || (nvswitch_edge_[a] >= 0 && nvswitch_edge_[b] >= 0)) return PeerPath::direct;
  if (p2p_allowed(a, b)) return PeerPath::direct;
  return engine == Engine::ce ? PeerPath::host_staged : PeerPath::unsupported;
}

Route Fabric::host_route(int gpu, int numa, bool to_host, Engine engine) const {
  Route r;
  const int node = t_.gpus[gpu].node;
  const int root = root_of(node);
  std::vector<int> up;
  double latency = c_.base_access_ns + c_.root_complex_ns;
  append_up(node, root, up, latency);
  if (host_bridge_dma_edge_[root] >= 0) up.push_back(host_bridge_dma_edge_[root] * 2);
  std::vector<int> cross;
  append_socket_crossing(socket_of_root(root), socket_of_numa(numa), gpu, cross, latency);
  int mem_index = 0;
  for (size_t i = 0; i < t_.numa_nodes.size(); ++i)
    if (t_.numa_nodes[i].os_index == numa) mem_index = static_cast<int>(i);
  const int mem = memory_edge_[std::min<size_t>(mem_index, memory_edge_.size() - 1)];
  if (to_host) {
    r.edges = up;
    r.edges.insert(r.edges.end(), cross.begin(), cross.end());
    r.edges.push_back(mem * 2);
  } else {
    // The same links in the other direction, in the order the data crosses them.
    r.edges.push_back(mem * 2 + 1);
    for (auto it = cross.rbegin(); it != cross.rend(); ++it) r.edges.push_back(*it ^ 1);
    for (auto it = up.rbegin(); it != up.rend(); ++it) r.edges.push_back(*it ^ 1);
  }
  r.latency_ns = latency;
  r.efficiency = engine == Engine::ce ? ce_efficiency(gpu) : sm_host_efficiency(gpu, to_host);
  r.host_gpu = gpu;
  r.to_host = to_host;
  // Published only for copy engines; SM copies keep independent directions.
  if (engine == Engine::ce) {
    const auto it = c_.host_duplex_share.find(architecture_of(gpu));
    if (it != c_.host_duplex_share.end()) r.duplex_share = to_host ? it->second.d2h : it->second.h2d;
  }
  return r;
}

double Fabric::tlp_share(const std::vector<int>& route, const std::vector<int>& pcie_links) const {
  // The route's bound with the platform's share on its PCIe links, over its bound without.
  double pcie = std::numeric_limits<double>::infinity(), other = pcie;
  for (int e : route) {
    if (capacity(e) <= 0) continue;
    double& bound = std::find(pcie_links.begin(), pcie_links.end(), e) != pcie_links.end() ? pcie : other;
    bound = std::min(bound, capacity(e));
  }
  const double without = std::min(pcie, other);
  if (!std::isfinite(without)) return platform_->root_complex_p2p_share;  // no known capacity
  return std::min(platform_->root_complex_p2p_share * pcie, other) / without;
}

Route Fabric::pcie_peer_route(int a, int b, Engine engine) const {
  Route r;
  std::vector<int> pcie_links;  // a route through the root complex: the source's links up to it
  const int na = t_.gpus[a].node, nb = t_.gpus[b].node;
  const int lca = topology::lowest_common_ancestor(t_, na, nb);
  bool redirected = false;
  if (lca >= 0)
    for (int x : topology::bridges_on_path(t_, na, nb)) redirected = redirected || (t_.pci[x].acs && t_.pci[x].acs->redirects_p2p());
  double latency = c_.base_access_ns;
  if (lca >= 0 && !redirected && t_.pci[lca].kind != PciKind::host_bridge) {
    append_up(na, lca, r.edges, latency);
    append_down(lca, nb, r.edges, latency);
  } else {
    // Through the root complex: ACS redirect sends even switch-local traffic up there.
    r.through_root_complex = true;
    const int ra = root_of(na), rb = root_of(nb);
    append_up(na, ra, pcie_links, latency);
    r.edges = pcie_links;
    latency += c_.root_complex_ns;
    // Forwarded by the root port the data comes up through (the child of the host bridge), to a
    // port of the same host bridge or of another one (another PCIe root of the CPU, or a socket).
    int port = na;
    while (port >= 0 && t_.pci[port].parent != ra) port = t_.pci[port].parent;
    if (port >= 0 && forward_edge_[port] >= 0) r.edges.push_back(forward_edge_[port] * 2);
    if (ra != rb) {
      const int sa = socket_of_root(ra), sb = socket_of_root(rb);
      append_socket_crossing(sa, sb, a + b, r.edges, latency);  // a pair's two directions on one link
      r.crosses_sockets = sa != sb;
      latency += c_.root_complex_ns;
    }
    append_down(rb, nb, r.edges, latency);
  }
  r.latency_ns = latency;
  r.efficiency = engine == Engine::ce ? std::min(ce_efficiency(a), ce_efficiency(b)) : c_.pcie_efficiency_sm;
  // Forwarded by the root complex on a platform with its own share (platforms.json: Intel, 64-byte
  // TLPs, 1/1.2 of the bytes): measured between two x16 root ports (Xeon W-3365) and across two
  // switches with x1 links (Xeon E5-2630 v4): an x1 source writes 0.73 GB/s across against 0.82
  // under one switch, while the x8 GPU writes into the same x1 cards across at 0.82. So the cost
  // falls on the source's links up to the root complex; where another edge (a socket link, the
  // destination's link) binds first, the route keeps its rate.
  if (r.through_root_complex && platform_->root_complex_p2p_share > 0) {
    r.tlp_share = tlp_share(r.edges, pcie_links);
    r.efficiency *= r.tlp_share;
  }
  if (t_.system.iommu == topology::IommuMode::translated) r.efficiency *= c_.iommu_translated_p2p_factor;
  return r;
}

Route Fabric::route(const Endpoint& src, const Endpoint& dst, Engine engine) const {
  if (src.is_host() && dst.is_host()) return Route{{memory_edge_.front() * 2}, 1, 0, PeerPath::direct, false};
  if (src.is_host()) return host_route(dst.gpu, host_numa_for(src, dst.gpu), false, engine);
  if (dst.is_host()) return host_route(src.gpu, host_numa_for(dst, src.gpu), true, engine);
  const int a = src.gpu, b = dst.gpu;
  if (a == b) {
    Route r;
    r.edges = {device_memory_edge_[a] * 2};
    r.latency_ns = c_.base_access_ns;
    return r;
  }
  if (nvlink_edge_[a][b] >= 0 || (nvswitch_edge_[a] >= 0 && nvswitch_edge_[b] >= 0)) {
    Route r;
    r.nvlink = true;
    if (nvlink_edge_[a][b] >= 0) {
      r.edges = {nvlink_edge_[a][b] * 2 + (a < b ? 0 : 1)};
      r.latency_ns = c_.base_access_ns + c_.nvlink_hop_ns;
    } else {
      r.edges = {nvswitch_edge_[a] * 2, nvswitch_edge_[b] * 2 + 1};
      r.latency_ns = c_.base_access_ns + 2 * c_.nvlink_hop_ns;
    }
    r.efficiency = engine == Engine::ce ? nvlink_ce_efficiency(a, b) : c_.nvlink_efficiency_sm;
    return r;
  }
  PeerPath path = peer_path(a, b, engine);
  if (path == PeerPath::direct) return pcie_peer_route(a, b, engine);
  Route r = host_staged_route(a, b, engine);
  r.path = path;
  return r;
}

Route Fabric::host_staged_route(int a, int b, Engine engine) const {
  // Both legs carry the bytes at once (the bounce buffers are pipelined).
  const int numa = host_numa_for(Endpoint::host(), a);
  Route to_host = host_route(a, numa, true, engine);
  Route from_host = host_route(b, numa, false, engine);
  Route r;
  r.path = PeerPath::host_staged;
  r.edges = to_host.edges;
  r.edges.insert(r.edges.end(), from_host.edges.begin(), from_host.edges.end());
  if (a != b && staging_edge_[a][b] >= 0) r.edges.push_back(staging_edge_[a][b] * 2);  // one direction for both ways
  // No duplex share (host_gpu stays -1): the staging gain, fitted on staged pairs both ways, covers it.
  // The driver's staging (copy engines) costs its own factor, by the generation of the slower
  // GPU link; NCCL's SHM transport (SM copies) has its own, applied by the ring model.
  r.efficiency = std::min(to_host.efficiency, from_host.efficiency);
  if (engine == Engine::ce) {
    const int gen = std::min(link_gen(a), link_gen(b));
    const double share = gen >= 5   ? c_.host_staged_efficiency_gen5
                         : gen == 4 ? c_.host_staged_efficiency_gen4
                         : gen >= 1 ? c_.host_staged_efficiency_gen3
                                    : c_.host_staged_efficiency;
    r.efficiency *= staged_share(share, gen, std::min(pcie_path_gbps(a), pcie_path_gbps(b)));
  }
  r.latency_ns = c_.host_staged_latency_us * 1000.0;
  return r;
}

double Fabric::pcie_path_gbps(int gpu) const {
  // The narrowest PCIe link between the GPU and its root complex (its own, a switch uplink, a
  // chipset's): what its host copies cross before any socket link or memory.
  std::vector<int> up;
  double latency = 0;
  const int node = t_.gpus[gpu].node;
  append_up(node, root_of(node), up, latency);
  const int e = narrowest_edge(Route{up});
  return e >= 0 ? capacity(e) : 0;
}

double Fabric::staged_share(double share_at_x16, int gen, double link_gbps) {
  // The staging shares are measured on x16 links. Staging adds its own time per byte to the
  // transfer's (the driver's copies through host memory), so on a narrower link, where the
  // transfer takes longer, it costs less: 1/staged = 1/link + 1/staging, with the staging rate
  // that gives the measured share at x16. GTX 1070s on x1 risers (Xeon E5-2630 v4) stage 0.76
  // GB/s where a CE copy moves 0.80 (rossumai/keras-multi-gpu, tests/calibration/SOURCES.md).
  if (gen < 1 || link_gbps <= 0 || share_at_x16 <= 0 || share_at_x16 >= 1) return share_at_x16;
  const double width = link_gbps / topology::pcie_gbps(gen, 16);
  if (width >= 1) return share_at_x16;  // what was measured
  return 1.0 / (1.0 + width * (1.0 - share_at_x16) / share_at_x16);
}

double Fabric::host_staged_gbps(int a, int b, Engine engine) const {
  const Route r = host_staged_route(a, b, engine);
  return fair_rates({&r}).front();
}

double Fabric::host_staged_bidirectional_gbps(int a, int b, Engine engine) const {
  const Route there = host_staged_route(a, b, engine), back = host_staged_route(b, a, engine);
  const auto rates = fair_rates({&there, &back});
  return rates[0] + rates[1];
}

int Fabric::narrowest_edge(const Route& route) const {
  int best = -1;
  for (int e : route.edges)
    if (capacity(e) > 0 && (best < 0 || capacity(e) < capacity(best))) best = e;
  return best;
}

std::vector<double> Fabric::fair_rates(const std::vector<const Route*>& flows) const { return fair_share(flows).rates; }

FairShare Fabric::fair_share(const std::vector<const Route*>& flows) const {
  // Progressive filling: raise every unfrozen flow's rate together until some link is full,
  // freeze the flows on it, repeat. The raw rates are then scaled by each route's efficiency.
  const size_t n = flows.size();
  std::vector<double> rate(n, 0);
  std::vector<int> binding(n, -1);
  std::vector<bool> frozen(n, false);
  std::map<int, double> remaining;
  for (const Route* f : flows)
    for (int e : f->edges)
      if (capacity(e) > 0) remaining[e] = capacity(e);
  for (size_t i = 0; i < n; ++i) {
    bool limited = false;
    for (int e : flows[i]->edges) limited = limited || capacity(e) > 0;
    if (!limited) frozen[i] = true, rate[i] = std::numeric_limits<double>::infinity();
  }
  for (size_t round = 0; round <= remaining.size(); ++round) {
    double step = std::numeric_limits<double>::infinity();
    for (const auto& [e, cap] : remaining) {
      int users = 0;
      for (size_t i = 0; i < n; ++i)
        if (!frozen[i]) users += static_cast<int>(std::count(flows[i]->edges.begin(), flows[i]->edges.end(), e));
      if (users > 0) step = std::min(step, cap / users);
    }
    if (!std::isfinite(step)) {
      // Only links of unbounded capacity are left (an overflowing links x rate): such a flow is
      // unlimited, as one with no link at all, not stuck at rate 0.
      for (size_t i = 0; i < n; ++i)
        if (!frozen[i]) rate[i] = std::numeric_limits<double>::infinity();
      break;
    }
    for (auto& [e, cap] : remaining) {
      for (size_t i = 0; i < n; ++i)
        if (!frozen[i]) cap -= step * static_cast<double>(std::count(flows[i]->edges.begin(), flows[i]->edges.end(), e));
    }
    for (size_t i = 0; i < n; ++i)
      if (!frozen[i]) rate[i] += step;
    for (size_t i = 0; i < n; ++i) {
      if (frozen[i]) continue;
      for (int e : flows[i]->edges)
        if (capacity(e) > 0 && remaining[e] <= 1e-9 * capacity(e) && !frozen[i]) frozen[i] = true, binding[i] = e;
    }
  }
  for (size_t i = 0; i < n; ++i) rate[i] *= flows[i]->efficiency;
  // A host copy with a copy the other way on the same GPU's host link keeps its duplex share: the
  // loss is measured per direction (one side keeps almost all of its rate) and is not a shared
  // capacity that max-min filling could find.
  std::vector<double> duplex(n, 1);
  for (size_t i = 0; i < n; ++i) {
    const Route& f = *flows[i];
    if (f.host_gpu < 0 || f.duplex_share >= 1) continue;
    for (size_t j = 0; j < n; ++j)
      if (j != i && flows[j]->host_gpu == f.host_gpu && flows[j]->to_host != f.to_host) duplex[i] = f.duplex_share;
    rate[i] *= duplex[i];
  }
  return {rate, binding, duplex};
}

}  // namespace rigcheck::fabric
