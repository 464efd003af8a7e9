// What the PCI tree of an import (lspci -tv, NCCL's topology XML, topo -m path classes) says
// about the figures: pairs behind one switch that are slower than pairs across switches (their
// copies share one uplink), a GPU behind the chipset that `topo -m` calls PHB, NICs far from
// their GPUs or without GPUDirect RDMA per NCCL, and a tree a hypervisor made up.

#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "import_util.h"
#include "rigcheck/diagnosis/catalogue.h"
#include "rigcheck/diagnosis/import_rules.h"
#include "rigcheck/ingest/blocks.h"
#include "rigcheck/topology/pci_address.h"
#include "rigcheck/topology/pcie_link.h"

namespace rigcheck::diagnosis {

namespace {

using detail::FindingSet;
using detail::gbps;

// The tree by BDF (lspci -tv and the XML name the same functions; the first one read is kept).
std::map<std::string, const ingest::ImportedPciNode*> tree_of(const ingest::PartialMachine& m) {
  std::map<std::string, const ingest::ImportedPciNode*> t;
  for (const auto& n : m.pci_tree) t.emplace(n.device, &n);
  return t;
}

// The bridges above `bdf`, nearest first (its root port last); empty when it is not in the tree.
std::vector<const ingest::ImportedPciNode*> bridges_above(const std::map<std::string, const ingest::ImportedPciNode*>& t, const std::string& bdf) {
  std::vector<const ingest::ImportedPciNode*> out;
  auto it = t.find(bdf);
  for (int depth = 0; it != t.end() && !it->second->parent.empty() && depth < 64; ++depth) {
    it = t.find(it->second->parent);
    if (it == t.end()) break;
    out.push_back(it->second);
  }
  return out;
}

// The bridges above `bdf` that are PCIe switch ports (or, in a VM, the bridges it emulates):
// lspci -tv's tree goes up to the root port, which is no switch; NCCL's XML has no root ports
// (its top <pci> elements are switches or the devices themselves), so all of its bridges count.
std::set<std::string> switches_above(const std::map<std::string, const ingest::ImportedPciNode*>& t, const std::string& bdf) {
  const auto up = bridges_above(t, bdf);
  std::set<std::string> out;
  for (size_t i = 0; i < up.size(); ++i)
    if (i + 1 < up.size() || up[i]->from.tool == ingest::kNcclTopologyXml) out.insert(up[i]->device);
  return out;
}

bool share_a_switch(const std::map<std::string, const ingest::ImportedPciNode*>& t, const std::string& a, const std::string& b) {
  const auto sa = switches_above(t, a), sb = switches_above(t, b);
  for (const auto& x : sa)
    if (sb.count(x)) return true;
  return false;
}

std::string bdf_of(const ingest::PartialMachine& m, int index) {
  for (const auto& g : m.gpus)
    if (g.index == index && g.address) return g.address->str();
  return "";
}

// Whether GPUs a and b sit behind one PCIe switch: topo -m PIX/PXB, or a bridge in the tree
// above both that is not a root port (a root port has no bridge above it). nullopt: unknown.
std::optional<bool> behind_one_switch(const ingest::PartialMachine& m, const std::map<std::string, const ingest::ImportedPciNode*>& t, int a, int b) {
  if (const auto* p = ingest::find_pair(m, a, b); p && p->path && p->nvlink_links == 0) {
    if (*p->path == topology::PathClass::pix || *p->path == topology::PathClass::pxb) return true;
    if (*p->path != topology::PathClass::unknown && *p->path != topology::PathClass::same) return false;
  }
  const std::string ba = bdf_of(m, a), bb = bdf_of(m, b);
  if (bridges_above(t, ba).empty() || bridges_above(t, bb).empty()) return std::nullopt;
  return share_a_switch(t, ba, bb);
}

void shared_uplink(const ingest::PartialMachine& m, FindingSet& out) {
  const auto t = tree_of(m);
  std::map<std::string, std::pair<std::vector<double>, std::vector<double>>> by_test;  // test -> (same switch, across)
  for (const auto& c : m.cells) {
    if (c.row < 0 || c.status != "ok" || c.value <= 0 || c.test.rfind("device_to_device_", 0) != 0) continue;
    if (const auto* p = ingest::find_pair(m, c.row, c.col); p && p->nvlink_links > 0) continue;
    const auto same = behind_one_switch(m, t, c.row, c.col);
    if (!same) continue;
    auto& [in, across] = by_test[c.test + " (" + c.from.tool + ")"];
    (*same ? in : across).push_back(c.value);
  }
  for (const auto& [test, groups] : by_test) {
    const auto& [in, across] = groups;
    if (in.size() < 2 || across.size() < 2) continue;
    const double a = detail::median(in), b = detail::median(across);
    if (a >= 0.9 * b) continue;
    out.add(make_finding("shared-uplink-pairs-slower"), "IMPORTED " + test + ": " + std::to_string(in.size()) + " directed pairs behind one switch at " + gbps(a) +
                                                           " (median) vs " + gbps(b) + " for " + std::to_string(across.size()) + " pairs across switches");
  }
}

bool chipset_name(const std::string& name) {
  for (const char* word : {"Chipset", "chipset", " PCH"})
    if (name.find(word) != std::string::npos) return true;
  return false;
}

// An NVIDIA GPU function by its name (lspci -tv prints names of leaf functions only).
bool gpu_name(const std::string& name) {
  return name.find("NVIDIA") != std::string::npos && name.find("Audio") == std::string::npos && name.find("USB") == std::string::npos &&
         name.find("Bridge") == std::string::npos && name.find("bridge") == std::string::npos;
}

// "0000:02:00.2" -> "0000:02:00": the device, all its functions.
std::string_view device_of(std::string_view bdf) { return bdf.substr(0, bdf.rfind('.')); }

// The chipset a bridge above a GPU belongs to, "" when nothing says so. lspci -tv names leaf
// functions only, so a bridge with buses below it is recognised by what sits beside it:
// - its own name, when lspci -vvv headers give one ("PCH PCI Express Root Port",
//   "600 Series Chipset Switch Downstream Port");
// - a chipset-named function of the same device: one PCIe link ends at one device, so its
//   functions are one component (a 500-series chipset is one device whose functions 0-2 are its
//   USB and SATA controllers and its switch's upstream port, 1022:43ee/43eb/43e9 in pci.ids);
// - an Intel root port on bus 0 at device 1b, 1c or 1d on a machine whose host bridge 00:00.0 is
//   Intel's: the PCH's root ports (Intel PCH datasheets, device/function tables; CPU root ports are
//   00:01.x and 00:06.0), as live discovery recognises them (topology/src/assemble.cpp).
std::string chipset_of(const ingest::ImportedPciNode& b, const std::map<std::string, std::string>& names) {
  if (auto it = names.find(b.device); it != names.end() && chipset_name(it->second)) return b.device + " (" + it->second + ")";
  for (const auto& [other, name] : names)
    if (other != b.device && device_of(other) == device_of(b.device) && chipset_name(name))
      return b.device + ", a function of the device whose " + other + " is " + name;
  const auto port = topology::PciAddress::parse(b.device);
  if (!b.parent.empty() || !port || !topology::is_intel_pch_root_port_slot(*port)) return "";
  const auto host = names.find(topology::PciAddress{port->domain, 0, 0, 0}.str());
  if (host == names.end() || host->second.rfind("Intel Corporation", 0) != 0) return "";
  const std::string device = b.device.substr(b.device.rfind(':') + 1, 2);
  return b.device + " (an Intel PCH root port: bus 0, device " + device + ")";
}

// GPUs behind the chipset: a bridge above the GPU that chipset_of recognises, or a chipset
// function (its USB or SATA controller) behind the same switch as the GPU.
void chipset_behind_phb(const ingest::PartialMachine& m, FindingSet& out) {
  const auto t = tree_of(m);
  std::map<std::string, std::string> names;
  for (const auto& n : m.pci_tree)
    if (!n.name.empty()) names.emplace(n.device, n.name);
  for (const auto& f : m.lspci_functions)
    if (!f.device.empty() && !f.name.empty()) names.emplace(f.device, f.name);
  // GPUs as nvidia-smi numbers them when no input gives their addresses: PCI bus order.
  std::vector<std::string> gpus_in_bus_order;
  for (const auto& [bdf, name] : names)
    if (gpu_name(name) && t.count(bdf)) gpus_in_bus_order.push_back(bdf);
  for (size_t k = 0; k < gpus_in_bus_order.size(); ++k) {
    const std::string& bdf = gpus_in_bus_order[k];
    std::string chipset;
    for (const auto* b : bridges_above(t, bdf))
      if (std::string c = chipset_of(*b, names); !c.empty()) chipset = std::move(c);
    if (chipset.empty())
      for (const auto& [other, name] : names)
        if (other != bdf && chipset_name(name) && share_a_switch(t, bdf, other)) chipset = "the switch that also holds " + other + " (" + name + ")";
    if (chipset.empty()) continue;
    int index = static_cast<int>(k);
    std::string numbered = " (numbered in PCI bus order)";
    for (const auto& g : m.gpus)
      if (g.address && g.address->str() == bdf) index = g.index, numbered.clear();
    std::string phb;
    for (const auto& p : m.pairs)
      if ((p.a == index || p.b == index) && p.path == topology::PathClass::phb)
        phb += (phb.empty() ? "" : ", ") + ("GPU" + std::to_string(p.a) + "-GPU" + std::to_string(p.b));
    out.add(make_finding("chipset-slot-hidden-by-phb"), "GPU" + std::to_string(index) + numbered + " at " + bdf + " is behind " + chipset + " (lspci)" +
                                                            (phb.empty() ? "" : "; nvidia-smi topo -m calls " + phb + " PHB"));
  }
}

std::string numa_of(const std::map<std::string, const ingest::ImportedPciNode*>& t, const std::string& bdf) {
  auto it = t.find(bdf);
  return it == t.end() || it->second->numa_node < 0 ? "" : std::to_string(it->second->numa_node);
}

void nic_locality(const ingest::PartialMachine& m, FindingSet& out) {
  if (m.xml_gpus.empty() || m.nic_devices.empty()) return;
  const auto t = tree_of(m);
  for (const auto& nic : m.nic_devices) {
    if (nic.gdr == false)
      out.add(make_finding("nccl-gdr-unavailable"), nic.name + (nic.device.empty() ? "" : " at " + nic.device) + ": gdr=\"0\" in NCCL's topology (" + detail::at(nic.from) + ")");
    if (nic.device.empty()) continue;
    // A GPU under the same switch (or, in a VM, the virtual bridge both hang off).
    std::string near, same_numa;
    const std::string numa = numa_of(t, nic.device);
    for (const auto& g : m.xml_gpus) {
      if (share_a_switch(t, nic.device, g.device)) near = g.device;
      if (!numa.empty() && numa_of(t, g.device) == numa) same_numa = g.device;
    }
    if (!near.empty()) continue;
    out.add(detail::import_wording("nic-far-from-gpus"), nic.name + " at " + nic.device + ": no GPU shares a PCIe switch with it" +
                                                   (numa.empty() ? "" : same_numa.empty() ? "; no GPU on its NUMA node " + numa : "; nearest GPUs only on its NUMA node " + numa + " (through the CPU)") +
                                                   " (NCCL topology, " + detail::at(nic.from) + ")");
  }
  for (const auto& g : m.xml_gpus)
    if (g.gdr == false) out.add(make_finding("nccl-gdr-unavailable"), "GPU dev " + std::to_string(g.dev) + " at " + g.device + ": gdr=\"0\" in NCCL's topology (" + detail::at(g.from) + ")");
}

// Signs that the PCIe tree is a hypervisor's: NCCL's XML with bridges slower than the devices
// below them (an emulated 2.5 GT/s x1 bridge above a 32 GT/s GPU) or endpoints without a link
// width; GPUs each alone on bus 00 of its own PCI domain (Hyper-V's virtual PCI); lspci names of
// emulated bridges.
void virtual_pcie(const ingest::PartialMachine& m, FindingSet& out) {
  const auto t = tree_of(m);
  int slow_bridges = 0, no_width = 0;
  std::string example;
  for (const auto& n : m.pci_tree) {
    if (n.from.tool != ingest::kNcclTopologyXml) continue;
    if (!n.bridge && n.link.gen > 0 && n.link.width == 0) ++no_width;
    auto up = t.find(n.parent);
    if (up != t.end() && up->second->link.gen > 0 && n.link.gen > up->second->link.gen + 2 && up->second->link.width == 1) {
      ++slow_bridges;
      if (example.empty()) example = up->second->device + " (" + describe(up->second->link) + ") above " + n.device + " (" + describe(n.link) + ")";
    }
  }
  if (slow_bridges > 0)
    out.add(make_finding("virtualised-pcie"), std::to_string(slow_bridges) + " device(s) under bridges far slower than themselves, e.g. " + example +
                                                  ", and " + std::to_string(no_width) + " endpoint(s) without a link width: an emulated PCIe tree (NCCL topology)");
  int own_domain = 0;
  std::string first;
  for (const auto& g : m.gpus)
    if (g.address && g.address->domain != 0 && g.address->bus == 0 && g.address->device == 0) ++own_domain, first = first.empty() ? g.address->str() : first;
  if (own_domain >= 2 && own_domain == static_cast<int>(m.gpus.size()))
    out.add(make_finding("virtualised-pcie"), std::to_string(own_domain) + " GPUs each at bus 00 of its own PCI domain (" + first +
                                                  " …): Hyper-V's virtual PCI, one domain per passed-through device");
  for (const auto& n : m.pci_tree)
    for (const char* word : {"QEMU", "Hyper-V", "VMware PCI Express Root Port", "Virtio"})
      if (n.name.find(word) != std::string::npos) {
        out.add(make_finding("virtualised-pcie"), n.device + ": " + n.name + " (lspci -tv)");
        return;
      }
}

}  // namespace

std::vector<Finding> import_topology_findings(const ingest::PartialMachine& m) {
  FindingSet out;
  shared_uplink(m, out);
  chipset_behind_phb(m, out);
  nic_locality(m, out);
  virtual_pcie(m, out);
  return out.list;
}

}  // namespace rigcheck::diagnosis
