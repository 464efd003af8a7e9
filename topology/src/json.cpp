#include "rigcheck/topology/json.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "rigcheck/topology/errors.h"

namespace rigcheck::topology {

using nlohmann::json;

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
LinkState link_state(const json& j) { return {j.at("gen").get<int>(), j.at("width").get<int>()}; }

json bottleneck(const Bottleneck& b) {
  return {{"gbps", b.gbps}, {"kind", b.kind}, {"where", b.where}, {"node", b.node}};
}
Bottleneck bottleneck(const json& j) {
  return {j.at("gbps").get<double>(), j.at("kind").get<std::string>(), j.at("where").get<std::string>(),
          j.at("node").get<int>()};
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
  return j.at(key).get<T>();
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
  n.id = j.at("id").get<int>();
  n.parent = j.at("parent").get<int>();
  n.kind = enum_from(j.at("kind").get<std::string>(), kKinds, "PCI node kind");
  if (!j.at("address").is_null()) n.address = address(j.at("address"));
  n.domain = j.at("domain").get<uint32_t>();
  n.secondary_bus = j.at("secondary_bus").get<int>();
  n.subordinate_bus = j.at("subordinate_bus").get<int>();
  n.vendor_id = j.at("vendor_id").get<uint16_t>();
  n.device_id = j.at("device_id").get<uint16_t>();
  n.class_id = j.at("class_id").get<uint16_t>();
  n.name = j.at("name").get<std::string>();
  n.chipset = j.at("chipset").get<bool>();
  n.config_bytes = j.at("config_bytes").get<int>();
  n.driver = j.at("driver").get<std::string>();
  n.iommu_group = j.at("iommu_group").get<int>();
  n.package = j.at("package").get<int>();
  n.numa_nodes = j.at("numa_nodes").get<std::vector<int>>();
  n.local_cpus = j.at("local_cpus").get<std::string>();
  n.aer_correctable_status = optional_value<uint32_t>(j, "aer_correctable_status");
  if (!j.at("link").is_null()) {
    const json& l = j.at("link");
    n.link = PciLink{link_state(l.at("max")),    link_state(l.at("device_max")),   link_state(l.at("port_max")),
                     link_state(l.at("current")), l.at("current_gbps").get<double>(), l.at("source").get<std::string>()};
  }
  if (!j.at("acs").is_null())
    n.acs = AcsState{j.at("acs").at("capability").get<uint16_t>(), j.at("acs").at("control").get<uint16_t>()};
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
  g.index = j.at("index").get<int>();
  g.node = j.at("node").get<int>();
  g.address = address(j.at("address"));
  g.vendor_id = j.at("vendor_id").get<uint16_t>();
  g.device_id = j.at("device_id").get<uint16_t>();
  g.name = j.at("name").get<std::string>();
  g.architecture = j.at("architecture").get<std::string>();
  g.compute_capability = j.at("compute_capability").get<std::string>();
  g.memory_bytes = j.at("memory_bytes").get<uint64_t>();
  g.bar1_bytes = j.at("bar1_bytes").get<uint64_t>();
  g.numa_node = j.at("numa_node").get<int>();
  g.local_cpus = j.at("local_cpus").get<std::string>();
  g.cuda_index = j.at("cuda_index").get<int>();
  g.gpu_max_gen = optional_value<int>(j, "gpu_max_gen");
  for (const auto& b : j.at("nvlink"))
    g.nvlink.push_back({b.at("remote_kind").get<std::string>(), b.at("remote_gpu").get<int>(),
                        b.at("remote").get<std::string>(), b.at("links").get<int>(), b.at("version").get<int>(),
                        b.at("gbps_per_link").get<double>()});
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
  p.a = j.at("a").get<int>();
  p.b = j.at("b").get<int>();
  p.pcie = enum_from(j.at("pcie").get<std::string>(), kClasses, "path class");
  p.nvlink_links = j.at("nvlink_links").get<int>();
  p.via_nvswitch = j.at("via_nvswitch").get<bool>();
  p.bottleneck = bottleneck(j.at("bottleneck"));
  p.p2p.cuda = optional_value<bool>(j.at("p2p"), "cuda");
  p.p2p.nvml_read = j.at("p2p").at("nvml_read").get<std::string>();
  return p;
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
          {"config_space_restricted", optional_value(s.config_space_restricted)}};
}

SystemState system_state(const json& j) {
  SystemState s;
  s.kernel = j.at("kernel").get<std::string>();
  s.cmdline = j.at("cmdline").get<std::string>();
  s.iommu = enum_from(j.at("iommu").get<std::string>(), kIommu, "IOMMU mode");
  s.iommu_evidence = j.at("iommu_evidence").get<std::vector<std::string>>();
  s.nvidia_driver = j.at("nvidia_driver").get<std::string>();
  s.nvidia_params = j.at("nvidia_params").get<std::map<std::string, std::string>>();
  s.cuda_driver_version = j.at("cuda_driver_version").get<int>();
  s.cuda_runtime_version = j.at("cuda_runtime_version").get<int>();
  s.nccl_version = j.at("nccl_version").get<int>();
  s.root = optional_value<bool>(j, "root");
  s.config_space_restricted = optional_value<bool>(j, "config_space_restricted");
  return s;
}

void check_references(const Topology& t) {
  const int n = static_cast<int>(t.pci.size());
  for (int i = 0; i < n; ++i) {
    if (t.pci[i].id != i) throw InputError("PCI node ids must equal their position (node " + std::to_string(i) + ")");
    // Parents come first: this also rules out cycles.
    if (t.pci[i].parent < -1 || t.pci[i].parent >= i)
      throw InputError("PCI node " + std::to_string(i) + " has an invalid parent");
  }
  for (size_t i = 0; i < t.gpus.size(); ++i) {
    if (t.gpus[i].index != static_cast<int>(i) || t.gpus[i].node < 0 || t.gpus[i].node >= n)
      throw InputError("GPU " + std::to_string(i) + " has an invalid index or PCI node");
  }
  const int g = static_cast<int>(t.gpus.size());
  for (const auto& p : t.pairs)
    if (p.a < 0 || p.b < 0 || p.a >= g || p.b >= g || p.a >= p.b) throw InputError("GPU pair refers to a missing GPU");
}

}  // namespace

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
      t.packages.push_back({p.at("os_index").get<int>(), p.at("cpus").get<std::string>(), p.at("model").get<std::string>()});
    for (const auto& n : j.at("numa_nodes"))
      t.numa_nodes.push_back({n.at("os_index").get<int>(), n.at("package").get<int>(), n.at("cpus").get<std::string>(),
                              n.at("memory_bytes").get<uint64_t>()});
    for (const auto& n : j.at("pci")) t.pci.push_back(pci_node(n));
    for (const auto& g : j.at("gpus")) t.gpus.push_back(gpu(g));
    for (const auto& p : j.at("pairs")) t.pairs.push_back(pair(p));
    t.system = system_state(j.at("system"));
    for (const auto& n : j.at("notes")) t.notes.push_back({n.at("source").get<std::string>(), n.at("message").get<std::string>()});
    check_references(t);
    return t;
  } catch (const json::exception& e) {
    // nlohmann's messages name the missing key or wrong type, which is what the user needs.
    throw InputError(std::string("invalid rigcheck topology JSON: ") + e.what());
  }
}

Topology parse_topology_json(const std::string& text) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded()) throw InputError("the file is not valid JSON");
  return topology_from_json(j);
}

json read_json_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError("cannot read " + path + ": " + std::strerror(errno));
  std::ostringstream ss;
  ss << in.rdbuf();
  json j = json::parse(ss.str(), nullptr, false);
  if (j.is_discarded()) throw InputError(path + ": the file is not valid JSON");
  return j;
}

}  // namespace rigcheck::topology
