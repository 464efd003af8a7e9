// Cluster files (app/cluster_file.h): parsing, the rigs of the nodes, and the faults of a variant
// applied to the nodes' machines.
#include "rigcheck/app/cluster_file.h"

#include <algorithm>
#include <filesystem>
#include <map>

#include "rigcheck/topology/errors.h"
#include "rigcheck/topology/json.h"

namespace rigcheck::app {

using nlohmann::json;
using topology::InputError;

namespace {

// Eight nodes is issue 15's range; 64 keeps a typo ("count": 1000) from simulating for minutes.
constexpr int kMaxNodes = 64;

std::string text(const json& j, const char* key, const std::string& where) {
  if (!j.contains(key)) return "";
  if (!j.at(key).is_string()) throw InputError(where + ": \"" + key + "\" must be a string");
  return j.at(key).get<std::string>();
}

double number(const json& j, const char* key, double lo, double hi, const std::string& where) {
  if (!j.contains(key) || !j.at(key).is_number()) throw InputError(where + ": \"" + key + "\" must be a number");
  const double v = j.at(key).get<double>();
  if (!(v >= lo && v <= hi)) throw InputError(where + ": \"" + key + "\" must be between " + std::to_string(lo) + " and " + std::to_string(hi));
  return v;
}

bench::NetworkFabric parse_network(const json& j) {
  if (!j.is_object()) throw InputError("a cluster file needs a \"network\" object (kind, rate_gbit)");
  bench::NetworkFabric f;
  const std::string kind = text(j, "kind", "network");
  if (kind == "infiniband") f.kind = "ib";
  else if (kind == "roce" || kind == "ethernet") f.kind = kind;
  else throw InputError("network: \"kind\" must be infiniband, roce or ethernet, not \"" + kind + "\"");
  f.port_gbps = number(j, "rate_gbit", 1, 16000, "network") / 8;  // Gb/s as switches are rated, GB/s in the model
  f.oversubscription = j.contains("oversubscription") ? number(j, "oversubscription", 1, 64, "network") : 1.0;
  return f;
}

struct RigRef {
  json doc;
  std::string name;
};

RigRef read_rig(const json& node, const std::string& directory, const std::string& where) {
  if (!node.contains("rig")) throw InputError(where + ": a node needs \"rig\" (a rig file's path or the rig inline)");
  const json& rig = node.at("rig");
  if (rig.is_object()) return {rig, rig.value("name", std::string("inline rig"))};
  if (!rig.is_string()) throw InputError(where + ": \"rig\" must be a path or a rig object");
  const std::filesystem::path p = std::filesystem::path(directory) / rig.get<std::string>();
  json doc = topology::read_json_file(p.string());
  return {doc, p.stem().string()};
}

// One fault of a variant on the machine a node's rig gave. The topology is plain data; these
// are the states discovery would have read on such a node.
void apply_fault(const json& f, ClusterNodeSpec& n, const std::string& where) {
  const std::string kind = text(f, "kind", where);
  topology::Topology& t = n.machine.topology;
  if (kind == "nic-rate") {
    if (t.nics.empty()) throw InputError(where + ": nic-rate on a node whose rig has no NIC");
    const int nic = f.contains("nic") ? static_cast<int>(number(f, "nic", 0, 63, where)) : 0;
    if (nic >= static_cast<int>(t.nics.size())) throw InputError(where + ": the node has no NIC " + std::to_string(nic));
    const double rate = number(f, "rate_gbit", 1, 16000, where);
    for (auto& port : t.nics[nic].ports) {
      port.rate_gbit = rate;
      port.rate_text = std::to_string(static_cast<int>(rate)) + " Gb/sec";
    }
  } else if (kind == "gdr-off") {
    t.system.gpudirect_rdma.peer_module = "";
    t.system.gpudirect_rdma.dmabuf = false;
    t.system.gpudirect_rdma.evidence = {"cluster file fault: gdr-off"};
  } else if (kind == "socket-transport") {
    n.sockets = true;
  } else if (kind == "nccl-ib-disabled") {
    t.system.nccl_network_env["NCCL_IB_DISABLE"] = "1";
  } else if (kind == "versions") {
    if (f.contains("nvidia_driver")) t.system.nvidia_driver = text(f, "nvidia_driver", where);
    if (f.contains("cuda_driver_version")) t.system.cuda_driver_version = static_cast<int>(number(f, "cuda_driver_version", 1000, 99999, where));
    if (f.contains("nccl_version")) t.system.nccl_version = static_cast<int>(number(f, "nccl_version", 1000, 999999, where));
  } else if (kind == "hang") {
    n.failure = f.value("detail", std::string("a rank hung in its local tests and was stopped after its timeout"));
  } else if (kind == "dead") {
    n.failure = f.value("detail", std::string("a rank died before it sent its report"));
    n.report_lost = true;
  } else {
    throw InputError(where + ": unknown fault kind \"" + kind + "\" (nic-rate, gdr-off, socket-transport, nccl-ib-disabled, versions, rig-variant, hang, dead)");
  }
}

ClusterVariantInfo variant_info(const json& v, const std::string& where) {
  ClusterVariantInfo info;
  info.name = text(v, "name", where);
  if (info.name.empty()) throw InputError(where + ": a variant needs a \"name\"");
  info.description = text(v, "description", where);
  info.expect = v.value("expect", std::vector<std::string>{});
  return info;
}

}  // namespace

bool is_cluster(const json& j) { return j.is_object() && j.value("schema", std::string()) == kClusterSchema; }

ClusterFile parse_cluster(const json& j, const std::string& directory, const std::string& variant) {
  if (!is_cluster(j)) throw InputError(std::string("not a cluster file (schema \"") + kClusterSchema + "\")");
  ClusterFile c;
  c.name = text(j, "name", "cluster");
  c.description = text(j, "description", "cluster");
  c.source = text(j, "source", "cluster");
  c.fabric = parse_network(j.value("network", json()));
  c.inherent = j.value("inherent", std::vector<std::string>{});

  // Variants: the first is the healthy one; a file without any has one, "healthy", with no fault.
  json variants = j.value("variants", json::array());
  if (!variants.is_array()) throw InputError("cluster: \"variants\" must be an array");
  if (variants.empty()) variants.push_back({{"name", "healthy"}, {"faults", json::array()}});
  const json* chosen = nullptr;
  for (size_t i = 0; i < variants.size(); ++i) {
    c.variants.push_back(variant_info(variants[i], "variants/" + std::to_string(i)));
    if (variant.empty() ? i == 0 : c.variants.back().name == variant) chosen = &variants[i];
  }
  if (!chosen) {
    std::string names;
    for (const auto& v : c.variants) names += (names.empty() ? "" : ", ") + v.name;
    throw InputError("the cluster has no variant \"" + variant + "\" (it has " + names + ")");
  }
  c.variant = variant_info(*chosen, "variant " + variant);

  // Faults by node index; a rig-variant fault changes which variant of its rig the node expands.
  std::map<int, std::vector<json>> faults;
  for (const auto& f : chosen->value("faults", json::array())) {
    if (!f.is_object()) throw InputError("variant " + c.variant.name + ": a fault must be an object");
    faults[static_cast<int>(number(f, "node", 0, kMaxNodes - 1, "variant " + c.variant.name))].push_back(f);
  }

  const json& nodes = j.value("nodes", json::array());
  if (!nodes.is_array() || nodes.empty()) throw InputError("a cluster file needs \"nodes\": rig files with a variant and a count");
  for (size_t i = 0; i < nodes.size(); ++i) {
    const std::string where = "nodes/" + std::to_string(i);
    const json& spec = nodes[i];
    if (!spec.is_object()) throw InputError(where + " must be an object");
    const int count = spec.contains("count") ? static_cast<int>(number(spec, "count", 1, kMaxNodes, where)) : 1;
    const RigRef rig_ref = read_rig(spec, directory, where);
    json doc = rig_ref.doc;
    // "patch": JSON Patch on the rig (RFC 6902), e.g. a NIC in a slot of a rig that has none.
    if (spec.contains("patch")) {
      try {
        doc = doc.patch(spec.at("patch"));
      } catch (const json::exception& e) {
        throw InputError(where + ": the patch does not apply to " + rig_ref.name + ": " + e.what());
      }
    }
    const topology::Rig rig = topology::parse_rig(doc);
    // What the nodes' hardware raises whatever the variant is the cluster's nature too.
    for (const auto& id : rig.inherent)
      if (std::find(c.inherent.begin(), c.inherent.end(), id) == c.inherent.end()) c.inherent.push_back(id);
    const std::string rig_variant = text(spec, "variant", where);
    for (int k = 0; k < count; ++k) {
      const int index = static_cast<int>(c.nodes.size());
      if (index >= kMaxNodes) throw InputError("a cluster file may describe at most " + std::to_string(kMaxNodes) + " nodes");
      std::string v = rig_variant;
      for (const auto& f : faults[index])
        if (f.value("kind", "") == "rig-variant") v = text(f, "variant", where);
      ClusterNodeSpec n;
      n.index = index;
      n.machine.topology = topology::expand_rig(rig, v);
      n.machine.build = topology::rig_build(rig, v);
      n.label = rig.name + " / " + topology::find_variant(rig, v).name;
      for (const auto& f : faults[index])
        if (f.value("kind", "") != "rig-variant") apply_fault(f, n, "variant " + c.variant.name + " node " + std::to_string(index));
      c.nodes.push_back(std::move(n));
    }
  }
  for (const auto& [node, list] : faults)
    if (node >= static_cast<int>(c.nodes.size()))
      throw InputError("variant " + c.variant.name + ": a fault names node " + std::to_string(node) + ", the cluster has " +
                       std::to_string(c.nodes.size()));
  return c;
}

ClusterFile load_cluster(const std::string& path, const std::string& variant) {
  const json j = topology::read_json_file(path);
  const std::string directory = std::filesystem::path(path).parent_path().string();
  return parse_cluster(j, directory.empty() ? "." : directory, variant);
}

}  // namespace rigcheck::app
