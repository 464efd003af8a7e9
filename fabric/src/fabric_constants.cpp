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
    f.pcie_efficiency_ce_gen5 = v("pcie_efficiency_ce_gen5");
    f.pcie_efficiency_sm = v("pcie_efficiency_sm");
    f.hopper_pcie_efficiency_sm_h2d = v("hopper_pcie_efficiency_sm_h2d");
    f.hopper_pcie_efficiency_sm_d2h = v("hopper_pcie_efficiency_sm_d2h");
    for (const auto& [arch, share] : doc.at("host_duplex_share").at("value").items())
      f.host_duplex_share[arch] = {share.at("h2d").get<double>(), share.at("d2h").get<double>()};
    f.nvlink_efficiency_ce = v("nvlink_efficiency_ce");
    f.nvlink_efficiency_ce_v2 = v("nvlink_efficiency_ce_v2");
    f.nvlink_efficiency_ce_v3 = v("nvlink_efficiency_ce_v3");
    f.nvlink_efficiency_ce_v4 = v("nvlink_efficiency_ce_v4");
    f.nvlink_efficiency_sm = v("nvlink_efficiency_sm");
    f.host_staged_efficiency_gen3 = v("host_staged_efficiency_gen3");
    f.host_staged_efficiency_gen4 = v("host_staged_efficiency_gen4");
    f.host_staged_efficiency_gen5 = v("host_staged_efficiency_gen5");
    f.host_staged_efficiency = v("host_staged_efficiency");
    f.host_staged_bidirectional_gain = v("host_staged_bidirectional_gain");
    f.iommu_translated_p2p_factor = v("iommu_translated_p2p_factor");
    f.root_complex_p2p_gbps = v("root_complex_p2p_gbps");
    f.socket_link_efficiency = v("socket_link_efficiency");
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
    f.nccl_efficiency_nvswitch = v("nccl_efficiency_nvswitch");
    f.nccl_efficiency_nvlink_bridge = v("nccl_efficiency_nvlink_bridge");
    f.nccl_efficiency_nvlink_sxm = v("nccl_efficiency_nvlink_sxm");
    f.nccl_efficiency_pcie = v("nccl_efficiency_pcie");
    f.nccl_ceiling_pcie_gbps = v("nccl_ceiling_pcie_gbps");
    f.nccl_efficiency_shm = v("nccl_efficiency_shm");
    return f;
  }();
  return c;
}

}  // namespace rigcheck::fabric
