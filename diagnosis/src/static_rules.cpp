#include "rigcheck/diagnosis/static_rules.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "rigcheck/diagnosis/catalogue.h"
#include "rigcheck/diagnosis/known_issues.h"
#include "rigcheck/diagnosis/network_rules.h"
#include "rigcheck/fabric/platform.h"
#include "rigcheck/topology/gpu_models.h"
#include "rigcheck/topology/paths.h"
#include "rigcheck/topology/render.h"
#include "format.h"
#include "switch_rules.h"

namespace rigcheck::diagnosis {

const char* to_string(Severity s) {
  switch (s) {
    case Severity::info: return "info";
    case Severity::warning: return "warning";
    case Severity::critical: return "critical";
  }
  return "?";
}

Severity worst(const std::vector<Finding>& findings) {
  Severity w = Severity::info;
  for (const auto& f : findings) w = std::max(w, f.severity);
  return w;
}

BuildInfo this_build() {
  BuildInfo b;
#ifdef RIGCHECK_CUDA_ARCHITECTURES
  std::istringstream in(RIGCHECK_CUDA_ARCHITECTURES);
  for (std::string a; std::getline(in, a, ',');) {
    int arch = std::atoi(a.c_str());  // "90a" and "75-real" read as 90 and 75
    if (arch > 0) b.cuda_architectures.push_back(arch);
  }
#endif
#ifdef RIGCHECK_CUDA_TOOLKIT_MAJOR
  b.cuda_toolkit_major = RIGCHECK_CUDA_TOOLKIT_MAJOR;
#endif
  return b;
}

namespace {

using detail::gbps;

using topology::Gpu;
using topology::PciKind;
using topology::PciNode;
using topology::Topology;

std::string gpu_label(const Gpu& g) { return "GPU" + std::to_string(g.index) + " " + g.address.str() + " (" + g.name + ")"; }

int compute_capability_code(const std::string& cc) {  // "8.6" -> 86
  int major = 0, minor = 0;
  if (std::sscanf(cc.c_str(), "%d.%d", &major, &minor) < 1) return 0;
  return major * 10 + minor;
}

// ---- links at rest ----------------------------------------------------------------------------

// The highest generation any GPU's upstream port advertises (its LNKCAP); 0 when none is known.
int best_gpu_port_gen(const Topology& t) {
  int best = 0;
  for (const Gpu& g : t.gpus) {
    const PciNode& n = t.pci[g.node];
    if (n.link && n.link->port_max.known()) best = std::max(best, n.link->port_max.gen);
  }
  return best;
}

void link_rules(const Topology& t, std::vector<Finding>& out) {
  for (const Gpu& g : t.gpus) {
    const PciNode& n = t.pci[g.node];
    if (!n.link) continue;
    const auto& l = *n.link;
    if (l.device_max.known() && l.port_max.known()) {
      if (l.port_max.width < l.device_max.width) {
        out.push_back(make_finding("pcie-slot-limits-width",
                                   {{"gpu", gpu_label(g)},
                                    {"card_width", std::to_string(l.device_max.width)},
                                    {"slot_width", std::to_string(l.port_max.width)},
                                    {"link_gbps", gbps(topology::pcie_gbps(l.max))},
                                    {"card_gbps", gbps(topology::pcie_gbps(l.device_max))}},
                                   {"GPU capability " + describe(l.device_max) + ", slot (upstream port) capability " + describe(l.port_max)},
                                   {g.index}));
      }
      if (l.port_max.gen < l.device_max.gen) {
        const Params params = {{"gpu", gpu_label(g)},
                               {"card_gen", std::to_string(l.device_max.gen)},
                               {"port_gen", std::to_string(l.port_max.gen)}};
        std::vector<std::string> evidence = {"GPU capability " + describe(l.device_max) + ", port capability " +
                                             describe(l.port_max)};
        // A warning only when this machine has a port that does the card's generation (another
        // slot, or a setting that holds this one back); when no GPU port does, it is what the
        // platform is.
        const int best = best_gpu_port_gen(t);
        if (best >= l.device_max.gen) {
          evidence.push_back("another GPU port of this machine is Gen" + std::to_string(best));
          out.push_back(make_finding("pcie-slot-limits-gen", params, evidence, {g.index}));
        } else {
          evidence.push_back("no GPU port of this machine is above Gen" + std::to_string(best));
          out.push_back(make_finding_variant("pcie-slot-limits-gen", "platform", params, evidence, {g.index}));
        }
      }
    }
    // NVIDIA GPUs lower their link *generation* when idle, never their width: a narrow link at
    // rest is already a fault.
    if (l.current.known() && l.max.known() && l.current.width < l.max.width) {
      out.push_back(make_finding("pcie-width-below-max",
                                 {{"gpu", gpu_label(g)},
                                  {"current_width", std::to_string(l.current.width)},
                                  {"max_width", std::to_string(l.max.width)},
                                  {"bdf", g.address.str()}},
                                 {"current " + describe(l.current) + ", maximum " + describe(l.max)}, {g.index}));
    }
    if (l.current.known() && l.max.known() && l.current.gen < l.max.gen && l.current.width == l.max.width) {
      out.push_back(make_finding("pcie-gen-below-max-at-rest",
                                 {{"gpu", gpu_label(g)},
                                  {"current_gen", std::to_string(l.current.gen)},
                                  {"max_gen", std::to_string(l.max.gen)}},
                                 {"current " + describe(l.current) + ", maximum " + describe(l.max)}, {g.index}));
    }
    // A narrower link above the GPU (a switch uplink) limits it when it is slower than the GPU's own.
    if (g.host_path.kind == "pcie" && g.host_path.node >= 0 && g.host_path.node != g.node && l.max.known() &&
        g.host_path.gbps < topology::pcie_gbps(l.max) * 0.99) {
      out.push_back(make_finding("pcie-uplink-narrower-than-gpu", {{"gpu", gpu_label(g)}},
                                 {"GPU link " + describe(l.max) + " (" + gbps(topology::pcie_gbps(l.max)) +
                                  "), host path bottleneck " + g.host_path.where + " (" + gbps(g.host_path.gbps) + ")"},
                                 {g.index}));
    }
  }
}

// ---- chipset, NUMA, mixed models, BAR1 ---------------------------------------------------------

void placement_rules(const Topology& t, std::vector<Finding>& out) {
  for (const Gpu& g : t.gpus) {
    if (g.chipset_attached) {
      out.push_back(make_finding("chipset-attached-gpu", {{"gpu", gpu_label(g)}},
                                 {"host path " + g.host_path.where + " (" + gbps(g.host_path.gbps) + ")"}, {g.index}));
    }
    // Resizable BAR off shows as a 256 MiB BAR1 on cards with far more memory.
    if (g.bar1_bytes > 0 && g.bar1_bytes < (1ull << 30) && g.memory_bytes >= (8ull << 30)) {
      out.push_back(make_finding("small-bar1", {{"gpu", gpu_label(g)}, {"bar1_mib", std::to_string(g.bar1_bytes >> 20)}},
                                 {"BAR1 " + std::to_string(g.bar1_bytes >> 20) + " MiB, memory " +
                                  std::to_string(g.memory_bytes >> 30) + " GiB"},
                                 {g.index}));
    }
  }
  std::set<int> nodes, packages;
  for (const Gpu& g : t.gpus) {
    if (g.numa_node >= 0) nodes.insert(g.numa_node);
    int hb = g.node;
    while (t.pci[hb].parent >= 0) hb = t.pci[hb].parent;
    if (t.pci[hb].package >= 0) packages.insert(t.pci[hb].package);
  }
  if (packages.size() > 1) {
    std::vector<int> all;
    for (const Gpu& g : t.gpus) all.push_back(g.index);
    out.push_back(make_finding("gpus-split-across-sockets", {{"sockets", std::to_string(packages.size())}},
                               {std::to_string(nodes.size()) + " NUMA nodes among the GPUs"}, all));
  }
  if (t.numa_nodes.size() > 1) {
    for (const Gpu& g : t.gpus)
      if (g.numa_node < 0)
        out.push_back(make_finding("gpu-numa-unknown", {{"gpu", gpu_label(g)}}, {"sysfs numa_node = -1 or unreadable"}, {g.index}));
  }
  std::map<uint16_t, std::vector<int>> by_model;
  for (const Gpu& g : t.gpus) by_model[g.device_id].push_back(g.index);
  if (by_model.size() > 1) {
    std::vector<std::string> evidence;
    for (const auto& [id, gpus] : by_model) {
      std::string list;
      for (int i : gpus) list += (list.empty() ? "GPU" : ", GPU") + std::to_string(i);
      evidence.push_back(t.gpus[gpus.front()].name + ": " + list);
    }
    std::vector<int> all;
    for (const Gpu& g : t.gpus) all.push_back(g.index);
    out.push_back(make_finding("mixed-gpus", {}, evidence, all));
  }
}

// ---- ACS and IOMMU ------------------------------------------------------------------------------

std::string acs_bits(const topology::AcsState& a) { return topology::describe_acs(a); }

void acs_rules(const Topology& t, std::vector<Finding>& out) {
  // Bridges on the PCIe path between two GPUs, with the pairs that cross each one.
  std::map<int, std::vector<std::string>> pairs_through;
  bool unreadable = false;
  for (const auto& p : t.pairs) {
    if (p.nvlink_links > 0) continue;
    for (int x : topology::bridges_on_path(t, t.gpus[p.a].node, t.gpus[p.b].node)) {
      const PciNode& n = t.pci[x];
      if (n.kind != PciKind::root_port && n.kind != PciKind::switch_downstream) continue;
      if (!n.acs && n.config_bytes > 0 && n.config_bytes < 256) unreadable = true;
      if (n.acs && n.acs->redirects_p2p())
        pairs_through[x].push_back("GPU" + std::to_string(p.a) + "-GPU" + std::to_string(p.b));
    }
  }
  if (!pairs_through.empty()) {
    std::vector<std::string> evidence;
    std::string commands, kernel_list;
    std::set<int> gpus;
    for (const auto& [node, pairs] : pairs_through) {
      const PciNode& n = t.pci[node];
      std::string pair_list;
      for (size_t i = 0; i < pairs.size() && i < 6; ++i) pair_list += (i ? ", " : "") + pairs[i];
      if (pairs.size() > 6) pair_list += ", …";
      evidence.push_back(n.address->str() + " (" + to_string(n.kind) + "): " + acs_bits(*n.acs) + "; carries " + pair_list);
      commands += "  sudo setpci -s " + n.address->str() + " ECAP_ACS+0x6.w=0000\n";
      kernel_list += (kernel_list.empty() ? "" : ";") + n.address->str();
    }
    for (const auto& p : t.pairs) gpus.insert(p.a), gpus.insert(p.b);
    out.push_back(make_finding("acs-redirect",
                               {{"bridges", std::to_string(pairs_through.size())}, {"commands", commands}, {"bridge_list", kernel_list}},
                               evidence, std::vector<int>(gpus.begin(), gpus.end())));
  }
  if (unreadable && t.gpus.size() > 1) {
    out.push_back(make_finding("acs-not-checked", {}, {"PCI config space readable only up to 64 bytes (not root)"}));
  }
}

void iommu_rules(const Topology& t, std::vector<Finding>& out) {
  if (t.system.iommu != topology::IommuMode::translated || t.gpus.size() < 2) return;
  out.push_back(make_finding("iommu-translating", {}, t.system.iommu_evidence));
}

// ---- P2P support, NVLink ------------------------------------------------------------------------

// A pair without peer access that crosses the CPU sockets, of models whose driver does grant PCIe
// P2P: CUDA's platform policy (NVML IOH_TOPOLOGY_NOT_SUPPORTED / CHIPSET_NOT_SUPPORTED), not a
// fault of the machine. Copies between them are host-staged, and measured as such.
bool cross_socket_policy(const Topology& t, const topology::GpuPair& p) {
  if (p.pcie != topology::PathClass::sys) return false;
  if (!p.p2p.nvml_read.empty() && p.p2p.nvml_read != "IOH_TOPOLOGY_NOT_SUPPORTED" && p.p2p.nvml_read != "CHIPSET_NOT_SUPPORTED")
    return false;
  for (int g : {p.a, p.b}) {
    const auto* m = topology::find_gpu_model(t.gpus[g].device_id);
    if (!m || !m->p2p_over_pcie) return false;
  }
  return true;
}

// Not measured: the stock driver grants no P2P across the sockets of this platform (Intel QPI/UPI;
// platforms.json), though it would for the models.
bool platform_denies(const Topology& t, const topology::GpuPair& p) {
  return !p.p2p.cuda && p.p2p.nvml_read.empty() && p.pcie == topology::PathClass::sys && !fabric::platform_of(t).cross_socket_p2p;
}

std::string p2p_evidence(const Topology& t, const topology::GpuPair& p) {
  const bool stated = p.p2p.cuda || !p.p2p.nvml_read.empty();
  const std::string stock = cross_socket_policy(t, p) ? "stock driver grants no P2P across the sockets of " + fabric::platform_of(t).name
                                                       : "stock driver disables P2P for this model";
  return "GPU" + std::to_string(p.a) + "-GPU" + std::to_string(p.b) + ": " + (p.p2p.cuda ? "CUDA peer access no" : "") +
         (p.p2p.nvml_read.empty() ? "" : (p.p2p.cuda ? ", " : "") + std::string("NVML ") + p.p2p.nvml_read) + (stated ? "" : stock);
}

void cap_evidence(std::vector<std::string>& evidence) {
  if (evidence.size() <= 8) return;
  const size_t more = evidence.size() - 8;
  evidence.resize(8);
  evidence.push_back("… and " + std::to_string(more) + " more pairs");
}

void p2p_rules(const Topology& t, std::vector<Finding>& out) {
  std::vector<std::string> evidence, policy_evidence;
  std::set<int> gpus, policy_gpus;
  bool geforce = false;
  for (const auto& p : t.pairs) {
    if (p.nvlink_links > 0) continue;
    bool no = (p.p2p.cuda && !*p.p2p.cuda) || (!p.p2p.cuda && !p.p2p.nvml_read.empty() && p.p2p.nvml_read != "OK");
    if (!p.p2p.cuda && p.p2p.nvml_read.empty()) {
      // Not measured: the stock driver's policy for the models.
      for (int g : {p.a, p.b}) {
        const auto* m = topology::find_gpu_model(t.gpus[g].device_id);
        if (m && !m->p2p_over_pcie) no = true, geforce = true;
      }
      if (platform_denies(t, p)) no = true;
    }
    if (!no) continue;
    const bool policy = cross_socket_policy(t, p);
    (policy ? policy_evidence : evidence).push_back(p2p_evidence(t, p));
    (policy ? policy_gpus : gpus).insert({p.a, p.b});
  }
  if (!evidence.empty()) {
    cap_evidence(evidence);
    // GeForce models: the stock driver's policy is the reason, and the advice is another.
    const std::vector<int> concerned(gpus.begin(), gpus.end());
    out.push_back(geforce ? make_finding_variant("p2p-unsupported", "geforce", {}, evidence, concerned)
                          : make_finding("p2p-unsupported", {}, evidence, concerned));
  } else if (!policy_evidence.empty()) {
    cap_evidence(policy_evidence);
    out.push_back(make_finding_variant("p2p-unsupported", "cross-socket", {}, policy_evidence,
                                       std::vector<int>(policy_gpus.begin(), policy_gpus.end())));
  }
  // With other pairs lacking P2P for other reasons, the cross-socket ones are named in that finding.
  if (!evidence.empty() && !policy_evidence.empty()) {
    Finding& f = out.back();
    for (const auto& e : policy_evidence) f.evidence.push_back(e + " (crosses the CPU sockets: platform policy, expected)");
    f.gpus.insert(f.gpus.end(), policy_gpus.begin(), policy_gpus.end());
    std::sort(f.gpus.begin(), f.gpus.end());
    f.gpus.erase(std::unique(f.gpus.begin(), f.gpus.end()), f.gpus.end());
  }
}

// A GPU the model table does not know is still measured and judged (its PCIe capability from its
// own LnkCap); the report says that what only the table knows (NVLink links, the driver's P2P
// policy) was not checked.
void model_rules(const Topology& t, std::vector<Finding>& out) {
  for (const Gpu& g : t.gpus) {
    if (topology::find_gpu_model(g.device_id)) continue;
    char id[8];
    std::snprintf(id, sizeof id, "%04x", g.device_id);
    const auto& link = t.pci[g.node].link;
    const std::string cap = link && link->device_max.known() ? describe(link->device_max) : std::string("unknown");
    out.push_back(make_finding("gpu-model-not-in-table", {{"gpu", gpu_label(g)}, {"device_id", id}},
                               {"10de:" + std::string(id) + " " + g.name + "; PCIe capability (its LnkCap) " + cap +
                                ", compute capability " + (g.compute_capability.empty() ? "unknown" : g.compute_capability)},
                               {g.index}));
  }
}

void nvlink_rules(const Topology& t, std::vector<Finding>& out) {
  for (const Gpu& g : t.gpus) {
    const auto* m = topology::find_gpu_model(g.device_id);
    if (!m || m->nvlink_links == 0) continue;
    int links = 0;
    for (const auto& b : g.nvlink) links += b.links;
    const bool sxm = m->name.find("SXM") != std::string::npos;
    if ((links > 0 && links < m->nvlink_links && sxm) || (links == 0 && sxm && t.source.kind == "live")) {
      out.push_back(make_finding("nvlink-fewer-links",
                                 {{"gpu", gpu_label(g)}, {"links", std::to_string(links)}, {"model_links", std::to_string(m->nvlink_links)}},
                                 {"active links " + std::to_string(links) + ", model " + m->name + " has " +
                                  std::to_string(m->nvlink_links)},
                                 {g.index}));
    }
  }
}

// ---- versions and build -----------------------------------------------------------------------

void version_rules(const Topology& t, const BuildInfo& build, std::vector<Finding>& out) {
  for (auto& f : known_issue_findings(t)) out.push_back(std::move(f));
  if (build.cuda_architectures.empty()) return;
  const int lowest = *std::min_element(build.cuda_architectures.begin(), build.cuda_architectures.end());
  for (const Gpu& g : t.gpus) {
    const int cc = compute_capability_code(g.compute_capability);
    // PTX of the lowest target JIT-compiles forward, never backward: older GPUs cannot run it.
    if (cc == 0 || cc >= lowest) continue;
    std::string archs;
    for (int a : build.cuda_architectures) archs += (archs.empty() ? "" : ";") + std::to_string(a);
    // Last toolkits per generation (CUDA release notes): Fermi CUDA 8, Kepler CUDA 11,
    // Maxwell/Pascal/Volta CUDA 12. A GPU the toolkit supports was only left out of this build.
    const bool toolkit_has_it = build.cuda_toolkit_major >= 13 ? cc >= 75 : cc >= 50;
    std::vector<std::string> evidence = {"built for CUDA architectures " + archs + " with CUDA " + std::to_string(build.cuda_toolkit_major)};
    // Each case is a wording of the entry: a build that only left this GPU out (rebuild), or a
    // toolkit that cannot build for it (another toolkit, or none for Kepler and Fermi).
    Params params = {{"gpu", gpu_label(g)}, {"cc", g.compute_capability}};
    if (toolkit_has_it) {
      params.insert({{"archs", archs}, {"cc_code", std::to_string(cc)}});
      out.push_back(make_finding("cuda-build-cannot-run-gpu", params, evidence, {g.index}));
    } else if (cc < 30) {
      out.push_back(make_finding_variant("cuda-build-cannot-run-gpu", "fermi", params, evidence, {g.index}));
    } else if (cc < 50) {
      out.push_back(make_finding_variant("cuda-build-cannot-run-gpu", "kepler", params, evidence, {g.index}));
    } else {
      params.emplace("cc_code", std::to_string(cc));
      out.push_back(make_finding_variant("cuda-build-cannot-run-gpu", "toolkit-dropped", params, evidence, {g.index}));
    }
  }
}

void aer_rules(const Topology& t, std::vector<Finding>& out) {
  for (const Gpu& g : t.gpus) {
    std::vector<std::string> evidence;
    for (int x = g.node; x >= 0; x = t.pci[x].parent) {
      const PciNode& n = t.pci[x];
      if (n.aer_correctable_status && *n.aer_correctable_status != 0) {
        char buf[96];
        std::snprintf(buf, sizeof buf, "%s AER correctable status 0x%08x", n.address ? n.address->str().c_str() : "?",
                      *n.aer_correctable_status);
        evidence.push_back(buf);
      }
    }
    if (evidence.empty()) continue;
    out.push_back(make_finding("pcie-aer-errors", {{"gpu", gpu_label(g)}}, evidence, {g.index}));
  }
}

// One finding per id: ten GPUs on Gen3 ports are one problem with ten lines of evidence.
std::vector<Finding> merge_same_id(std::vector<Finding> in) {
  std::vector<Finding> out;
  std::map<std::string, size_t> at;
  std::map<std::string, int> extra;
  for (auto& f : in) {
    auto it = at.find(f.id);
    if (it == at.end()) {
      at[f.id] = out.size();
      if (f.gpus.size() == 1)
        for (auto& e : f.evidence) e = "GPU" + std::to_string(f.gpus[0]) + ": " + e;
      out.push_back(std::move(f));
      continue;
    }
    Finding& into = out[it->second];
    // The merged finding speaks with its most severe case's wording (a warning and an info of
    // one id: the warning).
    if (f.severity > into.severity) {
      into.severity = f.severity;
      into.title = f.title;
      into.explanation = f.explanation;
      into.fix = f.fix;
      into.reference = f.reference;
    }
    for (auto& e : f.evidence) into.evidence.push_back((f.gpus.size() == 1 ? "GPU" + std::to_string(f.gpus[0]) + ": " : "") + e);
    for (int g : f.gpus)
      if (std::find(into.gpus.begin(), into.gpus.end(), g) == into.gpus.end()) into.gpus.push_back(g);
    ++extra[f.id];
  }
  for (auto& f : out)
    if (extra[f.id] > 0) f.title += " (and " + std::to_string(extra[f.id]) + " more like it)";
  return out;
}

}  // namespace

std::vector<Finding> acs_and_iommu_findings(const Topology& t) {
  std::vector<Finding> out;
  acs_rules(t, out);
  iommu_rules(t, out);
  return out;
}

std::vector<Finding> static_findings(const Topology& t, const BuildInfo& build) {
  std::vector<Finding> out;
  if (t.gpus.empty()) {
    out.push_back(make_finding("no-gpu"));
    return out;
  }
  link_rules(t, out);
  switch_uplink_rules(t, out);
  placement_rules(t, out);
  acs_rules(t, out);
  iommu_rules(t, out);
  p2p_rules(t, out);
  nvlink_rules(t, out);
  model_rules(t, out);
  version_rules(t, build, out);
  aer_rules(t, out);
  for (auto& f : network_findings(t)) out.push_back(std::move(f));  // network_rules.cpp
  out = merge_same_id(std::move(out));
  std::stable_sort(out.begin(), out.end(), [](const Finding& a, const Finding& b) { return a.severity > b.severity; });
  return out;
}

}  // namespace rigcheck::diagnosis
