#pragma once
// Constants of the fabric model, from fabric/data/fabric.json (embedded, each with its source).

#include <map>
#include <string>

namespace rigcheck::fabric {

// The share of its own rate a copy-engine host copy keeps while the same GPU's host link carries
// a copy the other way (nvbandwidth's host_to_device_bidirectional_memcpy_ce and its mirror).
struct DuplexShare {
  double h2d = 1;  // host -> GPU while GPU -> host runs
  double d2h = 1;  // GPU -> host while host -> GPU runs
};

struct FabricConstants {
  double pcie_efficiency_ce = 0;       // Gen1-Gen4 copy engines
  double pcie_efficiency_ce_gen5 = 0;  // Gen5 and later copy engines
  double pcie_efficiency_sm = 0;       // SM copies (peer, and host for architectures without a figure)
  double hopper_pcie_efficiency_sm_h2d = 0;  // Hopper SM copy reading host memory
  double hopper_pcie_efficiency_sm_d2h = 0;  // Hopper SM copy writing host memory
  // By GPU architecture; an architecture without a published figure is not listed (independent
  // directions, share 1).
  std::map<std::string, DuplexShare> host_duplex_share;
  double nvlink_efficiency_ce = 0;     // NVLink generations without their own figure
  double nvlink_efficiency_ce_v2 = 0;
  double nvlink_efficiency_ce_v3 = 0;
  double nvlink_efficiency_ce_v4 = 0;
  double nvlink_efficiency_sm = 0;
  double host_staged_efficiency_gen3 = 0;  // driver staging (CE) over Gen3 or older links
  double host_staged_efficiency_gen4 = 0;  // over Gen4 links
  double host_staged_efficiency_gen5 = 0;  // over Gen5 and later links
  double host_staged_efficiency = 0;       // generation unknown
  double host_staged_bidirectional_gain = 0;  // both staged directions of a pair together / one alone
  double iommu_translated_p2p_factor = 0;
  double root_complex_p2p_gbps = 0;    // per root port, per direction
  double socket_link_efficiency = 0;   // share of one socket link's line rate a stream gets (platforms.json)
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
  // NCCL's share of the ring model's SM rate, per transport of a hop, and its PCIe ceiling.
  double nccl_efficiency_nvswitch = 0;
  double nccl_efficiency_nvlink_bridge = 0;
  double nccl_efficiency_nvlink_sxm = 0;
  double nccl_efficiency_pcie = 0;
  double nccl_ceiling_pcie_gbps = 0;
  double nccl_efficiency_shm = 0;
};

// The embedded table, parsed once.
const FabricConstants& default_fabric_constants();

}  // namespace rigcheck::fabric
