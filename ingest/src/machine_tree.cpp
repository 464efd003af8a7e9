#include "machine_tree.h"

#include <algorithm>
#include <cstdio>

#include "rigcheck/ingest/blocks.h"

namespace rigcheck::ingest {

namespace {

using topology::PciKind;
using topology::PciNode;

// A bridge's kind from its parent's: a bridge on a root bus is a root port; below a root port or
// a downstream port is a switch's upstream port; below an upstream port, a downstream port.
PciKind kind_below(PciKind parent) {
  if (parent == PciKind::host_bridge) return PciKind::root_port;
  if (parent == PciKind::switch_upstream) return PciKind::switch_downstream;
  return PciKind::switch_upstream;
}

}  // namespace

const ImportedPciNode* TreeBuilder::node(const std::string& address) const {
  // lspci's tree is the real one; NCCL's XML drops ports, so it only fills in.
  const ImportedPciNode* found = nullptr;
  for (const auto& n : m_.pci_tree)
    if (n.device == address && (!found || n.from.tool == kLspci)) found = &n;
  return found;
}

int TreeBuilder::host_bridge(const ImportedPciNode& n, int numa_node) {
  const std::string key = n.root_bus.empty() ? n.from.tool : n.root_bus;
  if (auto it = hosts_.find(key); it != hosts_.end()) return it->second;
  PciNode hb;
  hb.id = static_cast<int>(t_.pci.size());
  hb.kind = PciKind::host_bridge;
  unsigned domain = 0, bus = 0;
  if (std::sscanf(key.c_str(), "%4x:%2x", &domain, &bus) == 2) hb.domain = domain, hb.secondary_bus = static_cast<int>(bus);
  else hb.secondary_bus = 0x100 + static_cast<int>(hosts_.size());  // NCCL's XML: one per <cpu>, no bus
  hb.subordinate_bus = hb.secondary_bus;
  const int numa = numa_node >= 0 ? numa_node : n.numa_node;
  hb.package = std::max(0, numa);
  if (numa >= 0) hb.numa_nodes = {numa};
  hb.name = n.from.tool == kLspci ? "root bus " + key + " (lspci -t)" : "CPU " + key + " (NCCL topology XML)";
  t_.pci.push_back(hb);
  if (std::none_of(t_.packages.begin(), t_.packages.end(), [&](const topology::Package& p) { return p.os_index == hb.package; }))
    t_.packages.push_back({hb.package, "", ""});
  if (numa >= 0 && std::none_of(t_.numa_nodes.begin(), t_.numa_nodes.end(), [&](const topology::NumaNode& x) { return x.os_index == numa; }))
    t_.numa_nodes.push_back({numa, hb.package, "", 0});
  hosts_[key] = hb.id;
  return hb.id;
}

int TreeBuilder::bridge(const ImportedPciNode& n, int parent_id, bool xml_top) {
  if (auto it = bridges_.find(n.device); it != bridges_.end()) return it->second;
  if (xml_top) {
    // NCCL's XML folds the CPU's root port into the <cpu>: put one back above each top bridge,
    // so two GPUs under different top bridges meet at the host bridge (PHB), as on the machine.
    PciNode port;
    port.id = static_cast<int>(t_.pci.size());
    port.parent = parent_id;
    port.kind = PciKind::root_port;
    port.address = topology::PciAddress{0xffff, static_cast<uint8_t>(0xfe - ((t_.pci.size() >> 8) & 0x3f)), static_cast<uint8_t>(t_.pci.size() & 0x1f), static_cast<uint8_t>((t_.pci.size() >> 5) & 7)};
    port.name = "CPU root port (not in NCCL's XML)";
    t_.pci.push_back(port);
    parent_id = port.id;
  }
  PciNode b;
  b.id = static_cast<int>(t_.pci.size());
  b.parent = parent_id;
  b.kind = kind_below(t_.pci[parent_id].kind);
  b.address = topology::PciAddress::parse(n.device);
  b.vendor_id = n.vendor_id;
  b.device_id = n.device_id;
  b.class_id = n.class_id ? n.class_id : 0x0604;
  b.name = n.name;
  // Its link: lspci's LnkCap/LnkSta for it when pasted, else the XML's maximum.
  for (const auto& k : m_.lspci)
    if (k.device == n.device && k.cap.known()) {
      topology::PciLink l;
      l.max = l.device_max = k.cap;
      l.current = k.sta.known() ? k.sta : k.cap;
      l.source = "imported";
      b.link = l;
    }
  // NCCL's XML links of bridges are not taken: in VMs they are the hypervisor's virtual ports
  // (2.5 GT/s x1 on IBM's H100 VSIs), which would make every expectation through them absurd.
  for (const auto& f : m_.lspci_functions)
    if (f.device == n.device && f.acs) b.acs = f.acs;
  t_.pci.push_back(b);
  bridges_[n.device] = b.id;
  return b.id;
}

int TreeBuilder::parent_for(const std::string& address, int numa_node) {
  const ImportedPciNode* self = node(address);
  if (!self) return -1;
  // The bridges above, nearest first; a cycle or a missing parent ends the walk.
  std::vector<const ImportedPciNode*> above;
  for (const ImportedPciNode* p = self; p && !p->parent.empty() && above.size() < 16;) {
    const ImportedPciNode* up = nullptr;
    for (const auto& n : m_.pci_tree)
      if (n.device == p->parent && n.from.tool == self->from.tool) up = &n;
    if (!up || std::find(above.begin(), above.end(), up) != above.end()) break;
    above.push_back(up);
    p = up;
  }
  int parent = host_bridge(above.empty() ? *self : *above.back(), numa_node);
  const bool xml = self->from.tool != kLspci;
  if (xml && above.empty()) {
    // A GPU right under the <cpu> (a VM's flat bus): give it a port of its own.
    PciNode port;
    port.id = static_cast<int>(t_.pci.size());
    port.parent = parent;
    port.kind = PciKind::root_port;
    port.address = topology::PciAddress{0xffff, static_cast<uint8_t>(0xfe - ((t_.pci.size() >> 8) & 0x3f)), static_cast<uint8_t>(t_.pci.size() & 0x1f), static_cast<uint8_t>((t_.pci.size() >> 5) & 7)};
    port.name = "CPU root port (not in NCCL's XML)";
    t_.pci.push_back(port);
    return port.id;
  }
  for (size_t i = above.size(); i-- > 0;) parent = bridge(*above[i], parent, xml && i + 1 == above.size());
  return parent;
}

}  // namespace rigcheck::ingest
