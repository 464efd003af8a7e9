#pragma once
// The link-rate table (topology/data/link_rates.json, embedded, every row with its source).

#include <string>

namespace rigcheck::topology {

struct ChipsetUplink {
  std::string name;  // "DMI 3.0 x4"
  int gen = 0;
  int width = 0;
};

// Raw lane rate (GT/s) and payload fraction of the encoding for a PCIe generation; 0 when unknown.
double table_pcie_gt_per_s(int gen);
double table_pcie_encoding(int gen);
// One-direction GB/s per NVLink link of a version; 0 when unknown.
double table_nvlink_gbps_per_link(int version);
// The chipset uplink rigcheck assumes for an Intel PCH of this generation.
ChipsetUplink intel_dmi(bool dmi4);

}  // namespace rigcheck::topology
