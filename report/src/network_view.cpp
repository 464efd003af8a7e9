// The network part of the view (network_view.h): a report's NICs as a table, GPUDirect RDMA and
// the NCCL network variables, in the words `rigcheck topology` uses.
#include "network_view.h"

#include <map>

#include "cells.h"
#include "rigcheck/topology/json.h"
#include "rigcheck/topology/render.h"

namespace rigcheck::report::detail {

using nlohmann::json;

namespace {

std::string ports_text(const json& nic) {
  std::string s;
  // "1 ACTIVE/LinkUp 200 Gb/s (ib0)": the port number, then its state in `topo`'s words.
  for (const auto& p : nic.value("ports", json::array())) {
    const topology::NicPort port = topology::nic_port_from_json(p);
    s += (s.empty() ? "" : "; ") + std::to_string(port.port) + " " + topology::describe_port_state(port);
  }
  return s.empty() ? "-" : s;
}

std::string pcie_text(const json& nic) {
  const json& max = nic.value("pcie_max", json());
  const json& now = nic.value("pcie_current", json());
  if (!max.is_object() || max.value("gen", 0) <= 0) return "?";
  std::string s = link_text(max);
  if (now.is_object() && now.value("gen", 0) > 0 && now != max) s += " (now " + link_text(now) + ")";
  return s;
}

// "PIX: GPU0-GPU1; SYS: GPU2-GPU3", nearest class first (as NCCL ranks paths).
std::string gpu_paths_text(const json& nic) {
  static const char* kOrder[] = {"PIX", "PXB", "PHB", "NODE", "SYS", "X", "?"};
  std::map<std::string, std::vector<int>> by_class;
  int g = 0;
  for (const auto& c : nic.value("gpu_paths", json::array())) by_class[c.get<std::string>()].push_back(g++);
  std::string s;
  for (const char* cls : kOrder) {
    auto it = by_class.find(cls);
    if (it == by_class.end()) continue;
    s += (s.empty() ? "" : "; ") + std::string(cls) + ": " + gpu_ranges(it->second);
    by_class.erase(it);
  }
  for (const auto& [cls, gpus] : by_class) s += (s.empty() ? "" : "; ") + cls + ": " + gpu_ranges(gpus);
  return s.empty() ? "-" : s;
}

std::string gpudirect_text(const json& system) {
  if (!system.contains("gpudirect_rdma")) return "GPUDirect RDMA: not recorded in this report";
  const json& g = system.at("gpudirect_rdma");
  const std::string module = g.value("peer_module", std::string("?"));
  std::string s = "GPUDirect RDMA: peer-memory module " +
                  (module == "?" ? std::string("unknown") : module.empty() ? std::string("not loaded") : module + " loaded");
  const json& dmabuf = g.value("dmabuf", json());
  s += std::string("; dma-buf ") + (dmabuf.is_boolean() ? (dmabuf.get<bool>() ? "possible" : "not possible") : "unknown");
  return s;
}

}  // namespace

NetworkView network_view_of(const json& topo) {
  NetworkView v;
  const json& nics = topo.value("nics", json::array());
  const json& system = topo.value("system", json::object());
  const json& env = system.value("nccl_network_env", json::object());
  if (nics.empty() && env.empty()) return v;
  v.present = true;
  v.nics.header = {"NIC", "kind", "PCI address", "NUMA", "ports", "PCIe max (now)", "path to the GPUs"};
  for (const auto& n : nics) {
    const int numa = n.value("numa_node", -1);
    v.nics.rows.push_back({"NIC" + std::to_string(n.value("index", 0)) + " " + n.value("name", std::string("?")),
                           n.value("kind", std::string("?")), n.value("address", std::string("?")),
                           numa >= 0 ? std::to_string(numa) : "?", ports_text(n), pcie_text(n), gpu_paths_text(n)});
  }
  v.gpudirect = gpudirect_text(system);
  for (const auto& [k, val] : env.items()) v.nccl_environment.push_back(k + "=" + val.get<std::string>());
  return v;
}

}  // namespace rigcheck::report::detail
