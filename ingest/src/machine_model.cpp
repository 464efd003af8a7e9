#include "rigcheck/ingest/machine_model.h"

#include <algorithm>
#include <cstdio>
#include <set>

#include "implied_nvlink.h"
#include "machine_tree.h"
#include "rigcheck/ingest/blocks.h"
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
  // The IOMMU as pasted kernel lines decide it (unknown when they do not), with the lines quoted:
  // the same field a live discovery fills from /sys, so the doctor's IOMMU rules read it alike.
  t.system.iommu = m.iommu.mode;
  t.system.cmdline = m.iommu.cmdline;
  if (m.iommu.mode != topology::IommuMode::unknown) {
    t.system.iommu_evidence = m.iommu.lines;
    t.system.iommu_evidence.push_back(m.iommu.why);
  }
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
  bool nvswitch = looks_like_nvswitch(m, nvswitch_links);
  // No input states the links: the NVSwitch the GPU model implies, for expectations only.
  if (const ImpliedNvlink implied = implied_nvlink(m); assume && implied.nvswitch) nvswitch = true, nvswitch_links = implied.links;
  TreeBuilder tree(m, t);
  std::vector<bool> in_tree;  // per GPU position: placed under an imported PCI tree
  for (size_t pos = 0; pos < m.gpus.size(); ++pos) {
    const ImportedGpu& ig = m.gpus[pos];
    const topology::GpuModel* model = model_for_name(ig.name);
    if (known) known->push_back(model != nullptr);
    // Under the bridges lspci -t or NCCL's XML show, else on a root port of its own (assumed).
    int parent = ig.address ? tree.parent_for(ig.address->str(), ig.numa_node) : -1;
    in_tree.push_back(parent >= 0);
    if (parent < 0) {
      PciNode port;
      port.id = static_cast<int>(t.pci.size());
      port.parent = host_bridge_of(ig.numa_node);
      port.kind = PciKind::root_port;
      port.address = topology::PciAddress{0xffff, 0, static_cast<uint8_t>(pos & 0x1f), static_cast<uint8_t>((pos >> 5) & 7)};
      port.name = "assumed CPU root port";
      t.pci.push_back(port);
      parent = port.id;
    }
    PciNode ep;
    ep.id = static_cast<int>(t.pci.size());
    ep.parent = parent;
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
    } else if (const ImportedPciNode* n = ig.address ? tree.node(ig.address->str()) : nullptr; n && n->link.known()) {
      link.max = link.device_max = n->link;  // NCCL's XML: the maximum, not what it runs at
      if (assume) link.current = n->link;
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
    // topo -m's class when given; the tree's when both GPUs are in an imported tree.
    if (p && p->path) pair.pcie = *p->path;
    else if (!assume && !(in_tree[pair.a] && in_tree[pair.b])) pair.pcie = topology::PathClass::unknown;
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
    // The table leaves a model's PCIe figures out when no source gives them: then nothing is assumed.
    if (model->pcie_gen <= 0 || model->pcie_width <= 0)
      out.push_back(who + " (" + name + "): link unknown (no input states it and rigcheck's model table has no PCIe figure for the card)");
    else
      out.push_back(who + " (" + name + "): link assumed at the card's Gen" + std::to_string(model->pcie_gen) + " x" +
                    std::to_string(model->pcie_width) + " on a CPU root port");
  }
}

// A rigcheck report's machine is taken whole when the imported GPUs are exactly its GPUs (other
// inputs about other GPUs would not fit in it; then it is ignored and said so).
bool reported_machine_fits(const PartialMachine& m) {
  if (!m.reported_topology || m.reported_topology->gpus.size() != m.gpus.size()) return false;
  for (size_t i = 0; i < m.gpus.size(); ++i)
    if (m.reported_topology->gpus[i].index != m.gpus[i].index) return false;
  return true;
}

// What one input says about a GPU that another input names: its NUMA node from lspci -vvv or
// NCCL's XML; and, when no input gives any GPU's address but lspci lists exactly as many NVIDIA
// GPUs as there are, their addresses in bus order, the order nvidia-smi (and rigcheck) numbers
// them in (CUDA's default order can differ; said as an assumption).
PartialMachine completed(const PartialMachine& in, std::vector<std::string>& assumptions) {
  PartialMachine m = in;
  std::vector<std::string> listed;
  for (const auto& f : m.lspci_functions)
    if (f.nvidia_gpu && !f.device.empty() && std::find(listed.begin(), listed.end(), f.device) == listed.end()) listed.push_back(f.device);
  if (listed.empty())
    for (const auto& n : m.pci_tree) {
      const bool gpu_name = n.name.find("NVIDIA") != std::string::npos && n.name.find("Audio") == std::string::npos &&
                            n.name.find("USB") == std::string::npos && n.name.find("Serial") == std::string::npos &&
                            n.name.find("Bridge") == std::string::npos && n.name.find("Switch") == std::string::npos;
      if (n.from.tool == kLspci && !n.bridge && gpu_name) listed.push_back(n.device);
    }
  std::sort(listed.begin(), listed.end());
  // No tool named any GPU (an lspci paste alone): lspci's NVIDIA GPUs are the GPUs, in bus order,
  // with the names lspci gives them.
  if (m.gpus.empty() && !listed.empty() && listed.size() <= 64) {
    for (size_t i = 0; i < listed.size(); ++i) {
      ImportedGpu& g = gpu_at(m, static_cast<int>(i));
      g.address = topology::PciAddress::parse(listed[i]);
      for (const auto& f : m.lspci_functions)
        if (f.device == listed[i] && !f.name.empty()) g.name = f.name;
      for (const auto& n : m.pci_tree)
        if (g.name.empty() && n.device == listed[i]) g.name = n.name;
    }
    assumptions.push_back("GPUs taken from lspci's NVIDIA display functions, numbered in PCI bus order (as nvidia-smi numbers them)");
  }
  const bool none_placed = std::none_of(m.gpus.begin(), m.gpus.end(), [](const ImportedGpu& g) { return g.address.has_value(); });
  if (none_placed && !m.gpus.empty() && listed.size() == m.gpus.size()) {
    for (size_t i = 0; i < m.gpus.size(); ++i) m.gpus[i].address = topology::PciAddress::parse(listed[i]);
    assumptions.push_back("GPU addresses from lspci in PCI bus order (nvidia-smi's numbering; CUDA_DEVICE_ORDER=PCI_BUS_ID to match)");
  }
  for (auto& g : m.gpus) {
    if (g.numa_node >= 0 || !g.address) continue;
    for (const auto& f : m.lspci_functions)
      if (f.device == g.address->str() && f.numa_node >= 0) g.numa_node = f.numa_node;
    for (const auto& n : m.pci_tree)
      if (g.numa_node < 0 && n.device == g.address->str() && n.numa_node >= 0) g.numa_node = n.numa_node;
  }
  return m;
}

MachineModel machine_model(const PartialMachine& input) {
  MachineModel mm;
  const PartialMachine m = completed(input, mm.assumptions);
  if (reported_machine_fits(m)) {
    mm.stated = mm.assumed = *m.reported_topology;
    for (const auto& g : m.gpus) mm.index_of.push_back(g.index), mm.model_known.push_back(true);
    mm.stated.notes.push_back({"import", "machine as recorded in the imported rigcheck report (discovered " +
                                             (m.reported_topology->source.kind.empty() ? std::string("by rigcheck") : "from " + m.reported_topology->source.kind) + ")"});
    return mm;
  }
  mm.stated = build(m, false, nullptr);
  mm.assumed = build(m, true, &mm.model_known);
  link_assumptions(m, mm.assumptions);
  const ImpliedNvlink implied = implied_nvlink(m);  // only ever set for 2 GPUs or more
  const std::string all = m.gpus.empty() ? "" : "GPU" + std::to_string(m.gpus.front().index) + "-GPU" + std::to_string(m.gpus.back().index);
  if (implied.nvswitch) {
    mm.nvlink_assumed = implied.assumption;
    mm.assumptions.push_back(all + ": NVLink assumed from the GPU model (" + implied.assumption + ")");
  } else if (!implied.unknown.empty()) {
    mm.peer_links_unknown = implied.unknown;
    mm.assumptions.push_back(all + ": links between the GPUs unknown (" + implied.unknown + "); GPU-to-GPU figures are judged against PCIe only");
    const bool single_host_collective =
        std::any_of(m.collectives.begin(), m.collectives.end(), [](const ImportedCollective& c) { return c.hosts <= 1 && c.headers <= 1; });
    if (single_host_collective) mm.cannot_show.push_back("links unknown: busbw not judged (" + implied.unknown + ")");
  }
  for (const auto& g : m.gpus) mm.index_of.push_back(g.index);
  for (size_t pos = 0; pos < m.gpus.size(); ++pos) {
    if (!m.gpus[pos].address)
      mm.stated.notes.push_back({"import", "GPU" + std::to_string(m.gpus[pos].index) + ": no input gives its PCI address; " +
                                               mm.stated.gpus[pos].address.str() + " is a placeholder"});
    if (!mm.model_known[pos])
      mm.assumptions.push_back("GPU" + std::to_string(m.gpus[pos].index) + " (" + (m.gpus[pos].name.empty() ? "no name given" : m.gpus[pos].name) +
                               "): not in rigcheck's model table, so it gets no expected figures");
  }
  if (m.reported_topology)
    mm.assumptions.push_back("the imported rigcheck report's machine was not used: other inputs name GPUs it does not have");
  const auto in_a_tree = [&](const ImportedGpu& g) {
    return g.address && std::any_of(m.pci_tree.begin(), m.pci_tree.end(), [&](const ImportedPciNode& n) { return n.device == g.address->str(); });
  };
  if (m.gpus.size() > 1 && std::none_of(m.gpus.begin(), m.gpus.end(), in_a_tree) &&
      std::none_of(m.pairs.begin(), m.pairs.end(), [](const ImportedPair& p) { return p.path.has_value() || p.nvlink_links > 0; }))
    mm.assumptions.push_back("no nvidia-smi topo -m: every GPU assumed on its own CPU root port of one socket");
  std::string unknown = "links, ACS, IOMMU and slots are unknown";
  if (m.iommu.mode != topology::IommuMode::unknown)
    unknown = "links, ACS and slots are unknown unless stated; the IOMMU is " + std::string(topology::to_string(m.iommu.mode)) + " (" + m.iommu.why + ")";
  else if (!m.iommu.why.empty())
    unknown += " (IOMMU lines were pasted: " + m.iommu.why + ")";
  mm.stated.notes.push_back({"import", "machine described by imported outputs only: " + unknown});
  return mm;
}

int position_of(const MachineModel& mm, int index) {
  for (size_t i = 0; i < mm.index_of.size(); ++i)
    if (mm.index_of[i] == index) return static_cast<int>(i);
  return -1;
}

}  // namespace rigcheck::ingest
