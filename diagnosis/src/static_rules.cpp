#include "rigcheck/diagnosis/static_rules.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "rigcheck/topology/gpu_models.h"
#include "rigcheck/topology/paths.h"
#include "rigcheck/topology/render.h"

namespace rigcheck::embedded {
extern const char* const known_issues_json;
}

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

using topology::Gpu;
using topology::PciKind;
using topology::PciNode;
using topology::Topology;

std::string gpu_label(const Gpu& g) { return "GPU" + std::to_string(g.index) + " " + g.address.str() + " (" + g.name + ")"; }

std::string gbps(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f GB/s", v);
  return buf;
}

int compute_capability_code(const std::string& cc) {  // "8.6" -> 86
  int major = 0, minor = 0;
  if (std::sscanf(cc.c_str(), "%d.%d", &major, &minor) < 1) return 0;
  return major * 10 + minor;
}

// ---- links at rest ----------------------------------------------------------------------------

void link_rules(const Topology& t, std::vector<Finding>& out) {
  for (const Gpu& g : t.gpus) {
    const PciNode& n = t.pci[g.node];
    if (!n.link) continue;
    const auto& l = *n.link;
    if (l.device_max.known() && l.port_max.known()) {
      if (l.port_max.width < l.device_max.width) {
        out.push_back({"pcie-slot-limits-width", Severity::warning,
                       gpu_label(g) + " is an x" + std::to_string(l.device_max.width) + " card in an x" +
                           std::to_string(l.port_max.width) + " slot",
                       {"GPU capability " + describe(l.device_max) + ", slot (upstream port) capability " + describe(l.port_max)},
                       "The slot offers fewer lanes than the card has, so host and peer transfers run at most at " +
                           gbps(topology::pcie_gbps(l.max)) + " instead of " + gbps(topology::pcie_gbps(l.device_max)) + ".",
                       "Move the card to a full x" + std::to_string(l.device_max.width) +
                           " slot (check the board manual: M.2 slots and bifurcation settings often take lanes from a slot).",
                       "research/reference-figures.md §1",
                       {g.index}});
      }
      if (l.port_max.gen < l.device_max.gen) {
        out.push_back({"pcie-slot-limits-gen", Severity::warning,
                       gpu_label(g) + " is a Gen" + std::to_string(l.device_max.gen) + " card on a Gen" +
                           std::to_string(l.port_max.gen) + " port",
                       {"GPU capability " + describe(l.device_max) + ", port capability " + describe(l.port_max)},
                       "The port (CPU, switch or BIOS setting) tops out at a lower generation than the card, which halves "
                       "the bandwidth per generation step. On older platforms this is the hardware's limit.",
                       "If the platform supports Gen" + std::to_string(l.device_max.gen) +
                           ", set the slot's PCIe speed to Auto/Gen" + std::to_string(l.device_max.gen) +
                           " in the BIOS; a riser must be rated for that generation.",
                       "research/reference-figures.md §1",
                       {g.index}});
      }
    }
    // NVIDIA GPUs lower their link *generation* when idle, never their width: a narrow link at
    // rest is already a fault.
    if (l.current.known() && l.max.known() && l.current.width < l.max.width) {
      out.push_back({"pcie-width-below-max", Severity::warning,
                     gpu_label(g) + " link trained at x" + std::to_string(l.current.width) + " of x" +
                         std::to_string(l.max.width),
                     {"current " + describe(l.current) + ", maximum " + describe(l.max)},
                     "The link came up with fewer lanes than card and slot support. Idle GPUs drop their link generation, "
                     "not their width, so this is a training problem: a riser, a dirty or badly seated connector, or lanes "
                     "shared with another device.",
                     "Reseat the card (and riser), try another riser or slot, check the BIOS lane/bifurcation setting; "
                     "`sudo lspci -vv -s " + g.address.str() + " | grep -i lnk` shows LnkCap and LnkSta.",
                     "research/platform-hwloc-pci-sysfs-nvml.md §4",
                     {g.index}});
    }
    if (l.current.known() && l.max.known() && l.current.gen < l.max.gen && l.current.width == l.max.width) {
      out.push_back({"pcie-gen-below-max-at-rest", Severity::info,
                     gpu_label(g) + " link is at Gen" + std::to_string(l.current.gen) + " now (max Gen" +
                         std::to_string(l.max.gen) + ")",
                     {"current " + describe(l.current) + ", maximum " + describe(l.max)},
                     "Idle NVIDIA GPUs lower their link generation to save power, so this is normal at rest. Only a "
                     "generation below the maximum while a transfer runs is a fault; `rigcheck bench` samples it under load.",
                     "Nothing at rest. Run `rigcheck bench host_to_device_ce` to see the link under load.", "nvidia-smi "
                     "documentation, pcie.link.gen.current",
                     {g.index}});
    }
    // A narrower link above the GPU (a switch uplink) limits it when it is slower than the GPU's own.
    if (g.host_path.kind == "pcie" && g.host_path.node >= 0 && g.host_path.node != g.node && l.max.known() &&
        g.host_path.gbps < topology::pcie_gbps(l.max) * 0.99) {
      out.push_back({"pcie-uplink-narrower-than-gpu", Severity::info,
                     gpu_label(g) + " reaches the CPU through a slower link than its own",
                     {"GPU link " + describe(l.max) + " (" + gbps(topology::pcie_gbps(l.max)) + "), host path bottleneck " +
                      g.host_path.where + " (" + gbps(g.host_path.gbps) + ")"},
                     "Traffic between this GPU and the host (and GPUs beyond its switch) is bounded by the switch uplink; "
                     "GPUs behind the same uplink share it.",
                     "Expected for switch-based boards; spread host-heavy GPUs across switches or root ports.",
                     "DESIGN.md §6", {g.index}});
    }
  }
}

// ---- chipset, NUMA, mixed models, BAR1 ---------------------------------------------------------

void placement_rules(const Topology& t, std::vector<Finding>& out) {
  for (const Gpu& g : t.gpus) {
    if (g.chipset_attached) {
      out.push_back({"chipset-attached-gpu", Severity::warning, gpu_label(g) + " sits in a chipset slot",
                     {"host path " + g.host_path.where + " (" + gbps(g.host_path.gbps) + ")"},
                     "Chipset slots reach the CPU through the chipset's single uplink (DMI on Intel), shared with USB, "
                     "SATA, network and M.2; nvidia-smi shows them as PHB like CPU slots.",
                     "Move the card to a slot wired to the CPU (board manual: 'from CPU'), or accept it for light use.",
                     "DESIGN.md §4", {g.index}});
    }
    // Resizable BAR off shows as a 256 MiB BAR1 on cards with far more memory.
    if (g.bar1_bytes > 0 && g.bar1_bytes < (1ull << 30) && g.memory_bytes >= (8ull << 30)) {
      out.push_back({"small-bar1", Severity::warning,
                     gpu_label(g) + " exposes only " + std::to_string(g.bar1_bytes >> 20) + " MiB of its memory (BAR1)",
                     {"BAR1 " + std::to_string(g.bar1_bytes >> 20) + " MiB, memory " + std::to_string(g.memory_bytes >> 30) + " GiB"},
                     "Resizable BAR / Above 4G Decoding is off. Peer-to-peer on GeForce cards with patched drivers needs "
                     "a large BAR1, and some drivers map peer memory through it.",
                     "Enable 'Above 4G Decoding' and 'Re-Size BAR Support' in the BIOS (CSM must be off).",
                     "research/reference-figures.md §6 (club-3090 PR #1139)", {g.index}});
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
    out.push_back({"gpus-split-across-sockets", Severity::info,
                   "The GPUs hang off " + std::to_string(packages.size()) + " CPU sockets",
                   {std::to_string(nodes.size()) + " NUMA nodes among the GPUs"},
                   "Peer traffic and collectives between GPUs on different sockets cross the inter-socket link "
                   "(UPI/xGMI), which is usually slower than a PCIe switch path (SYS in the matrix).",
                   "For multi-GPU jobs, prefer GPU groups on one socket; bind each process to its GPU's NUMA node.",
                   "research/reference-figures.md §3", all});
  }
  if (t.numa_nodes.size() > 1) {
    for (const Gpu& g : t.gpus)
      if (g.numa_node < 0)
        out.push_back({"gpu-numa-unknown", Severity::info, gpu_label(g) + " has no known NUMA node",
                       {"sysfs numa_node = -1 or unreadable"},
                       "Without it, host buffers cannot be placed next to the GPU and host-device bandwidth may cross sockets.",
                       "Enable NUMA/ACPI SRAT in the BIOS (often 'NUMA' or 'Memory interleaving: off').", "", {g.index}});
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
    out.push_back({"mixed-gpus", Severity::warning, "Different GPU models in one machine", evidence,
                   "Collectives (all-reduce, tensor parallelism) run at the pace of the slowest GPU and link.",
                   "Group jobs by model (CUDA_VISIBLE_DEVICES), or accept the slowest card's pace.", "DESIGN.md §7", all});
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
    out.push_back({"acs-redirect", Severity::critical,
                   "ACS redirects GPU peer-to-peer traffic through the CPU on " + std::to_string(pairs_through.size()) +
                       " bridge(s)",
                   evidence,
                   "With ACS Request/Completion Redirect (or Egress Control) on a bridge between two GPUs, their P2P "
                   "traffic is sent up to the root complex and IOMMU instead of across the switch: lower bandwidth "
                   "(often half for bidirectional), hangs with NCCL, or P2P slower than going through host memory.",
                   "Clear ACS control on these bridges (until the next reboot):\n" + commands +
                       "or boot with the kernel parameter pci=disable_acs_redir=" + kernel_list +
                       ", or disable ACS in the BIOS. This weakens isolation between devices (VFIO/VMs).",
                   "NCCL troubleshooting guide, 'PCI Access Control Services (ACS)'",
                   std::vector<int>(gpus.begin(), gpus.end())});
  }
  if (unreadable && t.gpus.size() > 1) {
    out.push_back({"acs-not-checked", Severity::info, "ACS on the bridges between GPUs could not be read",
                   {"PCI config space readable only up to 64 bytes (not root)"},
                   "ACS is an extended capability; unprivileged users cannot read it.",
                   "Run `sudo rigcheck doctor` to check ACS.", "research/platform-hwloc-pci-sysfs-nvml.md §3.2", {}});
  }
}

void iommu_rules(const Topology& t, std::vector<Finding>& out) {
  if (t.system.iommu != topology::IommuMode::translated || t.gpus.size() < 2) return;
  out.push_back({"iommu-translating", Severity::warning,
                 "The IOMMU translates DMA addresses for the GPUs", t.system.iommu_evidence,
                 "Peer-to-peer requests then go through the IOMMU (and ACS redirects them there): low P2P bandwidth "
                 "or NCCL hangs are common.",
                 "Use passthrough for host devices: add iommu=pt to the kernel command line (keeps VFIO working), or "
                 "disable VT-d/AMD-Vi in the BIOS if no VMs need it.",
                 "research/reference-figures.md §6; NVIDIA/nccl#199, #257", {}});
}

// ---- P2P support, NVLink ------------------------------------------------------------------------

void p2p_rules(const Topology& t, std::vector<Finding>& out) {
  std::vector<std::string> evidence;
  std::set<int> gpus;
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
    }
    if (!no) continue;
    evidence.push_back("GPU" + std::to_string(p.a) + "-GPU" + std::to_string(p.b) + ": " +
                       (p.p2p.cuda ? "CUDA peer access no" : "") +
                       (p.p2p.nvml_read.empty() ? "" : (p.p2p.cuda ? ", " : "") + std::string("NVML ") + p.p2p.nvml_read) +
                       (!p.p2p.cuda && p.p2p.nvml_read.empty() ? "stock driver disables P2P for this model" : ""));
    gpus.insert(p.a);
    gpus.insert(p.b);
  }
  if (evidence.empty()) return;
  if (evidence.size() > 8) {
    const size_t more = evidence.size() - 8;
    evidence.resize(8);
    evidence.push_back("… and " + std::to_string(more) + " more pairs");
  }
  out.push_back({"p2p-unsupported", Severity::warning, "Some GPU pairs have no peer-to-peer access", evidence,
                 std::string("Without P2P, GPU-to-GPU copies and NCCL go through host memory (host-staged), at roughly "
                             "half the bandwidth and ten times the latency. ") +
                     (geforce ? "NVIDIA's stock driver does not enable PCIe P2P on GeForce cards. " : "") +
                     "NVML's reason says why: GPU_NOT_SUPPORTED (the card or driver), CHIPSET_NOT_SUPPORTED or "
                     "IOH_TOPOLOGY_NOT_SUPPORTED (the platform), DISABLED_BY_REGKEY (a driver setting).",
                 geforce ? "On RTX 3090 pairs an NVLink bridge gives direct P2P; otherwise expect host-staged figures "
                           "(rigcheck bench marks them with *)."
                         : "Check the NVML reason; for platform reasons, GPUs under one PCIe switch usually work.",
                 "research/reference-figures.md §6", std::vector<int>(gpus.begin(), gpus.end())});
}

void nvlink_rules(const Topology& t, std::vector<Finding>& out) {
  for (const Gpu& g : t.gpus) {
    const auto* m = topology::find_gpu_model(g.device_id);
    if (!m || m->nvlink_links == 0) continue;
    int links = 0;
    for (const auto& b : g.nvlink) links += b.links;
    const bool sxm = m->name.find("SXM") != std::string::npos;
    if ((links > 0 && links < m->nvlink_links && sxm) || (links == 0 && sxm && t.source.kind == "live")) {
      out.push_back({"nvlink-fewer-links", Severity::warning,
                     gpu_label(g) + " has " + std::to_string(links) + " active NVLink links of " +
                         std::to_string(m->nvlink_links),
                     {"active links " + std::to_string(links) + ", model " + m->name + " has " + std::to_string(m->nvlink_links)},
                     "Missing NVLink links lower GPU-to-GPU bandwidth and can push NCCL onto PCIe.",
                     "Check `nvidia-smi nvlink -s`; reseat the GPU/baseboard, look for NVLink Xid errors in `dmesg`.",
                     "research/reference-figures.md §4", {g.index}});
    }
  }
}

// ---- versions and build -----------------------------------------------------------------------

int driver_branch(const std::string& version) { return std::atoi(version.c_str()); }

void version_rules(const Topology& t, const BuildInfo& build, std::vector<Finding>& out) {
  auto doc = nlohmann::json::parse(rigcheck::embedded::known_issues_json);
  for (const auto& issue : doc.at("issues")) {
    std::set<uint16_t> ids;
    for (const auto& id : issue.at("device_ids")) ids.insert(static_cast<uint16_t>(std::stoul(id.get<std::string>(), nullptr, 16)));
    std::vector<int> gpus;
    for (const Gpu& g : t.gpus)
      if (ids.count(g.device_id)) gpus.push_back(g.index);
    if (gpus.empty()) continue;
    std::string evidence;
    if (issue.contains("driver_branch")) {
      if (t.system.nvidia_driver.empty() || driver_branch(t.system.nvidia_driver) != issue.at("driver_branch").get<int>()) continue;
      evidence = "NVIDIA driver " + t.system.nvidia_driver;
    } else if (issue.contains("nccl_below")) {
      if (t.system.nccl_version == 0 || t.system.nccl_version >= issue.at("nccl_below").get<int>()) continue;
      evidence = "NCCL version code " + std::to_string(t.system.nccl_version);
    } else {
      continue;
    }
    std::string on;
    for (int g : gpus) on += (on.empty() ? " on GPU" : ", GPU") + std::to_string(g);
    Severity sev = issue.at("severity") == "critical" ? Severity::critical : Severity::warning;
    out.push_back({issue.at("id"), sev, issue.at("title"), {evidence + on}, issue.at("explanation"), issue.at("fix"),
                   issue.at("reference"), gpus});
  }
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
    const std::string why =
        toolkit_has_it ? "This build has kernels for architectures " + archs + " only, and PTX compiles forward, never "
                         "backward, so a GPU older than the lowest target cannot run them."
                       : "CUDA 13 dropped Maxwell, Pascal and Volta (sm_50 to sm_72); kernels built for newer GPUs do not run "
                         "on older ones.";
    const std::string fix =
        toolkit_has_it ? "Rebuild with this GPU's architecture: RIGCHECK_CMAKE_ARGS=\"-DCMAKE_CUDA_ARCHITECTURES=" +
                             std::to_string(cc) + ";" + archs + "\" scripts/run.sh …"
        : cc < 30 ? "No CUDA toolkit rigcheck builds with supports compute capability " + g.compute_capability +
                      " (Fermi's last was CUDA 8); this GPU cannot be measured."
        : cc < 50 ? "Kepler GPUs need CUDA 11 or older, which rigcheck does not build with; this GPU cannot be measured."
                  : "Build rigcheck with a CUDA 12 toolkit: PATH=/usr/local/cuda-12/bin:$PATH RIGCHECK_CMAKE_ARGS="
                    "\"-DCMAKE_CUDA_ARCHITECTURES=" + std::to_string(cc) + ";75;80;86\" scripts/run.sh …";
    out.push_back({"cuda-build-cannot-run-gpu", Severity::critical,
                   gpu_label(g) + " (compute capability " + g.compute_capability + ") cannot run this rigcheck build",
                   {"built for CUDA architectures " + archs + " with CUDA " + std::to_string(build.cuda_toolkit_major)},
                   why, fix,
                   "research/platform-hwloc-pci-sysfs-nvml.md §6", {g.index}});
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
    out.push_back({"pcie-aer-errors", Severity::warning, "Correctable PCIe errors logged on " + gpu_label(g) + "'s path",
                   evidence,
                   "Receiver errors, bad TLPs/DLLPs and replays mean the link retransmits: lost bandwidth, and on risers "
                   "often the first sign of a link that will drop (Xid 79).",
                   "Reseat the card and riser, try a shorter or better-shielded riser, or lower the slot's PCIe generation "
                   "in the BIOS; watch `nvidia-smi -q | grep -i replay` under load.",
                   "research/platform-hwloc-pci-sysfs-nvml.md §3.1; DCGM PCIe thresholds", {g.index}});
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

std::vector<Finding> static_findings(const Topology& t, const BuildInfo& build) {
  std::vector<Finding> out;
  if (t.gpus.empty()) {
    out.push_back({"no-gpu", Severity::info, "No NVIDIA GPU in the PCI tree", {},
                   "Nothing to check on the GPU side.", "Check that the cards are seated and powered (lspci -d 10de:).", "",
                   {}});
    return out;
  }
  link_rules(t, out);
  placement_rules(t, out);
  acs_rules(t, out);
  iommu_rules(t, out);
  p2p_rules(t, out);
  nvlink_rules(t, out);
  version_rules(t, build, out);
  aer_rules(t, out);
  out = merge_same_id(std::move(out));
  std::stable_sort(out.begin(), out.end(), [](const Finding& a, const Finding& b) { return a.severity > b.severity; });
  return out;
}

}  // namespace rigcheck::diagnosis
