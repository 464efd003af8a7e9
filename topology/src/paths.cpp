#include "rigcheck/topology/paths.h"

#include "rigcheck/topology/link_rates.h"

#include <algorithm>
#include <set>
#include <string_view>

namespace rigcheck::topology {
namespace {

int root_of(const Topology& t, int node) {
  while (t.pci[node].parent >= 0) node = t.pci[node].parent;
  return node;
}

std::string link_text(const Topology& t, const PciNode& n) {
  const PciNode& parent = t.pci[n.parent];
  std::string from = parent.address ? parent.address->str() : "root";
  std::string what = n.link->max.known() ? describe(n.link->max)
                                         : (n.link->current_gbps > 0 ? "current link" : "link of unknown speed");
  return from + " -> " + (n.address ? n.address->str() : "?") + " " + what;
}

// Keeps the slower of `best` and the link above `node`.
void consider_link(const Topology& t, int node, Bottleneck& best) {
  const PciNode& n = t.pci[node];
  if (!n.link) return;
  double g = link_gbps(*n.link);
  if (g <= 0) return;
  if (best.gbps <= 0 || g < best.gbps) best = Bottleneck{g, "pcie", link_text(t, n), node};
}

bool contains(std::string_view haystack, std::string_view needle) { return haystack.find(needle) != std::string_view::npos; }

}  // namespace

// Intel's DMI is invisible to PCI; assume the narrowest DMI of the PCH family (DMI 3.0 = Gen3 x4;
// 600/700-series DMI 4.0 x4 on B660/H610 class boards, x8 on Z690/Z790; Intel chipset product
// briefs) and say it is assumed.
std::optional<Bottleneck> chipset_uplink(const Topology& t, int node) {
  for (int p = node; p >= 0; p = t.pci[p].parent) {
    const PciNode& n = t.pci[p];
    if (n.kind != PciKind::root_port || !n.chipset || n.vendor_id != 0x8086) continue;
    bool dmi4 = contains(n.name, "Alder Lake") || contains(n.name, "Raptor Lake") || contains(n.name, "600 Series") ||
                contains(n.name, "700 Series");
    const ChipsetUplink dmi = intel_dmi(dmi4);
    return Bottleneck{pcie_gbps(dmi.gen, dmi.width), "dmi",
                      "chipset uplink (" + dmi.name + " assumed) above " + (n.address ? n.address->str() : "?"), -1};
  }
  return std::nullopt;
}

namespace {

int count_set_bits_union(const std::vector<int>& a, const std::vector<int>& b) {
  std::set<int> u(a.begin(), a.end());
  u.insert(b.begin(), b.end());
  return static_cast<int>(u.size());
}

}  // namespace

int lowest_common_ancestor(const Topology& t, int a, int b) {
  for (int x = a; x >= 0; x = t.pci[x].parent)
    for (int y = b; y >= 0; y = t.pci[y].parent)
      if (x == y) return x;
  return -1;
}

int bridges_between(const Topology& t, int node, int ancestor) {
  int n = 0;
  for (int p = t.pci[node].parent; p >= 0 && p != ancestor; p = t.pci[p].parent) n += is_bridge(t.pci[p].kind);
  return n;
}

std::vector<int> bridges_on_path(const Topology& t, int a, int b) {
  const int lca = lowest_common_ancestor(t, a, b);
  std::vector<int> out;
  for (int side : {a, b})
    for (int x = t.pci[side].parent; x >= 0 && x != lca; x = t.pci[x].parent)
      if (is_bridge(t.pci[x].kind)) out.push_back(x);
  return out;
}

PathClass classify_path(const Topology& t, int a, int b) {
  if (a == b) return PathClass::same;
  int lca = lowest_common_ancestor(t, a, b);
  if (lca >= 0) {
    if (t.pci[lca].kind == PciKind::host_bridge) return PathClass::phb;
    // Below a root port: one switch (each GPU one downstream port away from the common
    // upstream port) is PIX; anything deeper is PXB.
    return bridges_between(t, a, lca) <= 1 && bridges_between(t, b, lca) <= 1 ? PathClass::pix : PathClass::pxb;
  }
  // Different root buses: compare where they attach on the CPU side.
  const PciNode& ra = t.pci[root_of(t, a)];
  const PciNode& rb = t.pci[root_of(t, b)];
  if (ra.package >= 0 && rb.package >= 0 && ra.package != rb.package) return PathClass::sys;
  if (ra.numa_nodes.empty() && rb.numa_nodes.empty()) return PathClass::unknown;
  return count_set_bits_union(ra.numa_nodes, rb.numa_nodes) <= 1 ? PathClass::node : PathClass::sys;
}

double link_gbps(const PciLink& link) {
  if (link.max.known()) return pcie_gbps(link.max);
  return link.current_gbps;
}

Bottleneck host_path_bottleneck(const Topology& t, int node) {
  Bottleneck best{0, "unknown", "no link speed known", -1};
  for (int p = node; p >= 0; p = t.pci[p].parent) consider_link(t, p, best);
  if (auto dmi = chipset_uplink(t, node); dmi && (best.gbps <= 0 || dmi->gbps < best.gbps)) best = *dmi;
  return best;
}

namespace {

Bottleneck pcie_pair_bottleneck(const Topology& t, int a, int b) {
  Bottleneck best{0, "unknown", "no link speed known", -1};
  int lca = lowest_common_ancestor(t, a, b);
  for (int p = a; p >= 0 && p != lca; p = t.pci[p].parent) consider_link(t, p, best);
  for (int p = b; p >= 0 && p != lca; p = t.pci[p].parent) consider_link(t, p, best);
  return best;
}

// NVLink between two GPUs: a direct bundle, or both attached to NVSwitches (the fabric then
// carries as many links as the less-connected GPU has into it).
void nvlink_between(const Gpu& a, const Gpu& b, GpuPair& pair) {
  int direct = 0, a_switch = 0, b_switch = 0;
  double rate = 0;
  for (const auto& l : a.nvlink) {
    if (l.remote_kind == "gpu" && l.remote_gpu == b.index) direct += l.links, rate = l.gbps_per_link;
    if (l.remote_kind == "nvswitch") a_switch += l.links, rate = rate > 0 ? rate : l.gbps_per_link;
  }
  for (const auto& l : b.nvlink)
    if (l.remote_kind == "nvswitch") b_switch += l.links;
  if (direct > 0) {
    pair.nvlink_links = direct;
  } else if (a_switch > 0 && b_switch > 0) {
    pair.nvlink_links = std::min(a_switch, b_switch);
    pair.via_nvswitch = true;
  }
  if (pair.nvlink_links > 0) {
    pair.bottleneck = Bottleneck{pair.nvlink_links * rate, "nvlink",
                                 std::to_string(pair.nvlink_links) + " NVLink link(s)" +
                                     (pair.via_nvswitch ? " through NVSwitch" : ""),
                                 -1};
  }
}

}  // namespace

void compute_nic_paths(Topology& t) {
  const int nodes = static_cast<int>(t.pci.size());
  for (Nic& nic : t.nics) {
    nic.pcie_max.reset();
    nic.pcie_current.reset();
    nic.gpu_paths.assign(t.gpus.size(), PathClass::unknown);
    if (nic.node < 0 || nic.node >= nodes) continue;
    if (const auto& link = t.pci[nic.node].link) {
      if (link->max.known()) nic.pcie_max = link->max;
      if (link->current.known()) nic.pcie_current = link->current;
    }
    for (const Gpu& g : t.gpus)
      if (g.index >= 0 && g.index < static_cast<int>(t.gpus.size()) && g.node >= 0 && g.node < nodes)
        nic.gpu_paths[g.index] = classify_path(t, nic.node, g.node);
  }
}

void compute_paths(Topology& t) {
  compute_nic_paths(t);
  for (Gpu& g : t.gpus) g.host_path = host_path_bottleneck(t, g.node);
  std::vector<GpuPair> pairs;
  for (size_t i = 0; i < t.gpus.size(); ++i) {
    for (size_t j = i + 1; j < t.gpus.size(); ++j) {
      const Gpu& a = t.gpus[i];
      const Gpu& b = t.gpus[j];
      GpuPair p;
      p.a = a.index;
      p.b = b.index;
      if (const GpuPair* old = t.pair(p.a, p.b)) p.p2p = old->p2p;
      p.pcie = classify_path(t, a.node, b.node);
      p.bottleneck = pcie_pair_bottleneck(t, a.node, b.node);
      nvlink_between(a, b, p);
      pairs.push_back(p);
    }
  }
  t.pairs = std::move(pairs);
}

}  // namespace rigcheck::topology
