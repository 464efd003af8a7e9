#include "rigcheck/topology/render.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "rigcheck/topology/paths.h"
#include "rigcheck/topology/versions.h"

namespace rigcheck::topology {
namespace {

std::string fmt_gbps(double g) {
  if (g <= 0) return "?";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", g);
  return buf;
}

std::string hex4(unsigned v) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04x", v);
  return buf;
}

const char* kind_label(PciKind k) {
  switch (k) {
    case PciKind::host_bridge: return "HostBridge";
    case PciKind::root_port: return "RootPort";
    case PciKind::switch_upstream: return "SwitchUp";
    case PciKind::switch_downstream: return "SwitchDown";
    case PciKind::pci_bridge: return "Bridge";
    case PciKind::endpoint: return "Device";
  }
  return "?";
}

}  // namespace

std::string describe_acs(const AcsState& acs) {
  std::string bits;
  auto add = [&](uint16_t bit, const char* name) {
    if (acs.control & bit) bits += std::string(bits.empty() ? "" : " ") + name;
  };
  add(AcsState::kSourceValidation, "SV");
  add(AcsState::kTranslationBlocking, "TB");
  add(AcsState::kRequestRedirect, "RR");
  add(AcsState::kCompletionRedirect, "CR");
  add(AcsState::kUpstreamForwarding, "UF");
  add(AcsState::kEgressControl, "EC");
  add(AcsState::kDirectTranslatedP2P, "DT");
  std::string s = "ACS " + (bits.empty() ? std::string("off") : bits);
  if (acs.redirects_p2p()) s += " (redirects P2P)";
  return s;
}

std::string describe_link(const PciLink& link) {
  std::string s;
  if (link.max.known() || link.device_max.known()) {
    s = "max " + describe(link.max);
    if (link.port_max.known() && link.device_max.known() && !(link.port_max == link.device_max))
      s += " (device " + describe(link.device_max) + ", port " + describe(link.port_max) + ")";
    if (link.current.known()) s += ", now " + describe(link.current);
  } else if (link.current.known()) {
    s = "now " + describe(link.current);
  } else if (link.current_gbps > 0) {
    s = "now " + fmt_gbps(link.current_gbps) + " GB/s (gen/width unknown)";
  } else {
    s = "link unknown";
  }
  return s;
}

void render_system(const Topology& t, std::ostream& out) {
  const SystemState& s = t.system;
  out << "Source: " << t.source.kind;
  if (!t.source.xml.empty()) out << " " << t.source.xml;
  if (!t.source.pci_dump.empty()) out << " + PCI dump " << t.source.pci_dump;
  if (!t.source.fsroot.empty()) out << " " << t.source.fsroot;
  out << "\n";
  if (!t.machine.empty()) out << "Machine: " << t.machine << "\n";
  out << "CPUs: " << t.packages.size() << " package(s), " << t.numa_nodes.size() << " NUMA node(s)";
  if (!t.packages.empty() && !t.packages.front().model.empty()) out << ", " << t.packages.front().model;
  out << "\n";
  if (t.source.kind == "xml") return;  // the rest describes the machine rigcheck runs on
  out << "Kernel: " << (s.kernel.empty() ? "?" : s.kernel) << "   IOMMU: " << to_string(s.iommu)
      << "   NVIDIA driver: " << (s.nvidia_driver.empty() ? "not loaded" : s.nvidia_driver) << "\n";
  out << "CUDA driver: " << (s.cuda_driver_version ? cuda_version_text(s.cuda_driver_version) : "none")
      << "   CUDA runtime: " << (s.cuda_runtime_version ? cuda_version_text(s.cuda_runtime_version) : "not built")
      << "   NCCL: "
      << (s.nccl_version ? nccl_version_text(s.nccl_version) : "not built");
  if (s.root) out << "   root: " << (*s.root ? "yes" : "no");
  out << "\n";
}

void render_notes(const Topology& t, std::ostream& out) {
  for (const auto& n : t.notes) out << "! " << n.source << ": " << n.message << "\n";
}

void render_tree(const Topology& t, std::ostream& out, const RenderOptions& options) {
  // Which nodes lead to a GPU or an NVSwitch (the branches worth showing by default).
  std::vector<bool> keep(t.pci.size(), options.all_devices);
  std::map<int, int> gpu_of_node, nic_of_node;
  for (const auto& g : t.gpus) gpu_of_node[g.node] = g.index;
  for (const auto& nic : t.nics)
    if (nic.node >= 0) nic_of_node[nic.node] = nic.index;
  for (const auto& n : t.pci) {
    bool interesting = gpu_of_node.count(n.id) || nic_of_node.count(n.id) || (n.vendor_id == 0x10de && n.class_id == 0x0680);
    if (!interesting) continue;
    for (int p = n.id; p >= 0 && !keep[p]; p = t.pci[p].parent) keep[p] = true;
  }
  const bool no_gpu_branch = std::none_of(keep.begin(), keep.end(), [](bool k) { return k; });
  if (no_gpu_branch) {
    // Nothing to focus on: show the whole tree, so the user sees where a GPU would go.
    std::fill(keep.begin(), keep.end(), true);
    out << "PCIe tree (no GPU; every PCI function shown):\n";
    if (t.pci.empty()) out << "  (no PCI device visible)\n";
  } else {
    out << "PCIe tree" << (options.all_devices ? "" : " (branches with GPUs; --all-devices for everything)") << ":\n";
  }
  std::map<int, std::vector<int>> children;
  std::vector<int> roots;
  for (const auto& n : t.pci) {
    if (!keep[n.id]) continue;
    if (n.parent < 0) roots.push_back(n.id);
    else children[n.parent].push_back(n.id);
  }
  auto print = [&](auto& self, int id, int depth) -> void {
    const PciNode& n = t.pci[id];
    std::string line(2 + depth * 2, ' ');
    if (n.kind == PciKind::host_bridge) {
      char buf[64];
      std::snprintf(buf, sizeof buf, "%04x:[%02x-%02x]", n.domain, n.secondary_bus, n.subordinate_bus);
      line += std::string("HostBridge ") + buf;
      if (n.package >= 0) line += "  package " + std::to_string(n.package);
      if (!n.numa_nodes.empty()) {
        line += "  NUMA";
        for (int x : n.numa_nodes) line += " " + std::to_string(x);
      }
    } else {
      auto gpu = gpu_of_node.find(id);
      auto nic = nic_of_node.find(id);
      const bool nvswitch = n.vendor_id == 0x10de && n.class_id == 0x0680;
      line += gpu != gpu_of_node.end()   ? "GPU" + std::to_string(gpu->second)
              : nic != nic_of_node.end() ? "NIC " + t.nics[nic->second].name
                                         : (nvswitch ? "NVSwitch" : kind_label(n.kind));
      line += " " + (n.address ? n.address->str() : std::string("?"));
      line += " [" + hex4(n.vendor_id) + ":" + hex4(n.device_id) + "]";
      if (gpu != gpu_of_node.end()) line += " " + t.gpus[gpu->second].name;
      else if (!n.name.empty()) line += " " + n.name;
      if (n.link) line += "  | " + describe_link(*n.link);
      if (n.acs) line += "  | " + describe_acs(*n.acs);
      if (n.chipset && (n.parent < 0 || !t.pci[n.parent].chipset)) line += "  | chipset";
    }
    out << line << "\n";
    for (int c : children[id]) self(self, c, depth + 1);
  };
  for (int r : roots) print(print, r, 0);
}

void render_matrix(const Topology& t, std::ostream& out) {
  if (t.gpus.empty()) return;
  const int n = static_cast<int>(t.gpus.size());
  const bool any_nvlink = std::any_of(t.pairs.begin(), t.pairs.end(), [](const GpuPair& p) { return p.nvlink_links > 0; });
  auto cell = [&](int a, int b, bool pcie_only) -> std::string {
    if (a == b) return "X";
    const GpuPair* p = t.pair(a, b);
    if (!p) return "?";
    if (!pcie_only && p->nvlink_links > 0) return "NV" + std::to_string(p->nvlink_links);
    return to_string(p->pcie);
  };
  auto table = [&](const char* title, bool pcie_only, bool with_host) {
    out << title << ":\n";
    char buf[64];
    out << "        ";
    for (int j = 0; j < n; ++j) {
      std::snprintf(buf, sizeof buf, "%-6s", ("GPU" + std::to_string(j)).c_str());
      out << buf;
    }
    if (with_host) out << "  Host path GB/s (bottleneck)                      NUMA  CPUs";
    out << "\n";
    for (int i = 0; i < n; ++i) {
      std::snprintf(buf, sizeof buf, "%-8s", ("GPU" + std::to_string(i)).c_str());
      out << buf;
      for (int j = 0; j < n; ++j) {
        std::snprintf(buf, sizeof buf, "%-6s", cell(i, j, pcie_only).c_str());
        out << buf;
      }
      if (with_host) {
        const Gpu& g = t.gpus[i];
        std::string host = fmt_gbps(g.host_path.gbps) + " (" + g.host_path.where + ")";
        // nvidia-smi says PHB for chipset slots too; this column tells them apart.
        if (g.chipset_attached) host += " chipset";
        std::snprintf(buf, sizeof buf, "  %-48s ", host.c_str());
        out << buf << (g.numa_node >= 0 ? std::to_string(g.numa_node) : "?") << "     "
            << (g.local_cpus.empty() ? "?" : g.local_cpus);
      }
      out << "\n";
    }
  };
  table(any_nvlink ? "GPU matrix (NVLink where present, as nvidia-smi topo -m)" : "GPU matrix (as nvidia-smi topo -m)",
        false, true);
  if (any_nvlink) {
    out << "\n";
    table("PCIe path classes", true, false);
  }
  out << "\nLegend: X self; PIX one PCIe switch; PXB several switches; PHB same host bridge; "
         "NODE same NUMA node, different host bridges; SYS across NUMA nodes/sockets; NV# NVLink links\n";
}

void render_nvlink(const Topology& t, std::ostream& out) {
  bool any = std::any_of(t.gpus.begin(), t.gpus.end(), [](const Gpu& g) { return !g.nvlink.empty(); });
  if (!any) return;
  out << "NVLink bundles:\n";
  for (const auto& g : t.gpus) {
    if (g.nvlink.empty()) continue;
    int total = 0;
    for (const auto& b : g.nvlink) total += b.links;
    out << "  GPU" << g.index << " (" << total << " links):";
    for (const auto& b : g.nvlink) {
      out << " " << (b.remote_kind == "gpu" ? "GPU" + std::to_string(b.remote_gpu) : b.remote_kind + " " + b.remote) << " x"
          << b.links;
    }
    if (!g.nvlink.empty() && g.nvlink.front().gbps_per_link > 0)
      out << "  (" << fmt_gbps(g.nvlink.front().gbps_per_link) << " GB/s per link per direction, NVLink "
          << g.nvlink.front().version << ")";
    out << "\n";
  }
}

namespace {

// Network rates as they are quoted: "200 Gb/s", "2.5 Gb/s".
std::string fmt_gbit(double g) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g Gb/s", g);
  return buf;
}

std::string describe_port(const NicPort& p) { return "port " + std::to_string(p.port) + " " + describe_port_state(p); }

void render_network(const Topology& t, std::ostream& out) {
  out << "Network adapters: " << t.nics.size() << "\n";
  for (const auto& nic : t.nics) {
    out << "  NIC" << nic.index << " " << nic.name << " " << to_string(nic.kind) << " " << nic.address.str();
    if (nic.numa_node >= 0) out << " NUMA " << nic.numa_node;
    if (nic.pcie_max) {
      out << " | PCIe max " << describe(*nic.pcie_max);
      if (nic.pcie_current) out << ", now " << describe(*nic.pcie_current);
    }
    for (const auto& p : nic.ports) out << " | " << describe_port(p);
    if (nic.max_rate_gbit > 0) out << " | adapter " << fmt_gbit(nic.max_rate_gbit);
    out << "\n";
    if (!nic.gpu_paths.empty()) {
      out << "    to GPUs:";
      for (size_t g = 0; g < nic.gpu_paths.size(); ++g) out << " GPU" << g << " " << to_string(nic.gpu_paths[g]);
      out << "\n";
    }
  }
  const GpuDirectRdma& gdr = t.system.gpudirect_rdma;
  out << "GPUDirect RDMA: peer module "
      << (gdr.peer_module == "?" ? "unknown" : gdr.peer_module.empty() ? "not loaded" : gdr.peer_module) << ", dma-buf "
      << (gdr.dmabuf ? (*gdr.dmabuf ? "possible" : "not possible") : "unknown") << "\n";
  if (!t.system.nccl_network_env.empty()) {
    out << "NCCL network variables:";
    for (const auto& [k, v] : t.system.nccl_network_env) out << " " << k << "=" << v;
    out << "\n";
  }
}

}  // namespace

std::string describe_port_state(const NicPort& p) {
  std::string s = p.state.empty() ? "?" : p.state;
  if (!p.phys_state.empty()) s += "/" + p.phys_state;
  if (p.active() && p.rate_gbit > 0) {
    s += " " + (p.rate_text.find("Gb/sec") == std::string::npos ? fmt_gbit(p.rate_gbit) : p.rate_text);
  }
  if (!p.netdev.empty()) s += " (" + p.netdev + ")";
  return s;
}

void render_topology(const Topology& t, std::ostream& out, const RenderOptions& options) {
  render_system(t, out);
  out << "GPUs: " << t.gpus.size() << "\n";
  render_notes(t, out);
  out << "\n";
  render_tree(t, out, options);
  if (!t.gpus.empty()) {
    out << "\n";
    render_matrix(t, out);
  }
  if (std::any_of(t.gpus.begin(), t.gpus.end(), [](const Gpu& g) { return !g.nvlink.empty(); })) {
    out << "\n";
    render_nvlink(t, out);
  }
  if (!t.nics.empty() || !t.system.nccl_network_env.empty()) {
    out << "\n";
    render_network(t, out);
  }
}

}  // namespace rigcheck::topology
