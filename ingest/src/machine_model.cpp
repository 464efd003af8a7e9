#include "rigcheck/ingest/machine_model.h"

#include <algorithm>
#include <cstdio>
#include <set>

#include "rigcheck/ingest/gpu_names.h"
#include "rigcheck/topology/gpu_models.h"
#include "rigcheck/topology/paths.h"

namespace rigcheck::ingest {

namespace {

using topology::PciKind;
using topology::PciNode;

// NVLink bundles seen by topo -m: all pairs with the same count among 3+ GPUs is an NVSwitch
// fabric (HGX: NV12, NV18), anything else direct bundles (hybrid cube-mesh, bridges).
bool looks_like_nvswitch(const PartialMachine& m, int& links) {
  // A cut paste gives only some rows: the pairs it does give decide.
  if (m.gpus.size() < 3) return false;
  links = -1;
  int known = 0;
  for (const auto& p : m.pairs) {
    if (!p.path && p.nvlink_links == 0) continue;  // nothing from topo -m about this pair
    if (p.nvlink_links == 0 || (links >= 0 && p.nvlink_links != links)) return false;
    links = p.nvlink_links;
    ++known;
  }
  return known >= 3 && links > 0;
}

topology::Topology build(const PartialMachine& m, bool assume, std::vector<bool>* known) {
  topology::Topology t;
  t.source.kind = "imported";
  t.system.nvidia_driver = m.versions.nvidia_driver;
  t.system.cuda_driver_version = m.versions.cuda_driver;
  t.system.cuda_runtime_version = m.versions.cuda_runtime;
  t.system.nccl_version = m.versions.nccl;
  std::set<int> numa;
  for (const auto& g : m.gpus)
    if (g.numa_node >= 0) numa.insert(g.numa_node);
  if (numa.empty()) numa.insert(0);
  // One socket per NUMA node that topo -m names: the usual two-socket layout; a multi-node-per-
  // socket BIOS setting (NPS4, SNC) would be counted as sockets, which only matters for SYS pairs.
  for (int n : numa) {
    t.packages.push_back({n, "", ""});
    t.numa_nodes.push_back({n, n, "", 0});
    PciNode hb;
    hb.id = static_cast<int>(t.pci.size());
    hb.kind = PciKind::host_bridge;
    hb.secondary_bus = static_cast<int>(t.pci.size());
    hb.subordinate_bus = hb.secondary_bus;
    hb.package = n;
    hb.numa_nodes = {n};
    t.pci.push_back(hb);
  }
  auto host_bridge_of = [&](int numa_node) {
    for (const auto& n : t.pci)
      if (n.kind == PciKind::host_bridge && n.package == std::max(0, numa_node)) return n.id;
    return 0;
  };
  int nvswitch_links = 0;
  const bool nvswitch = looks_like_nvswitch(m, nvswitch_links);
  for (size_t pos = 0; pos < m.gpus.size(); ++pos) {
    const ImportedGpu& ig = m.gpus[pos];
    const topology::GpuModel* model = model_for_name(ig.name);
    if (known) known->push_back(model != nullptr);
    PciNode port;
    port.id = static_cast<int>(t.pci.size());
    port.parent = host_bridge_of(ig.numa_node);
    port.kind = PciKind::root_port;
    port.address = topology::PciAddress{0xffff, 0, static_cast<uint8_t>(pos & 0x1f), static_cast<uint8_t>((pos >> 5) & 7)};
    port.name = "assumed CPU root port";
    t.pci.push_back(port);
    PciNode ep;
    ep.id = static_cast<int>(t.pci.size());
    ep.parent = port.id;
    ep.kind = PciKind::endpoint;
    ep.address = ig.address.value_or(topology::PciAddress{0xffff, static_cast<uint8_t>(pos + 1), 0, 0});
    ep.vendor_id = 0x10de;
    ep.device_id = model ? model->device_id : 0;
    ep.class_id = 0x0302;
    ep.name = ig.name;
    topology::PciLink link;
    link.source = "imported";
    // lspci's LnkCap of the GPU is what the link can do; LnkSta what it ran at (idle: maybe Gen1).
    const LspciLink* seen = nullptr;
    for (const auto& k : m.lspci)
      if (ig.address && k.device == ig.address->str() && k.cap.known()) seen = &k;
    if (seen) {
      link.device_max = link.max = seen->cap;
      link.current = seen->sta.known() ? seen->sta : seen->cap;
      if (assume) link.current = link.max;  // expectations: the link at its maximum, as for a live run
      link.source = "imported";
    } else if (assume && model) {
      link.max = link.device_max = link.current = {model->pcie_gen, model->pcie_width};
    }
    ep.link = link;
    t.pci.push_back(ep);
    topology::Gpu g;
    g.index = static_cast<int>(pos);
    g.node = ep.id;
    g.address = *ep.address;
    g.vendor_id = 0x10de;
    g.device_id = ep.device_id;
    g.name = ig.name;
    g.numa_node = ig.numa_node;
    g.local_cpus = ig.cpu_affinity;
    if (model) {
      g.architecture = model->architecture;
      g.compute_capability = model->compute_capability;
      g.gpu_max_gen = model->pcie_gen;
    }
    t.gpus.push_back(g);
  }
  // NVLink from topo -m, with the per-link rate of the card's NVLink generation.
  for (auto& g : t.gpus) {
    const topology::GpuModel* model = model_for_name(g.name);
    const int version = model ? model->nvlink_version : 0;
    const double rate = model && model->nvlink_gbps_per_link > 0 ? model->nvlink_gbps_per_link : topology::nvlink_gbps_per_link(version);
    if (nvswitch) {
      g.nvlink.push_back({"nvswitch", -1, "", nvswitch_links, version, rate});
      continue;
    }
    for (const auto& p : m.pairs) {
      if (p.nvlink_links == 0) continue;
      const int me = m.gpus[g.index].index;
      const int other = p.a == me ? p.b : p.b == me ? p.a : -1;
      if (other < 0) continue;
      for (size_t pos = 0; pos < m.gpus.size(); ++pos)
        if (m.gpus[pos].index == other) g.nvlink.push_back({"gpu", static_cast<int>(pos), "", p.nvlink_links, version, rate});
    }
  }
  topology::compute_paths(t);
  for (auto& pair : t.pairs) {
    const ImportedPair* p = find_pair(m, m.gpus[pair.a].index, m.gpus[pair.b].index);
    // The tree above is invented: its path classes are only kept in the assumed machine.
    if (p && p->path) pair.pcie = *p->path;
    else if (!assume) pair.pcie = topology::PathClass::unknown;
    if (p && p->p2p_granted) pair.p2p.cuda = p->p2p_granted;
  }
  if (!assume) {
    const topology::Bottleneck unknown{0, "unknown", "not stated by the imported outputs", -1};
    for (auto& g : t.gpus) g.host_path = unknown;
    for (auto& pair : t.pairs)
      if (pair.nvlink_links == 0) pair.bottleneck = unknown;
  }
  return t;
}

}  // namespace

// "GPU0-GPU7 (NVIDIA GeForce RTX 4090): link assumed at the card's Gen4 x16 …", one line per model.
void link_assumptions(const PartialMachine& m, std::vector<std::string>& out) {
  std::vector<std::pair<std::string, std::vector<int>>> by_model;
  for (const auto& g : m.gpus) {
    if (!model_for_name(g.name)) continue;
    if (std::any_of(m.lspci.begin(), m.lspci.end(), [&](const LspciLink& k) { return g.address && k.device == g.address->str() && k.cap.known(); }))
      continue;  // its link is known from lspci
    auto it = std::find_if(by_model.begin(), by_model.end(), [&](const auto& x) { return x.first == g.name; });
    if (it == by_model.end()) by_model.push_back({g.name, {g.index}});
    else it->second.push_back(g.index);
  }
  for (const auto& [name, gpus] : by_model) {
    const topology::GpuModel* model = model_for_name(name);
    std::string who = "GPU" + std::to_string(gpus.front());
    if (gpus.size() > 1) who += (gpus.size() == static_cast<size_t>(gpus.back() - gpus.front() + 1) ? "-GPU" : ",…,GPU") + std::to_string(gpus.back());
    out.push_back(who + " (" + name + "): link assumed at the card's Gen" + std::to_string(model->pcie_gen) + " x" +
                  std::to_string(model->pcie_width) + " on a CPU root port");
  }
}

MachineModel machine_model(const PartialMachine& m) {
  MachineModel mm;
  mm.stated = build(m, false, nullptr);
  mm.assumed = build(m, true, &mm.model_known);
  link_assumptions(m, mm.assumptions);
  for (const auto& g : m.gpus) mm.index_of.push_back(g.index);
  for (size_t pos = 0; pos < m.gpus.size(); ++pos) {
    if (!m.gpus[pos].address)
      mm.stated.notes.push_back({"import", "GPU" + std::to_string(m.gpus[pos].index) + ": no input gives its PCI address; " +
                                               mm.stated.gpus[pos].address.str() + " is a placeholder"});
    if (!mm.model_known[pos])
      mm.assumptions.push_back("GPU" + std::to_string(m.gpus[pos].index) + " (" + (m.gpus[pos].name.empty() ? "no name given" : m.gpus[pos].name) +
                               "): not in rigcheck's model table, so it gets no expected figures");
  }
  if (m.gpus.size() > 1 && std::none_of(m.pairs.begin(), m.pairs.end(), [](const ImportedPair& p) { return p.path.has_value() || p.nvlink_links > 0; }))
    mm.assumptions.push_back("no nvidia-smi topo -m: every GPU assumed on its own CPU root port of one socket");
  mm.stated.notes.push_back({"import", "machine described by imported outputs only: links, ACS, IOMMU and slots are unknown"});
  return mm;
}

int position_of(const MachineModel& mm, int index) {
  for (size_t i = 0; i < mm.index_of.size(); ++i)
    if (mm.index_of[i] == index) return static_cast<int>(i);
  return -1;
}

}  // namespace rigcheck::ingest
