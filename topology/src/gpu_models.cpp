#include "rigcheck/topology/gpu_models.h"

#include <map>
#include <nlohmann/json.hpp>

#include "rigcheck/topology/link_rates.h"

namespace rigcheck::embedded {
extern const char* const gpu_models_json;
}

namespace rigcheck::topology {
namespace {

struct Tables {
  std::map<uint16_t, GpuModel> models;
};

const Tables& tables() {
  // Parsed once; the table is embedded in the binary and checked by the unit tests.
  static const Tables t = [] {
    Tables out;
    auto doc = nlohmann::json::parse(rigcheck::embedded::gpu_models_json);
    for (const auto& row : doc.at("models")) {
      GpuModel m;
      m.device_id = static_cast<uint16_t>(std::stoul(row.at("device_id").get<std::string>(), nullptr, 16));
      m.name = row.at("name").get<std::string>();
      m.architecture = row.at("architecture").get<std::string>();
      m.compute_capability = row.at("compute_capability").get<std::string>();
      m.memory_gib = row.at("memory_gib").get<int>();
      m.pcie_gen = row.at("pcie_gen").get<int>();
      m.pcie_width = row.at("pcie_width").get<int>();
      m.nvlink_version = row.at("nvlink_version").get<int>();
      m.nvlink_links = row.at("nvlink_links").get<int>();
      m.nvlink_gbps_per_link = row.value("nvlink_gbps_per_link", table_nvlink_gbps_per_link(m.nvlink_version));
      m.p2p_over_pcie = row.at("p2p_over_pcie").get<bool>();
      out.models[m.device_id] = m;
    }
    return out;
  }();
  return t;
}

}  // namespace

const GpuModel* find_gpu_model(uint16_t device_id) {
  const auto& models = tables().models;
  auto it = models.find(device_id);
  return it == models.end() ? nullptr : &it->second;
}

double nvlink_gbps_per_link(int version) { return table_nvlink_gbps_per_link(version); }

}  // namespace rigcheck::topology
