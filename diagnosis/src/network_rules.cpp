#include "rigcheck/diagnosis/network_rules.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <map>
#include <set>

#include "rigcheck/diagnosis/catalogue.h"
#include "rigcheck/topology/paths.h"
#include "rigcheck/topology/render.h"

namespace rigcheck::diagnosis {
namespace {

using topology::Nic;
using topology::NicKind;
using topology::NicPort;
using topology::PathClass;
using topology::Topology;

const char* kind_text(NicKind k) {
  switch (k) {
    case NicKind::infiniband: return "InfiniBand";
    case NicKind::roce: return "RoCE";
    case NicKind::ethernet: return "Ethernet";
    case NicKind::unknown: return "network";
  }
  return "network";
}

std::string nic_label(const Nic& n) { return n.name + " (" + n.address.str() + ", " + kind_text(n.kind) + ")"; }

std::string gbit(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g Gb/s", v);
  return buf;
}

// Nearer first; unknown last, so it never counts as near.
int rank(PathClass c) {
  switch (c) {
    case PathClass::same: return 0;
    case PathClass::pix: return 1;
    case PathClass::pxb: return 2;
    case PathClass::phb: return 3;
    case PathClass::node: return 4;
    case PathClass::sys: return 5;
    case PathClass::unknown: return 6;
  }
  return 6;
}

// NCCL uses GPUDirect RDMA between a GPU and a NIC up to this distance by default
// (ncclTopoCheckGdr: netGdrLevel = PATH_PXB, NVIDIA/nccl src/graph/paths.cc).
bool gdr_distance(PathClass c) { return rank(c) <= rank(PathClass::pxb); }

std::vector<const Nic*> rdma_nics(const Topology& t) {
  std::vector<const Nic*> out;
  for (const Nic& n : t.nics)
    if (n.rdma()) out.push_back(&n);
  return out;
}

std::vector<int> all_gpus(const Topology& t) {
  std::vector<int> out;
  for (const auto& g : t.gpus) out.push_back(g.index);
  return out;
}

// ---- placement ---------------------------------------------------------------------------------

void far_nic_rules(const Topology& t, std::vector<Finding>& out) {
  std::vector<std::string> details;
  for (const Nic* n : rdma_nics(t)) {
    if (n->gpu_paths.empty()) continue;
    const auto best = std::min_element(n->gpu_paths.begin(), n->gpu_paths.end(),
                                       [](PathClass a, PathClass b) { return rank(a) < rank(b); });
    if (*best == PathClass::unknown || gdr_distance(*best)) continue;
    const int gpu = static_cast<int>(best - n->gpu_paths.begin());
    details.push_back(nic_label(*n) + ": nearest GPU is GPU" + std::to_string(gpu) + " at " + to_string(*best));
  }
  if (details.empty()) return;
  out.push_back(make_finding("nic-far-from-gpus", {{"nics", std::to_string(details.size())}}, details, all_gpus(t)));
}

// ---- links ---------------------------------------------------------------------------------------

void pcie_rules(const Topology& t, std::vector<Finding>& out) {
  for (const Nic& n : t.nics) {
    if (!n.pcie_max || !n.pcie_max->known()) continue;
    const auto& max = *n.pcie_max;
    if (n.pcie_current && n.pcie_current->known() && (n.pcie_current->width < max.width || n.pcie_current->gen < max.gen)) {
      const auto& cur = *n.pcie_current;
      out.push_back(make_finding("nic-pcie-link-downtrained",
                                 {{"nic", nic_label(n)}, {"current", describe(cur)}, {"max", describe(max)}, {"bdf", n.address.str()}},
                                 {n.name + ": current " + describe(cur) + " (" + gbit(topology::pcie_gbps(cur) * 8) + "), maximum " +
                                  describe(max) + " (" + gbit(topology::pcie_gbps(max) * 8) + ")"}));
    }
    // The ports of one function share its PCIe link.
    double ports = 0;
    for (const NicPort& p : n.ports)
      if (p.active()) ports += p.rate_gbit;
    const double pcie_gbit = topology::pcie_gbps(max) * 8;
    if (ports > 0 && pcie_gbit > 0 && pcie_gbit < ports * 0.99) {
      out.push_back(make_finding("nic-pcie-slower-than-port",
                                 {{"nic", nic_label(n)}, {"pcie", describe(max)}, {"pcie_gbit", gbit(pcie_gbit)}, {"port_gbit", gbit(ports)}},
                                 {n.name + ": PCIe " + describe(max) + " carries " + gbit(pcie_gbit) + " of payload; active ports " + gbit(ports)}));
    }
  }
}

void port_rate_rules(const Topology& t, std::vector<Finding>& out) {
  // Peers: adapters of the same model and kind on this node. One trained below the others has a
  // bad cable, transceiver or switch port (sysfs does not say what an adapter supports).
  std::map<std::pair<uint32_t, NicKind>, double> best;
  for (const Nic& n : t.nics)
    for (const NicPort& p : n.ports)
      if (n.rdma() && p.active()) {
        double& b = best[{(uint32_t{n.vendor_id} << 16) | n.device_id, n.kind}];
        b = std::max(b, p.rate_gbit);
      }
  for (const Nic& n : t.nics) {
    if (!n.rdma()) continue;
    for (const NicPort& p : n.ports) {
      if (!p.active() || p.rate_gbit <= 0) continue;
      const double peers = best[{(uint32_t{n.vendor_id} << 16) | n.device_id, n.kind}];
      std::string evidence;
      double expected = 0;
      if (n.max_rate_gbit > 0 && p.rate_gbit < n.max_rate_gbit) {
        expected = n.max_rate_gbit;
        evidence = "the adapter signals up to " + gbit(n.max_rate_gbit);
      } else if (p.rate_gbit < peers) {
        expected = peers;
        evidence = "other ports of the same adapter model on this node run at " + gbit(peers);
      }
      if (expected <= 0) continue;
      out.push_back(make_finding("nic-port-rate-below",
                                 {{"nic", nic_label(n)}, {"port", std::to_string(p.port)}, {"rate", gbit(p.rate_gbit)}, {"expected", gbit(expected)}},
                                 {n.name + " port " + std::to_string(p.port) + ": " + (p.rate_text.empty() ? gbit(p.rate_gbit) : p.rate_text) + "; " + evidence}));
    }
  }
}

void port_state_rules(const Topology& t, std::vector<Finding>& out) {
  // Ports switched off on purpose (Disabled) are only worth an info, and come after the others so
  // that a merged finding keeps the warning's severity.
  std::vector<Finding> disabled;
  for (const Nic& n : t.nics) {
    if (!n.rdma()) continue;  // unplugged Ethernet ports are everyday; RDMA ports NCCL would pick
    for (const NicPort& p : n.ports) {
      if (p.active() || p.state.empty()) continue;
      std::string evidence = n.name + " port " + std::to_string(p.port) + " state " + p.state +
                             (p.phys_state.empty() ? "" : ", physical state " + p.phys_state);
      if (p.phys_state == "LinkUp")
        evidence += n.kind == NicKind::infiniband ? ": the link is up but no subnet manager has configured the port"
                                                  : ": the link is up but the port is not active";
      else if (p.phys_state == "Polling")
        evidence += ": nothing answers at the other end (cable, transceiver or switch port)";
      Finding f = make_finding("nic-port-down", {{"nic", nic_label(n)}, {"port", std::to_string(p.port)}, {"state", p.state}},
                               {evidence});
      if (p.phys_state == "Disabled") {
        set_severity(f, Severity::info);
        disabled.push_back(std::move(f));
      } else {
        out.push_back(std::move(f));
      }
    }
  }
  for (auto& f : disabled) out.push_back(std::move(f));
}

// ---- GPUDirect RDMA ------------------------------------------------------------------------------

void gdr_rules(const Topology& t, std::vector<Finding>& out) {
  const auto nics = rdma_nics(t);
  const auto& gdr = t.system.gpudirect_rdma;
  if (nics.empty() || t.gpus.empty() || gdr.peer_module != "" || gdr.dmabuf.value_or(false)) return;
  std::string names;
  for (const Nic* n : nics) names += (names.empty() ? "" : ", ") + n->name;
  std::vector<std::string> evidence = gdr.evidence;
  evidence.insert(evidence.begin(), "RDMA adapters: " + names);
  out.push_back(make_finding("gpudirect-rdma-unavailable", {{"nics", names}}, evidence, all_gpus(t)));
}

void acs_rules(const Topology& t, std::vector<Finding>& out) {
  std::map<int, std::vector<std::string>> pairs_through;
  for (const Nic* n : rdma_nics(t)) {
    if (n->node < 0) continue;
    for (const auto& g : t.gpus) {
      if (g.index >= static_cast<int>(n->gpu_paths.size()) || !gdr_distance(n->gpu_paths[g.index])) continue;
      for (int x : topology::bridges_on_path(t, n->node, g.node)) {
        const auto& b = t.pci[x];
        if (b.acs && b.acs->redirects_p2p()) pairs_through[x].push_back(n->name + "-GPU" + std::to_string(g.index));
      }
    }
  }
  if (pairs_through.empty()) return;
  std::vector<std::string> evidence;
  std::string commands, list;
  for (const auto& [node, pairs] : pairs_through) {
    const auto& b = t.pci[node];
    std::string carried;
    for (size_t i = 0; i < pairs.size() && i < 6; ++i) carried += (i ? ", " : "") + pairs[i];
    if (pairs.size() > 6) carried += ", …";
    evidence.push_back(b.address->str() + " (" + to_string(b.kind) + "): " + topology::describe_acs(*b.acs) + "; carries " + carried);
    commands += "  sudo setpci -s " + b.address->str() + " ECAP_ACS+0x6.w=0000\n";
    list += (list.empty() ? "" : ";") + b.address->str();
  }
  out.push_back(make_finding("nic-gpu-path-acs-redirect",
                             {{"bridges", std::to_string(pairs_through.size())}, {"commands", commands}, {"bridge_list", list}},
                             evidence, all_gpus(t)));
}

// GPUDirect RDMA is peer DMA between the NIC and the GPU: with the IOMMU translating (not in
// pass-through), every such access is remapped, which costs bandwidth or fails outright.
void iommu_rules(const Topology& t, std::vector<Finding>& out) {
  if (t.system.iommu != topology::IommuMode::translated) return;
  std::vector<std::string> evidence = t.system.iommu_evidence;
  for (const Nic* n : rdma_nics(t)) {
    std::string near;
    for (const auto& g : t.gpus)
      if (g.index < static_cast<int>(n->gpu_paths.size()) && gdr_distance(n->gpu_paths[g.index]))
        near += (near.empty() ? "GPU" : ", GPU") + std::to_string(g.index);
    if (!near.empty()) evidence.push_back(n->name + ": " + near + " within PXB (GPUDirect RDMA candidates)");
  }
  if (evidence.size() == t.system.iommu_evidence.size()) return;  // no NIC that NCCL would pair with a GPU
  out.push_back(make_finding("nic-gpu-path-iommu-translated", {}, evidence, all_gpus(t)));
}

// ---- NCCL variables ------------------------------------------------------------------------------

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

void nccl_env_rules(const Topology& t, std::vector<Finding>& out) {
  bool active_rdma = false;
  for (const Nic* n : rdma_nics(t))
    for (const NicPort& p : n->ports) active_rdma |= p.active();
  if (!active_rdma) return;
  const auto& env = t.system.nccl_network_env;
  std::vector<std::string> evidence;
  if (auto it = env.find("NCCL_IB_DISABLE"); it != env.end() && it->second == "1")
    evidence.push_back("NCCL_IB_DISABLE=1: NCCL uses sockets instead of InfiniBand/RoCE verbs");
  if (auto it = env.find("NCCL_NET"); it != env.end() && lower(it->second) == "socket")
    evidence.push_back("NCCL_NET=" + it->second + ": NCCL uses the socket transport only");
  if (auto it = env.find("NCCL_NET_GDR_LEVEL"); it != env.end() && (lower(it->second) == "loc" || it->second == "0"))
    evidence.push_back("NCCL_NET_GDR_LEVEL=" + it->second + ": GPUDirect RDMA never used");
  if (evidence.empty()) return;
  out.push_back(make_finding("nccl-env-disables-rdma", {}, evidence));
}

}  // namespace

std::vector<Finding> network_findings(const Topology& t) {
  std::vector<Finding> out;
  far_nic_rules(t, out);
  pcie_rules(t, out);
  port_rate_rules(t, out);
  port_state_rules(t, out);
  gdr_rules(t, out);
  acs_rules(t, out);
  iommu_rules(t, out);
  nccl_env_rules(t, out);
  return out;
}

}  // namespace rigcheck::diagnosis
