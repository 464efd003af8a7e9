#include "rigcheck/topology/json.h"

#include <nlohmann/json.hpp>

#include "json_number.h"
#include "rigcheck/topology/errors.h"
#include "rigcheck/topology/input_file.h"
#include "rigcheck/topology/validate.h"

namespace rigcheck::topology {

using nlohmann::json;
using detail::number;

// ---- enums as strings -------------------------------------------------------------------------

namespace {

template <typename E, size_t N>
E enum_from(const std::string& s, const std::pair<E, const char*> (&names)[N], const char* what) {
  for (const auto& [value, name] : names)
    if (s == name) return value;
  throw InputError(std::string("unknown ") + what + " \"" + s + "\"");
}

constexpr std::pair<PciKind, const char*> kKinds[] = {
    {PciKind::host_bridge, "host_bridge"},         {PciKind::root_port, "root_port"},
    {PciKind::switch_upstream, "switch_upstream"}, {PciKind::switch_downstream, "switch_downstream"},
    {PciKind::pci_bridge, "pci_bridge"},           {PciKind::endpoint, "endpoint"}};
constexpr std::pair<PathClass, const char*> kClasses[] = {
    {PathClass::same, "X"},    {PathClass::pix, "PIX"}, {PathClass::pxb, "PXB"},    {PathClass::phb, "PHB"},
    {PathClass::node, "NODE"}, {PathClass::sys, "SYS"}, {PathClass::unknown, "?"}};
constexpr std::pair<IommuMode, const char*> kIommu[] = {{IommuMode::unknown, "unknown"},
                                                        {IommuMode::off, "off"},
                                                        {IommuMode::passthrough, "passthrough"},
                                                        {IommuMode::translated, "translated"}};

json link_state(const LinkState& l) { return {{"gen", l.gen}, {"width", l.width}}; }
LinkState link_state(const json& j) { return {number<int>(j, "gen"), number<int>(j, "width")}; }

json bottleneck(const Bottleneck& b) {
  return {{"gbps", b.gbps}, {"kind", b.kind}, {"where", b.where}, {"node", b.node}};
}
Bottleneck bottleneck(const json& j) {
  return {number<double>(j, "gbps"), j.at("kind").get<std::string>(), j.at("where").get<std::string>(),
          number<int>(j, "node")};
}

PciAddress address(const json& j) {
  auto a = PciAddress::parse(j.get<std::string>());
  if (!a) throw InputError("invalid PCI address \"" + j.get<std::string>() + "\"");
  return *a;
}

template <typename T>
json optional_value(const std::optional<T>& v) {
  return v ? json(*v) : json(nullptr);
}
template <typename T>
std::optional<T> optional_value(const json& j, const char* key) {
  if (!j.contains(key) || j.at(key).is_null()) return std::nullopt;
  if constexpr (std::is_same_v<T, bool>) return j.at(key).get<bool>();
  else return number<T>(j, key);
}

json pci_node(const PciNode& n) {
  json j = {{"id", n.id},
            {"parent", n.parent},
            {"kind", to_string(n.kind)},
            {"address", n.address ? json(n.address->str()) : json(nullptr)},
            {"domain", n.domain},
            {"secondary_bus", n.secondary_bus},
            {"subordinate_bus", n.subordinate_bus},
            {"vendor_id", n.vendor_id},
            {"device_id", n.device_id},
            {"class_id", n.class_id},
            {"name", n.name},
            {"chipset", n.chipset},
            {"config_bytes", n.config_bytes},
            {"driver", n.driver},
            {"iommu_group", n.iommu_group},
            {"package", n.package},
            {"numa_nodes", n.numa_nodes},
            {"local_cpus", n.local_cpus},
            {"aer_correctable_status", optional_value(n.aer_correctable_status)}};
  if (n.link) {
    const PciLink& l = *n.link;
    j["link"] = {{"max", link_state(l.max)},         {"device_max", link_state(l.device_max)},
                 {"port_max", link_state(l.port_max)}, {"current", link_state(l.current)},
                 {"current_gbps", l.current_gbps},     {"source", l.source}};
  } else {
    j["link"] = nullptr;
  }
  j["acs"] = n.acs ? json{{"capability", n.acs->capability}, {"control", n.acs->control}} : json(nullptr);
  return j;
}

PciNode pci_node(const json& j) {
  PciNode n;
  n.id = number<int>(j, "id");
  n.parent = number<int>(j, "parent");
  n.kind = enum_from(j.at("kind").get<std::string>(), kKinds, "PCI node kind");
  if (!j.at("address").is_null()) n.address = address(j.at("address"));
  n.domain = number<uint32_t>(j, "domain");
  n.secondary_bus = number<int>(j, "secondary_bus");
  n.subordinate_bus = number<int>(j, "subordinate_bus");
  n.vendor_id = number<uint16_t>(j, "vendor_id");
  n.device_id = number<uint16_t>(j, "device_id");
  n.class_id = number<uint16_t>(j, "class_id");
  n.name = j.at("name").get<std::string>();
  n.chipset = j.at("chipset").get<bool>();
  n.config_bytes = number<int>(j, "config_bytes");
  n.driver = j.at("driver").get<std::string>();
  n.iommu_group = number<int>(j, "iommu_group");
  n.package = number<int>(j, "package");
  for (const auto& v : j.at("numa_nodes")) n.numa_nodes.push_back(detail::as_number<int>(v, "numa_nodes"));
  n.local_cpus = j.at("local_cpus").get<std::string>();
  n.aer_correctable_status = optional_value<uint32_t>(j, "aer_correctable_status");
  if (!j.at("link").is_null()) {
    const json& l = j.at("link");
    n.link = PciLink{link_state(l.at("max")),    link_state(l.at("device_max")),   link_state(l.at("port_max")),
                     link_state(l.at("current")), number<double>(l, "current_gbps"), l.at("source").get<std::string>()};
  }
  if (!j.at("acs").is_null())
    n.acs = AcsState{number<uint16_t>(j.at("acs"), "capability"), number<uint16_t>(j.at("acs"), "control")};
  return n;
}

json gpu(const Gpu& g) {
  json links = json::array();
  for (const auto& b : g.nvlink)
    links.push_back({{"remote_kind", b.remote_kind}, {"remote_gpu", b.remote_gpu}, {"remote", b.remote},
                     {"links", b.links}, {"version", b.version}, {"gbps_per_link", b.gbps_per_link}});
  return {{"index", g.index},
          {"node", g.node},
          {"address", g.address.str()},
          {"vendor_id", g.vendor_id},
          {"device_id", g.device_id},
          {"name", g.name},
          {"architecture", g.architecture},
          {"compute_capability", g.compute_capability},
          {"memory_bytes", g.memory_bytes},
          {"bar1_bytes", g.bar1_bytes},
          {"numa_node", g.numa_node},
          {"local_cpus", g.local_cpus},
          {"cuda_index", g.cuda_index},
          {"gpu_max_gen", optional_value(g.gpu_max_gen)},
          {"nvlink", links},
          {"host_path", bottleneck(g.host_path)},
          {"chipset_attached", g.chipset_attached}};
}

Gpu gpu(const json& j) {
  Gpu g;
  g.index = number<int>(j, "index");
  g.node = number<int>(j, "node");
  g.address = address(j.at("address"));
  g.vendor_id = number<uint16_t>(j, "vendor_id");
  g.device_id = number<uint16_t>(j, "device_id");
  g.name = j.at("name").get<std::string>();
  g.architecture = j.at("architecture").get<std::string>();
  g.compute_capability = j.at("compute_capability").get<std::string>();
  g.memory_bytes = number<uint64_t>(j, "memory_bytes");
  g.bar1_bytes = number<uint64_t>(j, "bar1_bytes");
  g.numa_node = number<int>(j, "numa_node");
  g.local_cpus = j.at("local_cpus").get<std::string>();
  g.cuda_index = number<int>(j, "cuda_index");
  g.gpu_max_gen = optional_value<int>(j, "gpu_max_gen");
  for (const auto& b : j.at("nvlink"))
    g.nvlink.push_back({b.at("remote_kind").get<std::string>(), number<int>(b, "remote_gpu"),
                        b.at("remote").get<std::string>(), number<int>(b, "links"), number<int>(b, "version"),
                        number<double>(b, "gbps_per_link")});
  g.host_path = bottleneck(j.at("host_path"));
  g.chipset_attached = j.at("chipset_attached").get<bool>();
  return g;
}

json pair(const GpuPair& p) {
  return {{"a", p.a},
          {"b", p.b},
          {"pcie", to_string(p.pcie)},
          {"nvlink_links", p.nvlink_links},
          {"via_nvswitch", p.via_nvswitch},
          {"bottleneck", bottleneck(p.bottleneck)},
          {"p2p", {{"cuda", optional_value(p.p2p.cuda)}, {"nvml_read", p.p2p.nvml_read}}}};
}

GpuPair pair(const json& j) {
  GpuPair p;
  p.a = number<int>(j, "a");
  p.b = number<int>(j, "b");
  p.pcie = enum_from(j.at("pcie").get<std::string>(), kClasses, "path class");
  p.nvlink_links = number<int>(j, "nvlink_links");
  p.via_nvswitch = j.at("via_nvswitch").get<bool>();
  p.bottleneck = bottleneck(j.at("bottleneck"));
  p.p2p.cuda = optional_value<bool>(j.at("p2p"), "cuda");
  p.p2p.nvml_read = j.at("p2p").at("nvml_read").get<std::string>();
  return p;
}

json nic(const Nic& n) {
  json ports = json::array();
  for (const auto& p : n.ports)
    ports.push_back({{"port", p.port}, {"state", p.state}, {"phys_state", p.phys_state}, {"link_layer", p.link_layer},
                     {"rate_gbit", p.rate_gbit}, {"width", p.width}, {"rate_text", p.rate_text}, {"netdev", p.netdev}});
  json paths = json::array();
  for (PathClass c : n.gpu_paths) paths.push_back(to_string(c));
  auto link = [](const std::optional<LinkState>& l) { return l ? link_state(*l) : json(nullptr); };
  return {{"index", n.index},
          {"name", n.name},
          {"kind", to_string(n.kind)},
          {"address", n.address.str()},
          {"node", n.node},
          {"vendor_id", n.vendor_id},
          {"device_id", n.device_id},
          {"model", n.model},
          {"ports", ports},
          {"netdevs", n.netdevs},
          {"max_rate_gbit", n.max_rate_gbit},
          {"numa_node", n.numa_node},
          {"pcie_max", link(n.pcie_max)},
          {"pcie_current", link(n.pcie_current)},
          {"gpu_paths", paths}};
}

Nic nic(const json& j) {
  Nic n;
  n.index = number<int>(j, "index");
  n.name = j.at("name").get<std::string>();
  const auto kind = nic_kind_from_string(j.at("kind").get<std::string>());
  if (!kind) throw InputError("unknown NIC kind \"" + j.at("kind").get<std::string>() + "\"");
  n.kind = *kind;
  n.address = address(j.at("address"));
  n.node = number<int>(j, "node");
  n.vendor_id = number<uint16_t>(j, "vendor_id");
  n.device_id = number<uint16_t>(j, "device_id");
  n.model = j.at("model").get<std::string>();
  for (const auto& p : j.at("ports")) n.ports.push_back(nic_port_from_json(p));
  n.netdevs = j.at("netdevs").get<std::vector<std::string>>();
  n.max_rate_gbit = number<double>(j, "max_rate_gbit");
  n.numa_node = number<int>(j, "numa_node");
  if (!j.at("pcie_max").is_null()) n.pcie_max = link_state(j.at("pcie_max"));
  if (!j.at("pcie_current").is_null()) n.pcie_current = link_state(j.at("pcie_current"));
  for (const auto& c : j.at("gpu_paths")) n.gpu_paths.push_back(enum_from(c.get<std::string>(), kClasses, "path class"));
  return n;
}

json gpudirect_rdma(const GpuDirectRdma& g) {
  return {{"peer_module", g.peer_module}, {"dmabuf", optional_value(g.dmabuf)}, {"evidence", g.evidence}};
}

GpuDirectRdma gpudirect_rdma(const json& j) {
  GpuDirectRdma g;
  g.peer_module = j.at("peer_module").get<std::string>();
  g.dmabuf = optional_value<bool>(j, "dmabuf");
  g.evidence = j.at("evidence").get<std::vector<std::string>>();
  return g;
}

json system_state(const SystemState& s) {
  return {{"kernel", s.kernel},
          {"cmdline", s.cmdline},
          {"iommu", to_string(s.iommu)},
          {"iommu_evidence", s.iommu_evidence},
          {"nvidia_driver", s.nvidia_driver},
          {"nvidia_params", s.nvidia_params},
          {"cuda_driver_version", s.cuda_driver_version},
          {"cuda_runtime_version", s.cuda_runtime_version},
          {"nccl_version", s.nccl_version},
          {"root", optional_value(s.root)},
          {"config_space_restricted", optional_value(s.config_space_restricted)},
          {"gpudirect_rdma", gpudirect_rdma(s.gpudirect_rdma)},
          {"nccl_network_env", s.nccl_network_env}};
}

SystemState system_state(const json& j) {
  SystemState s;
  s.kernel = j.at("kernel").get<std::string>();
  s.cmdline = j.at("cmdline").get<std::string>();
  s.iommu = enum_from(j.at("iommu").get<std::string>(), kIommu, "IOMMU mode");
  s.iommu_evidence = j.at("iommu_evidence").get<std::vector<std::string>>();
  s.nvidia_driver = j.at("nvidia_driver").get<std::string>();
  s.nvidia_params = j.at("nvidia_params").get<std::map<std::string, std::string>>();
  s.cuda_driver_version = number<int>(j, "cuda_driver_version");
  s.cuda_runtime_version = number<int>(j, "cuda_runtime_version");
  s.nccl_version = number<int>(j, "nccl_version");
  s.root = optional_value<bool>(j, "root");
  s.config_space_restricted = optional_value<bool>(j, "config_space_restricted");
  // Topologies written before NICs were discovered lack these two; they read as unknown.
  if (j.contains("gpudirect_rdma")) s.gpudirect_rdma = gpudirect_rdma(j.at("gpudirect_rdma"));
  s.nccl_network_env = j.value("nccl_network_env", std::map<std::string, std::string>{});
  return s;
}

}  // namespace

NicPort nic_port_from_json(const json& p) {
  return {number<int>(p, "port"), p.at("state").get<std::string>(), p.at("phys_state").get<std::string>(),
          p.at("link_layer").get<std::string>(), number<double>(p, "rate_gbit"), number<int>(p, "width"),
          p.at("rate_text").get<std::string>(), p.at("netdev").get<std::string>()};
}

json to_json(const Topology& t) {
  json j;
  j["schema"] = t.schema;
  j["source"] = {{"kind", t.source.kind}, {"xml", t.source.xml}, {"pci_dump", t.source.pci_dump}, {"fsroot", t.source.fsroot}};
  j["machine"] = t.machine;
  j["packages"] = json::array();
  for (const auto& p : t.packages) j["packages"].push_back({{"os_index", p.os_index}, {"cpus", p.cpus}, {"model", p.model}});
  j["numa_nodes"] = json::array();
  for (const auto& n : t.numa_nodes)
    j["numa_nodes"].push_back({{"os_index", n.os_index}, {"package", n.package}, {"cpus", n.cpus}, {"memory_bytes", n.memory_bytes}});
  j["pci"] = json::array();
  for (const auto& n : t.pci) j["pci"].push_back(pci_node(n));
  j["gpus"] = json::array();
  for (const auto& g : t.gpus) j["gpus"].push_back(gpu(g));
  j["pairs"] = json::array();
  for (const auto& p : t.pairs) j["pairs"].push_back(pair(p));
  j["nics"] = json::array();
  for (const auto& n : t.nics) j["nics"].push_back(nic(n));
  j["system"] = system_state(t.system);
  j["notes"] = json::array();
  for (const auto& n : t.notes) j["notes"].push_back({{"source", n.source}, {"message", n.message}});
  return j;
}

Topology topology_from_json(const json& j) {
  if (!j.is_object()) throw InputError("a rigcheck topology must be a JSON object");
  if (!j.contains("schema") || !j.at("schema").is_string())
    throw InputError("not a rigcheck topology: no \"schema\" field (expected \"" + std::string(kTopologySchema) + "\")");
  if (j.at("schema").get<std::string>() != kTopologySchema)
    throw InputError("unsupported schema \"" + j.at("schema").get<std::string>() + "\" (this rigcheck reads \"" +
                     kTopologySchema + "\")");
  try {
    Topology t;
    t.schema = j.at("schema").get<std::string>();
    const json& s = j.at("source");
    t.source = {s.at("kind").get<std::string>(), s.at("xml").get<std::string>(), s.at("pci_dump").get<std::string>(),
                s.at("fsroot").get<std::string>()};
    t.machine = j.at("machine").get<std::string>();
    for (const auto& p : j.at("packages"))
      t.packages.push_back({number<int>(p, "os_index"), p.at("cpus").get<std::string>(), p.at("model").get<std::string>()});
    for (const auto& n : j.at("numa_nodes"))
      t.numa_nodes.push_back({number<int>(n, "os_index"), number<int>(n, "package"), n.at("cpus").get<std::string>(),
                              number<uint64_t>(n, "memory_bytes")});
    for (const auto& n : j.at("pci")) t.pci.push_back(pci_node(n));
    for (const auto& g : j.at("gpus")) t.gpus.push_back(gpu(g));
    for (const auto& p : j.at("pairs")) t.pairs.push_back(pair(p));
    for (const auto& n : j.value("nics", json::array())) t.nics.push_back(nic(n));  // absent before issue 15
    t.system = system_state(j.at("system"));
    for (const auto& n : j.at("notes")) t.notes.push_back({n.at("source").get<std::string>(), n.at("message").get<std::string>()});
    validate_topology(t);
    return t;
  } catch (const json::exception& e) {
    // nlohmann's messages name the missing key or wrong type, which is what the user needs.
    throw InputError(std::string("invalid rigcheck topology JSON: ") + e.what());
  }
}

namespace {

// Deeper than this, a file is not one rigcheck wrote or a person would write (the schemas nest
// six levels), and copying, printing or destroying it recurses once per level.
constexpr int kMaxJsonDepth = 64;

// Checked on the text, before nlohmann builds anything: one pass, no recursion.
bool nests_deeper_than(const std::string& text, int limit) {
  int depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') ++i;
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > limit) return true;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return false;
}

}  // namespace

json parse_json_text(const std::string& text) {
  if (nests_deeper_than(text, kMaxJsonDepth))
    throw InputError("the file nests JSON more than " + std::to_string(kMaxJsonDepth) + " levels deep");
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded()) throw InputError("the file is not valid JSON");
  return j;
}

Topology parse_topology_json(const std::string& text) { return topology_from_json(parse_json_text(text)); }

json read_json_file(const std::string& path) {
  const std::string text = read_input_file(path, kJsonInput);
  try {
    return parse_json_text(text);
  } catch (const InputError& e) {
    throw InputError(path + ": " + e.what());
  }
}

}  // namespace rigcheck::topology
