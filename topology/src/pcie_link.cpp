#include "rigcheck/topology/pcie_link.h"

#include <cstdio>
#include <cstdlib>
#include <string>

#include "rigcheck/topology/link_rates.h"

namespace rigcheck::topology {

double pcie_gt_per_s(int gen) { return table_pcie_gt_per_s(gen); }

double pcie_encoding_efficiency(int gen) { return table_pcie_encoding(gen); }

double pcie_gbps(int gen, int width) {
  if (width <= 0) return 0.0;
  return pcie_gt_per_s(gen) * pcie_encoding_efficiency(gen) * width / 8.0;
}

double pcie_gbps(const LinkState& link) { return pcie_gbps(link.gen, link.width); }

std::optional<int> pcie_gen_from_speed_string(std::string_view text) {
  std::string s(text);
  char* end = nullptr;
  double gt = std::strtod(s.c_str(), &end);
  if (end == s.c_str()) return std::nullopt;
  std::string_view rest(end);
  while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  if (rest.substr(0, 4) != "GT/s") return std::nullopt;
  for (int gen = 1; gen <= 6; ++gen) {
    double expected = pcie_gt_per_s(gen);
    if (gt > expected * 0.99 && gt < expected * 1.01) return gen;
  }
  return std::nullopt;
}

std::string describe(const LinkState& link) {
  if (link.gen == 0 && link.width == 0) return "unknown";
  std::string gen = link.gen > 0 ? "Gen" + std::to_string(link.gen) : "Gen?";
  std::string width = link.width > 0 ? "x" + std::to_string(link.width) : "x?";
  return gen + " " + width;
}

}  // namespace rigcheck::topology
