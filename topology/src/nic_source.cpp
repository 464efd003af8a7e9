#include "nic_source.h"

#include <algorithm>
#include <map>

#include "rigcheck/topology/nic_text.h"

namespace rigcheck::topology::detail {
namespace {

constexpr uint16_t kClassEthernet = 0x0200;
constexpr uint16_t kClassInfiniband = 0x0207;

std::optional<PciAddress> device_address(const RootedFs& fs, const std::string& dir) {
  auto name = fs.link_target_name(dir + "/device");
  if (!name) return std::nullopt;
  return PciAddress::parse(*name);
}

std::string upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

NicPort read_rdma_port(const RootedFs& fs, const std::string& dir, int number) {
  NicPort p;
  p.port = number;
  p.state = port_state_name(fs.read_text(dir + "/state").value_or(""));
  p.phys_state = port_state_name(fs.read_text(dir + "/phys_state").value_or(""));
  p.link_layer = fs.read_text(dir + "/link_layer").value_or("");
  p.rate_text = fs.read_text(dir + "/rate").value_or("");
  if (auto r = parse_ib_rate(p.rate_text)) p.rate_gbit = r->gbit, p.width = r->width;
  return p;
}

Nic rdma_nic(const RootedFs& fs, const std::string& name, const PciAddress& address) {
  Nic nic;
  nic.name = name;
  nic.address = address;
  const std::string dir = "/sys/class/infiniband/" + name;
  std::vector<int> numbers;
  for (const auto& e : fs.list_dir(dir + "/ports")) {
    char* end = nullptr;
    const long n = std::strtol(e.c_str(), &end, 10);
    if (end && *end == '\0' && n >= 0 && n < 256) numbers.push_back(static_cast<int>(n));
  }
  std::sort(numbers.begin(), numbers.end());
  for (int n : numbers) nic.ports.push_back(read_rdma_port(fs, dir + "/ports/" + std::to_string(n), n));
  // The link layer decides: InfiniBand on any port makes an HCA, Ethernet everywhere makes RoCE.
  const bool ib = std::any_of(nic.ports.begin(), nic.ports.end(), [](const NicPort& p) { return p.link_layer == "InfiniBand"; });
  const bool eth = std::any_of(nic.ports.begin(), nic.ports.end(), [](const NicPort& p) { return p.link_layer == "Ethernet"; });
  nic.kind = ib ? NicKind::infiniband : eth ? NicKind::roce : NicKind::unknown;
  return nic;
}

// An interface's place among its function's ports: dev_port counts from 0 (sysfs-class-net),
// InfiniBand ports from 1.
int port_of_netdev(const RootedFs& fs, const std::string& netdev) {
  const auto dev_port = fs.read_long("/sys/class/net/" + netdev + "/dev_port");
  return dev_port && *dev_port >= 0 && *dev_port < 255 ? static_cast<int>(*dev_port) + 1 : 1;
}

NicPort ethernet_port(const RootedFs& fs, const std::string& netdev, int number) {
  NicPort p;
  p.port = number;
  p.netdev = netdev;
  const std::string dir = "/sys/class/net/" + netdev;
  p.state = upper(fs.read_text(dir + "/operstate").value_or(""));
  p.rate_text = fs.read_text(dir + "/speed").value_or("");
  // The speed of a link that is down reads -1 (or fails): no rate.
  if (auto g = netdev_speed_gbit(p.rate_text); g && p.active()) p.rate_gbit = *g;
  return p;
}

void join_tree(const RootedFs& fs, DiscoveryState& state, Nic& nic) {
  Topology& t = state.topo;
  nic.node = state.find(nic.address);
  if (nic.node < 0) {
    state.note("network", "NIC " + nic.name + " at " + nic.address.str() + " is not in the PCI tree: its path to the GPUs is unknown");
  } else {
    const PciNode& n = t.pci[nic.node];
    nic.vendor_id = n.vendor_id;
    nic.device_id = n.device_id;
    nic.model = n.name;
    int hb = nic.node;
    while (t.pci[hb].parent >= 0) hb = t.pci[hb].parent;
    if (t.pci[hb].numa_nodes.size() == 1) nic.numa_node = t.pci[hb].numa_nodes.front();
  }
  // sysfs knows the function's node better than the root bus's attachment does (as for GPUs).
  if (auto numa = fs.read_long("/sys/bus/pci/devices/" + nic.address.str() + "/numa_node"); numa && *numa >= 0 && *numa < 1024)
    nic.numa_node = static_cast<int>(*numa);
}

}  // namespace

void collect_nics(const RootedFs& fs, DiscoveryState& state) {
  std::map<PciAddress, Nic> by_address;
  for (const auto& name : fs.list_dir("/sys/class/infiniband")) {
    // Software RDMA (rxe, siw) sits on a netdev, not a PCI function: not an adapter of its own.
    auto address = device_address(fs, "/sys/class/infiniband/" + name);
    if (!address || by_address.count(*address)) continue;
    by_address.emplace(*address, rdma_nic(fs, name, *address));
  }
  for (const auto& netdev : fs.list_dir("/sys/class/net")) {
    auto address = device_address(fs, "/sys/class/net/" + netdev);
    if (!address) continue;  // lo, bridges, veth, docker0: virtual
    auto [it, fresh] = by_address.try_emplace(*address);
    Nic& nic = it->second;
    nic.netdevs.push_back(netdev);
    const int port = port_of_netdev(fs, netdev);
    if (fresh || nic.kind == NicKind::ethernet) {
      // No RDMA device on this function: NCCL can reach it through sockets only.
      if (fresh) nic.name = netdev, nic.address = *address, nic.kind = NicKind::ethernet;
      nic.ports.push_back(ethernet_port(fs, netdev, static_cast<int>(nic.ports.size()) + 1));
      continue;
    }
    for (NicPort& p : nic.ports)
      if (p.netdev.empty() && (p.port == port || nic.ports.size() == 1)) {
        p.netdev = netdev;
        break;
      }
  }
  // Network controllers with neither an RDMA device nor an interface: a driver is missing.
  for (const PciNode& n : state.topo.pci) {
    if (n.kind != PciKind::endpoint || !n.address || (n.class_id != kClassEthernet && n.class_id != kClassInfiniband)) continue;
    if (by_address.count(*n.address)) continue;
    Nic nic;
    nic.name = n.address->str();
    nic.address = *n.address;
    nic.kind = n.class_id == kClassInfiniband ? NicKind::infiniband : NicKind::ethernet;
    state.note("network", "network controller " + n.address->str() + " has no network interface or RDMA device" +
                              (n.driver.empty() ? " (no driver bound)" : " (driver " + n.driver + ")"));
    by_address.emplace(*n.address, nic);
  }
  std::vector<Nic>& nics = state.topo.nics;
  nics.clear();
  for (auto& [address, nic] : by_address) {
    std::sort(nic.netdevs.begin(), nic.netdevs.end());
    join_tree(fs, state, nic);
    nic.index = static_cast<int>(nics.size());
    nics.push_back(std::move(nic));
  }
}

void nics_from_hwloc(DiscoveryState& state) {
  // InfiniBand port states by number (IBA PortInfo PortState; sysfs prints them "4: ACTIVE").
  static const char* const kStates[] = {"NOP", "DOWN", "INIT", "ARMED", "ACTIVE", "ACTIVE_DEFER"};
  Topology& t = state.topo;
  std::map<int, Nic> by_node;
  for (const RawOsNic& raw : state.os_nics) {
    if (raw.node < 0 || raw.node >= static_cast<int>(t.pci.size()) || !t.pci[raw.node].address) continue;
    auto [it, fresh] = by_node.try_emplace(raw.node);
    Nic& nic = it->second;
    if (fresh) {
      nic.address = *t.pci[raw.node].address;
      nic.kind = NicKind::ethernet;
    }
    if (raw.rdma && !nic.rdma()) {
      nic.name = raw.name;
      // hwloc does not keep the link layer: the function's class tells InfiniBand from RoCE.
      nic.kind = t.pci[raw.node].class_id == kClassInfiniband ? NicKind::infiniband : NicKind::roce;
      nic.ports.clear();
      for (const auto& [port, number] : raw.port_states) {
        NicPort p;
        p.port = port;
        p.state = number >= 0 && number < 6 ? kStates[number] : std::to_string(number);
        nic.ports.push_back(p);
      }
    } else if (!raw.rdma) {
      nic.netdevs.push_back(raw.name);
      if (nic.name.empty()) nic.name = raw.name;
    }
  }
  std::vector<Nic>& nics = t.nics;
  nics.clear();
  for (auto& [node, nic] : by_node) nics.push_back(std::move(nic));
  std::sort(nics.begin(), nics.end(), [](const Nic& a, const Nic& b) { return a.address < b.address; });
  for (Nic& nic : nics) {
    nic.index = static_cast<int>(&nic - nics.data());
    nic.node = state.find(nic.address);
    const PciNode& n = t.pci[nic.node];
    nic.vendor_id = n.vendor_id;
    nic.device_id = n.device_id;
    nic.model = n.name;
    std::sort(nic.netdevs.begin(), nic.netdevs.end());
    if (nic.rdma() && nic.ports.size() == 1 && nic.netdevs.size() == 1) nic.ports[0].netdev = nic.netdevs[0];
    int hb = nic.node;
    while (t.pci[hb].parent >= 0) hb = t.pci[hb].parent;
    if (t.pci[hb].numa_nodes.size() == 1) nic.numa_node = t.pci[hb].numa_nodes.front();
  }
  if (!nics.empty())
    state.note("network", "hwloc XML: NIC port rates, link layers and GPUDirect RDMA modules are not in it; run rigcheck on the "
                          "machine for them");
}

GpuDirectRdma read_gpudirect_rdma(const RootedFs& fs, const SystemState& system, const std::string& nvidia_version_text) {
  GpuDirectRdma g;
  // /sys/module/NAME exists while a module is loaded (or built in).
  if (fs.exists("/sys/module/nvidia_peermem")) g.peer_module = "nvidia_peermem";
  else if (fs.exists("/sys/module/nv_peer_mem")) g.peer_module = "nv_peer_mem";
  else g.peer_module = "";
  g.evidence.push_back(g.peer_module.empty() ? "/sys/module: neither nvidia_peermem nor nv_peer_mem loaded"
                                             : "/sys/module/" + g.peer_module + ": loaded");
  // dma-buf: RDMA memory registration of dma-buf arrived in Linux 5.12 and the NVIDIA open kernel
  // modules export CUDA memory as dma-buf; the proprietary module does not.
  const auto kernel_ok = kernel_at_least(system.kernel, 5, 12);
  const bool open_module = nvidia_version_text.find("Open Kernel Module") != std::string::npos;
  if (system.nvidia_driver.empty()) {
    g.dmabuf = false;
    g.evidence.push_back("dma-buf: no NVIDIA driver loaded");
  } else if (kernel_ok) {
    g.dmabuf = *kernel_ok && open_module;
    g.evidence.push_back("dma-buf: kernel " + system.kernel + (*kernel_ok ? " (5.12 or later)" : " (before 5.12)") + ", " +
                         (open_module ? "NVIDIA open kernel module" : "NVIDIA proprietary kernel module"));
  } else {
    g.evidence.push_back("dma-buf: kernel release unknown");
  }
  return g;
}

}  // namespace rigcheck::topology::detail
