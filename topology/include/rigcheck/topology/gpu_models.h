#pragma once
// What rigcheck knows about NVIDIA GPU models, keyed by PCI device id. The table is
// topology/data/gpu_models.json, embedded at build time; every figure there has its source.

#include <cstdint>
#include <string>

namespace rigcheck::topology {

struct GpuModel {
  uint16_t device_id = 0;
  std::string name;
  std::string architecture;
  std::string compute_capability;
  int memory_gib = 0;
  int pcie_gen = 0;
  int pcie_width = 0;
  int nvlink_version = 0;
  int nvlink_links = 0;
  double nvlink_gbps_per_link = 0;  // one direction
  bool p2p_over_pcie = true;        // stock driver allows PCIe P2P (false for GeForce)
};

// nullptr when the model is not in the table.
const GpuModel* find_gpu_model(uint16_t device_id);

// One-direction GB/s of one NVLink link of this version; 0 when unknown.
double nvlink_gbps_per_link(int version);

}  // namespace rigcheck::topology
