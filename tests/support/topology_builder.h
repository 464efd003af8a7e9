#pragma once
// Builds small Topology models by hand for tests that need exact, hand-computable answers.

#include <algorithm>
#include <cstdio>
#include <map>
#include <string>

#include "rigcheck/topology/model.h"
#include "rigcheck/topology/paths.h"

namespace rigcheck::testing {

class TopologyBuilder {
 public:
  explicit TopologyBuilder(int sockets = 1) {
    for (int s = 0; s < sockets; ++s) {
      // snprintf rather than string concatenation: GCC 12 warns falsely (-Wrestrict) on the latter at -O3.
      char cpus[32];
      std::snprintf(cpus, sizeof cpus, "%d-%d", s * 8, s * 8 + 7);
      t_.packages.push_back({s, cpus, "Test CPU"});
      t_.numa_nodes.push_back({s, s, cpus, 64ull << 30});
    }
  }

  int host_bridge(int socket = 0) {
    int id = add(-1, topology::PciKind::host_bridge);
    t_.pci[id].package = socket;
    t_.pci[id].numa_nodes = {socket};
    t_.pci[id].secondary_bus = next_bus_;
    return id;
  }
  // A port or device below `parent`; `gen`/`width` give its upstream link (0 = no link).
  int add(int parent, topology::PciKind kind, int gen = 0, int width = 0) {
    topology::PciNode n;
    n.id = static_cast<int>(t_.pci.size());
    n.parent = parent;
    n.kind = kind;
    if (kind != topology::PciKind::host_bridge) n.address = topology::PciAddress{0, static_cast<uint8_t>(next_bus_++), 0, 0};
    if (gen > 0) n.link = topology::PciLink{{gen, width}, {gen, width}, {gen, width}, {gen, width}, 0, "config"};
    t_.pci.push_back(n);
    return n.id;
  }
  int root_port(int hb) { return add(hb, topology::PciKind::root_port); }
  // A switch with its upstream link at gen/width; returns the upstream port.
  int switch_up(int parent, int gen, int width) { return add(parent, topology::PciKind::switch_upstream, gen, width); }
  int switch_down(int up, uint16_t acs_control = 0) {
    int id = add(up, topology::PciKind::switch_downstream);
    t_.pci[id].acs = topology::AcsState{0x005f, acs_control};
    return id;
  }
  // A GPU (device id from the model table) below `parent`, linked at gen/width.
  int gpu(int parent, uint16_t device_id, int gen, int width) {
    int id = add(parent, topology::PciKind::endpoint, gen, width);
    t_.pci[id].vendor_id = 0x10de;
    t_.pci[id].device_id = device_id;
    t_.pci[id].class_id = 0x0302;
    topology::Gpu g;
    g.index = static_cast<int>(t_.gpus.size());
    g.node = id;
    g.address = *t_.pci[id].address;
    g.vendor_id = 0x10de;
    g.device_id = device_id;
    int hb = id;
    while (t_.pci[hb].parent >= 0) hb = t_.pci[hb].parent;
    g.numa_node = t_.pci[hb].numa_nodes.empty() ? -1 : t_.pci[hb].numa_nodes.front();
    t_.gpus.push_back(g);
    return g.index;
  }
  void nvlink(int a, int b, int links, int version, double gbps_per_link) {
    t_.gpus[a].nvlink.push_back({"gpu", b, "", links, version, gbps_per_link});
    t_.gpus[b].nvlink.push_back({"gpu", a, "", links, version, gbps_per_link});
  }
  void set_p2p(int a, int b, bool ok) { p2p_[{std::min(a, b), std::max(a, b)}] = ok; }
  topology::Topology& raw() { return t_; }

  topology::Topology build() {
    topology::compute_paths(t_);
    for (auto& p : t_.pairs)
      if (auto it = p2p_.find({p.a, p.b}); it != p2p_.end()) p.p2p.cuda = it->second;
    return t_;
  }

 private:
  topology::Topology t_;
  int next_bus_ = 1;
  std::map<std::pair<int, int>, bool> p2p_;
};

}  // namespace rigcheck::testing
