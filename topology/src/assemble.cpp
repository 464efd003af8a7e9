#include "assemble.h"

#include <algorithm>
#include <map>
#include <string_view>

#include "rigcheck/topology/gpu_models.h"
#include "rigcheck/topology/pci_address.h"
#include "sysfs_source.h"

namespace rigcheck::topology::detail {
namespace {

constexpr uint16_t kVendorNvidia = 0x10de;
constexpr uint16_t kVendorIntel = 0x8086;
constexpr uint16_t kVendorAmd = 0x1022;

bool is_downstream_facing(PciKind k) {
  return k == PciKind::root_port || k == PciKind::switch_downstream || k == PciKind::pci_bridge;
}

bool has_bridge_child(const Topology& t, int id) {
  for (const auto& n : t.pci)
    if (n.parent == id && is_bridge(n.kind)) return true;
  return false;
}

bool contains(std::string_view haystack, std::string_view needle) { return haystack.find(needle) != std::string_view::npos; }

// Bridges that belong to a chipset (Intel PCH, AMD Promontory): GPUs below them share the
// chipset's uplink (DMI on Intel, a Gen4 x4 link on AMD) with USB, SATA and network.
bool is_chipset_bridge(const PciNode& n) {
  // pci.ids names Intel PCH and AMD chipset ports "… Chipset …" or "… PCH …".
  if (contains(n.name, "Chipset") || contains(n.name, " PCH")) return true;
  // X570's chipset ports are named after the CPU ("Matisse Switch Upstream", "Matisse PCIe GPP
  // Bridge" 57a3/57a4; pci.ids), so they are listed by id.
  if (n.vendor_id == kVendorAmd && (n.device_id == 0x57ad || n.device_id == 0x57a3 || n.device_id == 0x57a4)) return true;
  if (n.vendor_id == kVendorIntel && n.kind == PciKind::root_port && n.address && is_intel_pch_root_port_slot(*n.address)) return true;
  return false;
}

LinkState min_known(const LinkState& a, const LinkState& b) {
  auto pick = [](int x, int y) { return x == 0 ? y : (y == 0 ? x : std::min(x, y)); };
  return LinkState{pick(a.gen, b.gen), pick(a.width, b.width)};
}

bool is_gpu(const PciNode& n) {
  // Display controllers of NVIDIA: 0x0300 VGA (GeForce, Quadro) and 0x0302 3D (datacenter).
  return n.kind == PciKind::endpoint && n.vendor_id == kVendorNvidia && (n.class_id >> 8) == 0x03;
}

}  // namespace

void classify_bridges(DiscoveryState& state) {
  Topology& t = state.topo;
  // Parents always come before their children (depth-first discovery), so one pass suffices.
  for (PciNode& n : t.pci) {
    if (!is_bridge(n.kind)) continue;
    if (auto type = state.regs[n.id].pcie_type) {
      switch (*type) {
        case PcieType::root_port: n.kind = PciKind::root_port; break;
        case PcieType::switch_upstream: n.kind = PciKind::switch_upstream; break;
        case PcieType::switch_downstream: n.kind = PciKind::switch_downstream; break;
        default: n.kind = PciKind::pci_bridge; break;
      }
      continue;
    }
    // Without config space (an XML): infer from the position in the tree.
    const PciKind parent = n.parent >= 0 ? t.pci[n.parent].kind : PciKind::host_bridge;
    if (parent == PciKind::host_bridge) n.kind = PciKind::root_port;
    else if (parent == PciKind::switch_upstream) n.kind = PciKind::switch_downstream;
    else if (has_bridge_child(t, n.id)) n.kind = PciKind::switch_upstream;
    else n.kind = PciKind::pci_bridge;
  }
  for (PciNode& n : t.pci) {
    bool parent_chipset = n.parent >= 0 && t.pci[n.parent].chipset;
    n.chipset = parent_chipset || (is_bridge(n.kind) && is_chipset_bridge(n));
  }
}

void assemble_links(DiscoveryState& state) {
  Topology& t = state.topo;
  for (PciNode& n : t.pci) {
    // A link joins a downstream-facing port with the function below it; switch-internal paths
    // (upstream port to downstream port) and root-complex integrated devices have none.
    if (n.parent < 0 || !is_downstream_facing(t.pci[n.parent].kind)) continue;
    const NodeRegisters& own = state.regs[n.id];
    const NodeRegisters& port = state.regs[n.parent];
    PciLink link;
    link.device_max = own.capability;
    if (port.source == "config" || port.source == "sysfs") link.port_max = port.capability;
    link.max = min_known(link.device_max, link.port_max);
    link.current = own.status;
    link.current_gbps = own.hwloc_gbps;
    link.source = own.source.empty() ? port.source : own.source;
    if (link.source.empty()) continue;  // nothing known about this link
    n.link = link;
  }
}

void collect_gpus(DiscoveryState& state, const std::optional<RootedFs>& fs) {
  Topology& t = state.topo;
  std::vector<const PciNode*> gpus;
  for (const auto& n : t.pci)
    if (is_gpu(n)) gpus.push_back(&n);
  std::sort(gpus.begin(), gpus.end(), [](const PciNode* a, const PciNode* b) { return *a->address < *b->address; });
  for (const PciNode* n : gpus) {
    Gpu g;
    g.index = static_cast<int>(t.gpus.size());
    g.node = n->id;
    g.address = *n->address;
    g.vendor_id = n->vendor_id;
    g.device_id = n->device_id;
    g.chipset_attached = n->chipset;
    if (const GpuModel* m = find_gpu_model(n->device_id)) {
      g.name = m->name;
      g.architecture = m->architecture;
      g.compute_capability = m->compute_capability;
      g.memory_bytes = static_cast<uint64_t>(m->memory_gib) << 30;
      if (m->pcie_gen > 0) g.gpu_max_gen = m->pcie_gen;
    } else {
      // Not in the table: the name libpci or hwloc read from pci.ids, else the id itself.
      g.name = n->name.empty() ? unknown_gpu_name(n->device_id) : n->name;
    }
    // No figure from the table: the card's own capability (its LnkCap, or sysfs max_link_speed).
    if (!g.gpu_max_gen && n->link && n->link->device_max.gen > 0) g.gpu_max_gen = n->link->device_max.gen;
    // Locality: the root bus's CPU-side attachment, refined by sysfs numa_node when present.
    int hb = n->id;
    while (t.pci[hb].parent >= 0) hb = t.pci[hb].parent;
    if (t.pci[hb].numa_nodes.size() == 1) g.numa_node = t.pci[hb].numa_nodes.front();
    g.local_cpus = t.pci[hb].local_cpus;
    if (fs) {
      const std::string dir = "/sys/bus/pci/devices/" + g.address.str() + "/";
      if (auto node = fs->read_long(dir + "numa_node"); node && *node >= 0) g.numa_node = static_cast<int>(*node);
      if (auto cpus = fs->read_text(dir + "local_cpulist"); cpus && !cpus->empty()) g.local_cpus = *cpus;
      // NVIDIA GPUs expose VRAM through BAR1 (resource index 1); its size says whether
      // Resizable BAR / Above-4G decoding is on.
      if (auto res = fs->read_text(dir + "resource")) g.bar1_bytes = bar_size_from_resource(*res, 1);
    }
    t.gpus.push_back(std::move(g));
  }
}

void attach_nvlinks(DiscoveryState& state) {
  Topology& t = state.topo;
  std::map<int, int> gpu_of_node;
  for (const auto& g : t.gpus) gpu_of_node[g.node] = g.index;
  for (const RawNvLink& raw : state.nvlinks) {
    auto from = gpu_of_node.find(raw.from_node);
    if (from == gpu_of_node.end()) continue;
    Gpu& g = t.gpus[from->second];
    const GpuModel* model = find_gpu_model(g.device_id);
    NvLinkBundle b;
    b.remote_kind = raw.to_kind;
    b.version = raw.version ? raw.version : (model ? model->nvlink_version : 0);
    b.gbps_per_link = model && model->nvlink_gbps_per_link > 0 ? model->nvlink_gbps_per_link : nvlink_gbps_per_link(b.version);
    if (raw.links > 0) {
      b.links = raw.links;
    } else if (b.gbps_per_link > 0) {
      // hwloc stores the bundle's total MB/s; divide by the per-link rate to count links.
      b.links = std::max(1, static_cast<int>(raw.mbps / (b.gbps_per_link * 1000.0) + 0.5));
    }
    if (raw.to_kind == "cpu") {
      b.remote = "package " + std::to_string(raw.to_package);
    } else if (raw.to_node >= 0 && t.pci[raw.to_node].address) {
      b.remote = t.pci[raw.to_node].address->str();
      if (auto other = gpu_of_node.find(raw.to_node); other != gpu_of_node.end()) b.remote_gpu = other->second;
    }
    g.nvlink.push_back(b);
  }
}

}  // namespace rigcheck::topology::detail
