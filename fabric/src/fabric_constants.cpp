#include "rigcheck/fabric/fabric_constants.h"

#include <nlohmann/json.hpp>

namespace rigcheck::embedded {
extern const char* const fabric_json;
}

namespace rigcheck::fabric {

const FabricConstants& default_fabric_constants() {
  static const FabricConstants c = [] {
    auto doc = nlohmann::json::parse(rigcheck::embedded::fabric_json).at("constants");
    auto v = [&](const char* key) { return doc.at(key).at("value").get<double>(); };
    FabricConstants f;
    f.pcie_efficiency_ce = v("pcie_efficiency_ce");
    f.pcie_efficiency_sm = v("pcie_efficiency_sm");
    f.nvlink_efficiency_ce = v("nvlink_efficiency_ce");
    f.nvlink_efficiency_sm = v("nvlink_efficiency_sm");
    f.host_staged_efficiency = v("host_staged_efficiency");
    f.iommu_translated_p2p_factor = v("iommu_translated_p2p_factor");
    f.root_complex_p2p_gbps = v("root_complex_p2p_gbps");
    f.inter_socket_gbps = v("inter_socket_gbps");
    f.host_memory_gbps = v("host_memory_gbps");
    f.device_memory_gbps = v("device_memory_gbps");
    f.copy_overhead_us = v("copy_overhead_us");
    f.pcie_hop_ns = v("pcie_hop_ns");
    f.root_complex_ns = v("root_complex_ns");
    f.inter_socket_ns = v("inter_socket_ns");
    f.base_access_ns = v("base_access_ns");
    f.nvlink_hop_ns = v("nvlink_hop_ns");
    f.host_staged_latency_us = v("host_staged_latency_us");
    f.noise_sigma = v("noise_sigma");
    return f;
  }();
  return c;
}

}  // namespace rigcheck::fabric
