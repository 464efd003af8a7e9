#pragma once
// Constants of the simulated fabric, from fabric/data/fabric.json (embedded, each with its source).

namespace rigcheck::fabric {

struct FabricConstants {
  double pcie_efficiency_ce = 0;
  double pcie_efficiency_sm = 0;
  double nvlink_efficiency_ce = 0;
  double nvlink_efficiency_sm = 0;
  double host_staged_efficiency = 0;
  double iommu_translated_p2p_factor = 0;
  double root_complex_p2p_gbps = 0;
  double inter_socket_gbps = 0;
  double host_memory_gbps = 0;
  double device_memory_gbps = 0;
  double copy_overhead_us = 0;
  double pcie_hop_ns = 0;
  double root_complex_ns = 0;
  double inter_socket_ns = 0;
  double base_access_ns = 0;
  double nvlink_hop_ns = 0;
  double host_staged_latency_us = 0;
  double noise_sigma = 0;
};

// The embedded table, parsed once.
const FabricConstants& default_fabric_constants();

}  // namespace rigcheck::fabric
