#include "rigcheck/topology/rig.h"

#include <algorithm>
#include <charconv>
#include <map>
#include <tuple>

#include "bounded_patch.h"
#include "json_number.h"
#include "rigcheck/topology/errors.h"
#include "rigcheck/topology/gpu_models.h"
#include "rigcheck/topology/json.h"
#include "rigcheck/topology/paths.h"
#include "rigcheck/topology/system_state.h"
#include "rigcheck/topology/validate.h"

namespace rigcheck::topology {

using nlohmann::json;
using detail::number_in;
using detail::number_or;

bool is_rig(const json& j) { return j.is_object() && j.value("schema", "") == kRigSchema; }

Rig parse_rig(const json& j) {
  if (!is_rig(j)) throw InputError(std::string("not a rig file (expected \"schema\": \"") + kRigSchema + "\")");
  try {
    Rig r;
    r.name = j.at("name").get<std::string>();
    r.description = j.value("description", "");
    r.source = j.value("source", "");
    r.base = j;
    r.inherent = j.value("inherent", std::vector<std::string>{});
    for (const auto& v : j.at("variants")) {
      RigVariant rv;
      rv.name = v.at("name").get<std::string>();
      rv.description = v.value("description", "");
      rv.patch = v.value("patch", json::array());
      rv.expect = v.value("expect", std::vector<std::string>{});
      r.variants.push_back(std::move(rv));
    }
    if (r.variants.empty()) throw InputError("a rig needs at least one variant (the healthy one first)");
    return r;
  } catch (const json::exception& e) {
    throw InputError(std::string("invalid rig file: ") + e.what());
  }
}

const RigVariant& find_variant(const Rig& rig, const std::string& name) {
  if (name.empty()) return rig.variants.front();
  for (const auto& v : rig.variants)
    if (v.name == name) return v;
  std::string known;
  for (const auto& v : rig.variants) known += (known.empty() ? "" : ", ") + v.name;
  throw InputError("rig " + rig.name + " has no variant \"" + name + "\" (it has: " + known + ")");
}

namespace {

LinkState parse_link(const std::string& s) {
  // "gen4x16"
  int gen = 0, width = 0;
  if (std::sscanf(s.c_str(), "gen%dx%d", &gen, &width) != 2 || gen < 1 || gen > 6 || width < 1 || width > 32)
    throw InputError("invalid link \"" + s + "\" (expected e.g. gen4x16)");
  return {gen, width};
}

PciAddress parse_address(const std::string& s) {
  auto a = PciAddress::parse(s);
  if (!a) throw InputError("invalid PCI address \"" + s + "\"");
  return *a;
}

// "2204": a PCI vendor or device id, 1 to 4 hex digits and nothing else.
uint16_t parse_hex16(const std::string& s) {
  unsigned v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v, 16);
  if (s.empty() || s.size() > 4 || ec != std::errc() || end != s.data() + s.size())
    throw InputError("invalid PCI id \"" + s + "\" (expected up to 4 hex digits, e.g. 2204)");
  return static_cast<uint16_t>(v);
}

LinkState min_link(LinkState a, LinkState b) { return {std::min(a.gen, b.gen), std::min(a.width, b.width)}; }

class Expander {
 public:
  explicit Expander(Topology& t) : t_(t) {}

  // One host bridge per socket, PCI domain (segment) and root bus: two segments may both number a
  // root bus 00, and they are two host bridges.
  int host_bridge(int socket, uint32_t domain, int bus) {
    const auto key = std::make_tuple(socket, domain, bus);
    if (auto it = host_bridges_.find(key); it != host_bridges_.end()) return it->second;
    PciNode n;
    n.id = static_cast<int>(t_.pci.size());
    n.kind = PciKind::host_bridge;
    n.domain = domain;
    n.secondary_bus = bus;
    n.subordinate_bus = bus;
    n.package = socket;
    n.numa_nodes = {socket};
    n.local_cpus = cpus_of(socket);
    t_.pci.push_back(n);
    return host_bridges_[key] = n.id;
  }

  int add(int parent, PciKind kind, const std::string& address, uint16_t vendor, uint16_t device, uint16_t class_id,
          const std::string& name) {
    PciNode n;
    n.id = static_cast<int>(t_.pci.size());
    n.parent = parent;
    n.kind = kind;
    n.address = parse_address(address);
    n.vendor_id = vendor;
    n.device_id = device;
    n.class_id = class_id;
    n.name = name;
    n.config_bytes = 4096;
    if (t_.pci[parent].kind == PciKind::host_bridge) {
      auto& hb = t_.pci[parent];
      hb.subordinate_bus = std::max(hb.subordinate_bus, static_cast<int>(n.address->bus));
    }
    t_.pci.push_back(n);
    return n.id;
  }

  static void set_acs(PciNode& n, const json& spec) {
    if (!spec.contains("acs")) return;
    const std::string acs = spec.at("acs");
    if (acs == "redirect") n.acs = AcsState{0x005f, 0x001d};  // what Linux enables: SV RR CR UF
    else if (acs == "off") n.acs = AcsState{0x005f, 0x0000};
    else throw InputError("acs must be \"redirect\" or \"off\", not \"" + acs + "\"");
  }

  static void link_below(PciNode& n, LinkState device, LinkState port, const json& spec) {
    PciLink l;
    l.device_max = device;
    l.port_max = port;
    l.max = min_link(device, port);
    l.current = spec.contains("current") ? parse_link(spec.at("current")) : l.max;
    l.source = "config";
    n.link = l;
  }

  void gpu(int parent, LinkState slot, const json& g) {
    const uint16_t device = parse_hex16(g.at("model"));
    const GpuModel* model = find_gpu_model(device);
    // A model the table lacks, or whose row has no sourced PCIe link, is described by the rig itself.
    const bool table_link = model && model->pcie_gen > 0 && model->pcie_width > 0;
    if (!g.contains("link") && !table_link)
      throw InputError("GPU model " + g.at("model").get<std::string>() +
                       (model ? " has no PCIe generation and width in topology/data/gpu_models.json"
                              : " is not in topology/data/gpu_models.json") +
                       ": give the GPU's \"link\" (e.g. \"gen4x16\")");
    const LinkState cap = g.contains("link") ? parse_link(g.at("link")) : LinkState{model->pcie_gen, model->pcie_width};
    const std::string name = model ? model->name : unknown_gpu_name(device);
    int id = add(parent, PciKind::endpoint, g.at("address"), 0x10de, device, 0x0300, model ? "NVIDIA Corporation " + name : name);
    link_below(t_.pci[id], cap, slot, g);
    t_.pci[id].driver = "nvidia";
    t_.pci[id].chipset = t_.pci[parent].chipset;
    Gpu out;
    out.index = static_cast<int>(t_.gpus.size());
    out.node = id;
    out.address = *t_.pci[id].address;
    out.vendor_id = 0x10de;
    out.device_id = device;
    out.name = name;
    if (model) {
      out.architecture = model->architecture;
      out.compute_capability = model->compute_capability;
      out.memory_bytes = static_cast<uint64_t>(model->memory_gib) << 30;
    } else {
      t_.notes.push_back({"gpu", "GPU model 10de:" + g.at("model").get<std::string>() + " (" + name +
                                     ") is not in rigcheck's GPU model table: its link is the rig's " + describe(cap) +
                                     "; compute capability, memory, NVLink links and P2P policy are not known"});
    }
    out.bar1_bytes = g.contains("bar1_mib") ? number_in<uint64_t>(g.at("bar1_mib"), "bar1_mib", 1, uint64_t{1} << 30) << 20
                                            : out.memory_bytes;
    out.gpu_max_gen = model && model->pcie_gen > 0 ? model->pcie_gen : cap.gen;
    out.chipset_attached = t_.pci[id].chipset;
    int hb = id;
    while (t_.pci[hb].parent >= 0) hb = t_.pci[hb].parent;
    out.numa_node = t_.pci[hb].numa_nodes.front();
    out.local_cpus = t_.pci[hb].local_cpus;
    t_.gpus.push_back(out);
  }

  // "nic": {"address", "kind": "infiniband"|"roce"|"ethernet", "rate_gbit", "link": "gen4x16", optional "current",
  // "max_rate_gbit" (defaults to rate_gbit), "width" (lanes), "state", "phys_state", "name", "netdev", "vendor",
  // "device", "model"}: one PCI function with one port (a dual-port ConnectX is two functions, so two entries).
  void nic(int parent, LinkState slot, const json& spec) {
    const std::string kind_text = spec.at("kind");
    const auto kind = nic_kind_from_string(kind_text);
    if (!kind || *kind == NicKind::unknown)
      throw InputError("a NIC's kind must be infiniband, roce or ethernet, not \"" + kind_text + "\"");
    // Defaults are the pci.ids names of common adapters: ConnectX-6 (HDR InfiniBand), ConnectX-6 Dx
    // (Ethernet, RoCE), Intel X710 (plain Ethernet).
    const bool rdma = *kind != NicKind::ethernet;
    const std::string vendor = rdma ? "15b3" : "8086";
    const std::string device = *kind == NicKind::infiniband ? "101b" : *kind == NicKind::roce ? "101d" : "1572";
    const std::string model = *kind == NicKind::infiniband ? "Mellanox Technologies MT28908 Family [ConnectX-6]"
                        : *kind == NicKind::roce     ? "Mellanox Technologies MT2892 Family [ConnectX-6 Dx]"
                                                     : "Intel Corporation Ethernet Controller X710 for 10GbE SFP+";
    const uint16_t class_id = *kind == NicKind::infiniband ? 0x0207 : 0x0200;
    int id = add(parent, PciKind::endpoint, spec.at("address"), parse_hex16(spec.value("vendor", vendor)),
                 parse_hex16(spec.value("device", device)), class_id, spec.value("model", model));
    link_below(t_.pci[id], parse_link(spec.at("link")), slot, spec);
    t_.pci[id].driver = rdma ? "mlx5_core" : spec.value("driver", "i40e");
    t_.pci[id].chipset = t_.pci[parent].chipset;
    Nic out;
    out.kind = *kind;
    out.address = *t_.pci[id].address;
    out.node = id;
    out.vendor_id = t_.pci[id].vendor_id;
    out.device_id = t_.pci[id].device_id;
    out.model = t_.pci[id].name;
    NicPort port;
    port.rate_gbit = number_in<double>(spec.at("rate_gbit"), "rate_gbit", 0, 16000);
    out.max_rate_gbit = spec.contains("max_rate_gbit") ? number_in<double>(spec.at("max_rate_gbit"), "max_rate_gbit", 1, 16000)
                                                       : port.rate_gbit;
    port.width = number_or(spec, "width", *kind == NicKind::infiniband ? 4 : 0, 0, 32);
    port.state = spec.value("state", std::string(rdma ? "ACTIVE" : "UP"));
    port.phys_state = rdma ? spec.value("phys_state", std::string(port.active() ? "LinkUp" : "Polling")) : "";
    port.link_layer = *kind == NicKind::infiniband ? "InfiniBand" : *kind == NicKind::roce ? "Ethernet" : "";
    out.name = spec.value("name", "");      // "" is named by name_nics, in address order
    port.netdev = spec.value("netdev", "");
    if (!port.netdev.empty()) out.netdevs = {port.netdev};
    out.ports = {port};
    int hb = id;
    while (t_.pci[hb].parent >= 0) hb = t_.pci[hb].parent;
    out.numa_node = t_.pci[hb].numa_nodes.front();
    t_.nics.push_back(out);
  }

  void nics(int parent, LinkState slot, const json& spec) {
    if (!spec.contains("nic")) return;
    const json& n = spec.at("nic");
    if (n.is_array())
      for (const auto& one : n) nic(parent, slot, one);
    else
      nic(parent, slot, n);
  }

  void below_port(int port, LinkState slot, const json& spec) {
    if (spec.contains("gpu")) gpu(port, slot, spec.at("gpu"));
    nics(port, slot, spec);
    if (spec.contains("switch")) {
      const json& sw = spec.at("switch");
      const LinkState uplink = parse_link(sw.at("uplink"));
      int up = add(port, PciKind::switch_upstream, sw.at("address"), parse_hex16(sw.value("vendor", "10b5")),
                   parse_hex16(sw.value("device", "8747")), 0x0604, sw.value("name", "PCIe switch"));
      link_below(t_.pci[up], uplink, slot, sw);
      t_.pci[up].chipset = t_.pci[port].chipset;
      for (const auto& p : sw.at("ports")) {
        int down = add(up, PciKind::switch_downstream, p.at("address"), t_.pci[up].vendor_id, t_.pci[up].device_id, 0x0604,
                       t_.pci[up].name);
        set_acs(t_.pci[down], p);
        t_.pci[down].chipset = t_.pci[up].chipset;
        below_port(down, p.contains("slot") ? parse_link(p.at("slot")) : uplink, p);
      }
    }
  }

  void root_port(const json& rp) {
    const int socket = number_or(rp, "socket", 0, 0, kMaxPackageIndex);
    const PciAddress a = parse_address(rp.at("address"));
    const int bus = number_or(rp, "root_bus", static_cast<int>(a.bus), 0, 255);
    const int hb = host_bridge(socket, a.domain, bus);
    const std::string chipset = rp.value("chipset", "");
    std::string name = rp.value("name", "");
    uint16_t vendor = 0x8086, device = 0x0000;
    if (chipset == "intel") {
      if (name.empty()) name = "Intel Corporation PCH PCI Express Root Port";
    } else if (chipset == "amd-x570") {
      vendor = 0x1022;
      device = 0x1483;
      if (name.empty()) name = "Advanced Micro Devices, Inc. [AMD] Starship/Matisse GPP Bridge";
    } else if (!chipset.empty()) {
      throw InputError("chipset must be \"intel\" or \"amd-x570\", not \"" + chipset + "\"");
    }
    int port = add(hb, PciKind::root_port, rp.at("address"), vendor, device, 0x0604, name.empty() ? "CPU root port" : name);
    set_acs(t_.pci[port], rp);
    LinkState slot = parse_link(rp.at("slot"));
    t_.pci[port].chipset = chipset == "intel";
    if (chipset == "amd-x570") {
      // X570's chipset is a PCIe switch (1022:57ad) on a Gen4 x4 link from the CPU.
      json sw = {{"address", rp.at("chipset_address")}, {"vendor", "1022"}, {"device", "57ad"},
                 {"name", "Advanced Micro Devices, Inc. [AMD] Matisse Switch Upstream"}, {"uplink", "gen4x4"},
                 {"ports", json::array({{{"address", rp.at("chipset_port")}, {"slot", rp.at("slot")}, {"gpu", rp.at("gpu")}}})}};
      int up = add(port, PciKind::switch_upstream, sw.at("address"), 0x1022, 0x57ad, 0x0604, sw.at("name"));
      link_below(t_.pci[up], {4, 4}, {4, 4}, json::object());
      t_.pci[up].chipset = true;
      int down = add(up, PciKind::switch_downstream, rp.at("chipset_port"), 0x1022, 0x57a4, 0x0604,
                     "Advanced Micro Devices, Inc. [AMD] Matisse PCIe GPP Bridge");
      t_.pci[down].chipset = true;
      gpu(down, slot, rp.at("gpu"));
      return;
    }
    below_port(port, slot, rp);
  }

  std::string cpus_of(int socket) const {
    for (const auto& p : t_.packages)
      if (p.os_index == socket) return p.cpus;
    return {};
  }

 private:
  Topology& t_;
  std::map<std::tuple<int, uint32_t, int>, int> host_bridges_;
};

// NICs the rig file does not name get names as the kernel gives them, in PCI address order:
// mlx5_N across RDMA adapters and ibN for InfiniBand interfaces; Ethernet names (udev names them by
// slot) are placeholders, ensNnp0 for RoCE and ethN for plain Ethernet.
void name_nics(std::vector<Nic>& nics) {
  int rdma = 0, ib = 0, roce = 0, eth = 0;
  for (Nic& nic : nics) {
    const int rdma_n = nic.rdma() ? rdma++ : -1;
    const int n = nic.kind == NicKind::infiniband ? ib++ : nic.kind == NicKind::roce ? roce++ : eth++;
    const std::string netdev = nic.kind == NicKind::infiniband ? "ib" + std::to_string(n)
                               : nic.kind == NicKind::roce     ? "ens" + std::to_string(n) + "np0"
                                                               : "eth" + std::to_string(n);
    if (nic.name.empty()) nic.name = nic.rdma() ? "mlx5_" + std::to_string(rdma_n) : netdev;
    for (NicPort& p : nic.ports)
      if (p.netdev.empty()) p.netdev = nic.rdma() ? netdev : nic.name;
    if (nic.netdevs.empty())
      for (const NicPort& p : nic.ports) nic.netdevs.push_back(p.netdev);
  }
}

void expand_system(const json& s, SystemState& out) {
  out.kernel = s.value("kernel", "");
  out.cmdline = diagnostic_kernel_parameters(s.value("cmdline", ""));
  const std::string iommu = s.value("iommu", "unknown");
  static const std::map<std::string, IommuMode> modes{{"unknown", IommuMode::unknown}, {"off", IommuMode::off},
                                                      {"passthrough", IommuMode::passthrough},
                                                      {"translated", IommuMode::translated}};
  auto it = modes.find(iommu);
  if (it == modes.end()) throw InputError("iommu must be off, passthrough, translated or unknown");
  out.iommu = it->second;
  out.iommu_evidence = {"rig file"};
  out.nvidia_driver = s.value("nvidia_driver", "");
  out.cuda_driver_version = number_or(s, "cuda_driver_version", 0, 0, 1000000);
  out.cuda_runtime_version = number_or(s, "cuda_runtime_version", 0, 0, 1000000);
  out.nccl_version = number_or(s, "nccl_version", 0, 0, 10000000);
  out.root = true;
  out.config_space_restricted = false;
  // "gpudirect_rdma": {"peer_module": "nvidia_peermem" | "nv_peer_mem" | "", "dmabuf": true|false}
  if (s.contains("gpudirect_rdma")) {
    const json& g = s.at("gpudirect_rdma");
    out.gpudirect_rdma.peer_module = g.value("peer_module", "");
    if (out.gpudirect_rdma.peer_module != "nvidia_peermem" && out.gpudirect_rdma.peer_module != "nv_peer_mem" &&
        !out.gpudirect_rdma.peer_module.empty())
      throw InputError("gpudirect_rdma.peer_module must be nvidia_peermem, nv_peer_mem or \"\" (none loaded)");
    if (g.contains("dmabuf")) out.gpudirect_rdma.dmabuf = g.at("dmabuf").get<bool>();
    out.gpudirect_rdma.evidence = {"rig file"};
  }
  // "nccl_env": {"NCCL_IB_HCA": "mlx5_0,mlx5_1", …}: only the network variables rigcheck records.
  const json env = s.value("nccl_env", json::object());  // kept: items() refers to it
  if (!env.is_object()) throw InputError("nccl_env must be an object of variable names and values");
  for (const auto& [name, value] : env.items()) {
    if (!is_nccl_network_variable(name))
      throw InputError("nccl_env: " + name + " is not one of the NCCL network variables rigcheck records");
    out.nccl_network_env[name] = value.get<std::string>();
  }
}

// The NVLink version and per-link rate of a rig's link: the rig's "version" when it gives one,
// else the model table's. A rate no source gives is refused rather than modelled as unlimited.
std::pair<int, double> nvlink_rate(const GpuModel* m, const json& spec, const std::string& where) {
  int version = m ? m->nvlink_version : 0;
  double rate = m && m->nvlink_gbps_per_link > 0 ? m->nvlink_gbps_per_link : 0;
  if (spec.contains("version")) {
    version = number_in(spec.at("version"), "version", 1, 5);
    rate = nvlink_gbps_per_link(version);
  } else if (rate <= 0) {
    rate = nvlink_gbps_per_link(version);
  }
  if (rate <= 0)
    throw InputError(where + " links " + (m ? m->name : std::string("a GPU model rigcheck does not know")) +
                     ", whose NVLink version no source in rigcheck's model table gives: add \"version\" (1-5) to it");
  return {version, rate};
}

Topology expand(const json& j) {
  Topology t;
  t.source.kind = "json";
  t.machine = j.value("machine", "");
  int socket = 0;
  for (const auto& s : j.at("sockets")) {
    if (socket > kMaxPackageIndex) throw InputError("a rig has at most " + std::to_string(kMaxPackageIndex + 1) + " sockets");
    const int cores = number_or(s, "cores", 8, 1, 4096);
    const std::string cpus = std::to_string(socket * cores) + "-" + std::to_string(socket * cores + cores - 1);
    t.packages.push_back({socket, cpus, s.value("model", "")});
    t.numa_nodes.push_back({socket, socket, cpus, number_or<uint64_t>(s, "memory_gib", 64, 0, uint64_t{1} << 24) << 30});
    ++socket;
  }
  if (t.packages.empty()) throw InputError("a rig needs at least one socket");
  expand_system(j.value("system", json::object()), t.system);
  Expander x(t);
  for (const auto& rp : j.at("root_ports")) {
    if (number_or(rp, "socket", 0, 0, kMaxPackageIndex) >= socket)
      throw InputError("root port " + rp.value("address", "?") + " names a missing socket");
    x.root_port(rp);
    check_gpu_count(t.gpus.size());  // before the pairs, whose number is the square
  }
  // GPU indexes follow PCI address order, as everywhere else in rigcheck.
  std::vector<Gpu> gpus = t.gpus;
  std::sort(gpus.begin(), gpus.end(), [](const Gpu& a, const Gpu& b) { return a.address < b.address; });
  for (size_t i = 0; i < gpus.size(); ++i) gpus[i].index = static_cast<int>(i);
  t.gpus = gpus;
  std::sort(t.nics.begin(), t.nics.end(), [](const Nic& a, const Nic& b) { return a.address < b.address; });
  for (size_t i = 0; i < t.nics.size(); ++i) t.nics[i].index = static_cast<int>(i);
  name_nics(t.nics);
  for (const auto& nv : j.value("nvlink", json::array())) {
    const int a = number_in(nv.at("gpus").at(0), "gpus", 0, static_cast<int>(kMaxGpus)),
              b = number_in(nv.at("gpus").at(1), "gpus", 0, static_cast<int>(kMaxGpus)),
              links = number_in(nv.at("links"), "links", 1, kMaxNvLinksPerBundle);
    if (a < 0 || b < 0 || a >= static_cast<int>(t.gpus.size()) || b >= static_cast<int>(t.gpus.size()) || a == b)
      throw InputError("nvlink names a missing GPU");
    const auto [version, rate] = nvlink_rate(find_gpu_model(t.gpus[a].device_id), nv, "an nvlink entry");
    t.gpus[a].nvlink.push_back({"gpu", b, t.gpus[b].address.str(), links, version, rate});
    t.gpus[b].nvlink.push_back({"gpu", a, t.gpus[a].address.str(), links, version, rate});
  }
  // "nvswitch": {"links_per_gpu": 18}: every GPU's links go to the NVSwitch fabric of an HGX/DGX
  // board (no direct GPU-GPU bundles); the paths then see every pair through NVSwitch.
  if (j.contains("nvswitch")) {
    const int links = number_in(j.at("nvswitch").at("links_per_gpu"), "links_per_gpu", 1, kMaxNvLinksPerBundle);
    for (auto& g : t.gpus) {
      const auto [version, rate] = nvlink_rate(find_gpu_model(g.device_id), j.at("nvswitch"), "\"nvswitch\"");
      g.nvlink.push_back({"nvswitch", -1, "nvswitch", links, version, rate});
    }
  }
  compute_paths(t);
  const std::string p2p = j.value("p2p", "stock");
  if (p2p == "all" || p2p == "none")
    for (auto& p : t.pairs) p.p2p.cuda = p2p == "all";
  else if (p2p != "stock")
    throw InputError("p2p must be stock, all or none");
  validate_topology(t);
  return t;
}

std::optional<RigBuild> build_of(const json& patched) {
  if (!patched.contains("build")) return std::nullopt;
  RigBuild b;
  const json& build = patched.at("build");
  for (const auto& arch : build.value("cuda_architectures", json::array()))
    b.cuda_architectures.push_back(number_in(arch, "cuda_architectures", 10, 1000));
  b.cuda_toolkit_major = number_or(build, "cuda_toolkit", 0, 0, 100);
  return b;
}

// The variant's patch applied to the base, once; what expanding and the build both read.
struct PatchedVariant {
  std::string label;  // "rig NAME variant VARIANT", for messages and the topology's source
  json doc;
};

template <typename F>
auto with_variant(const Rig& rig, const std::string& variant, F&& f) {
  const RigVariant& v = find_variant(rig, variant);
  const std::string label = "rig " + rig.name + " variant " + v.name;
  try {
    return f(PatchedVariant{label, detail::apply_bounded_patch(rig.base, v.patch)});
  } catch (const json::exception& e) {
    throw InputError(label + ": " + e.what());
  } catch (const InputError& e) {
    throw InputError(label + ": " + e.what());
  }
}

Topology expand_patched(const PatchedVariant& p) {
  Topology t = expand(p.doc);
  t.source.xml = p.label;
  return t;
}

}  // namespace

Topology expand_rig(const Rig& rig, const std::string& variant) {
  return with_variant(rig, variant, [](const PatchedVariant& p) { return expand_patched(p); });
}

std::optional<RigBuild> rig_build(const Rig& rig, const std::string& variant) {
  return with_variant(rig, variant, [](const PatchedVariant& p) { return build_of(p.doc); });
}

MachineFile load_machine(const std::string& path, const std::string& variant) {
  const json j = read_json_file(path);
  try {
    if (is_rig(j)) {
      const Rig rig = parse_rig(j);
      return with_variant(rig, variant, [](const PatchedVariant& p) { return MachineFile{expand_patched(p), build_of(p.doc)}; });
    }
    if (!variant.empty()) throw InputError("--variant applies to rig files; " + path + " is a topology");
    return {topology_from_json(j), std::nullopt};
  } catch (const InputError& e) {
    throw InputError(path + ": " + e.what());
  }
}

Topology load_machine_file(const std::string& path, const std::string& variant) {
  return load_machine(path, variant).topology;
}

}  // namespace rigcheck::topology
