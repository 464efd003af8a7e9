#pragma once
// PCIe link arithmetic: generation and width to theoretical bandwidth, and the sysfs speed strings.

#include <optional>
#include <string>
#include <string_view>

namespace rigcheck::topology {

// A link's generation and width; 0 means "not known" (e.g. an hwloc XML without config space).
struct LinkState {
  int gen = 0;
  int width = 0;

  bool known() const { return gen > 0 && width > 0; }
  bool operator==(const LinkState&) const = default;
};

// Raw signalling rate of one lane in GT/s (Gen1 2.5 … Gen6 64); 0 for an unknown generation.
// From topology/data/link_rates.json.
double pcie_gt_per_s(int gen);

// Payload fraction of the line encoding: 8b/10b for Gen1/2, 128b/130b for Gen3-5, ~242/256
// FLIT efficiency for Gen6 (topology/data/link_rates.json).
double pcie_encoding_efficiency(int gen);

// Theoretical one-direction bandwidth in GB/s (10^9 B/s): GT/s × encoding × lanes / 8.
// Gen3 x16 = 15.75, Gen4 x16 = 31.51, Gen5 x16 = 63.02.
double pcie_gbps(int gen, int width);
double pcie_gbps(const LinkState& link);

// Generation from a sysfs speed string: "16.0 GT/s PCIe", "8 GT/s" (kernels <= 5.6), "2.5 GT/s".
std::optional<int> pcie_gen_from_speed_string(std::string_view text);

// "Gen4 x16", "Gen? x8", "unknown".
std::string describe(const LinkState& link);

}  // namespace rigcheck::topology
