#include "rigcheck/topology/link_rates.h"

#include <map>
#include <nlohmann/json.hpp>

namespace rigcheck::embedded {
extern const char* const link_rates_json;
}

namespace rigcheck::topology {
namespace {

struct Tables {
  std::map<int, std::pair<double, double>> pcie;  // gen -> GT/s, encoding
  std::map<int, double> nvlink;
  std::map<std::string, ChipsetUplink> uplinks;
};

const Tables& tables() {
  static const Tables t = [] {
    Tables out;
    auto doc = nlohmann::json::parse(rigcheck::embedded::link_rates_json);
    for (const auto& row : doc.at("pcie")) {
      const auto& enc = row.at("encoding");
      out.pcie[row.at("gen").get<int>()] = {row.at("gt_per_s").get<double>(), enc.at(0).get<double>() / enc.at(1).get<double>()};
    }
    for (const auto& row : doc.at("nvlink")) out.nvlink[row.at("version").get<int>()] = row.at("gbps_per_link").get<double>();
    for (const auto& row : doc.at("chipset_uplinks")) {
      ChipsetUplink u{row.at("name").get<std::string>(), row.at("gen").get<int>(), row.at("width").get<int>()};
      out.uplinks[u.name] = u;
    }
    return out;
  }();
  return t;
}

}  // namespace

double table_pcie_gt_per_s(int gen) {
  auto it = tables().pcie.find(gen);
  return it == tables().pcie.end() ? 0.0 : it->second.first;
}

double table_pcie_encoding(int gen) {
  auto it = tables().pcie.find(gen);
  return it == tables().pcie.end() ? 0.0 : it->second.second;
}

double table_nvlink_gbps_per_link(int version) {
  auto it = tables().nvlink.find(version);
  return it == tables().nvlink.end() ? 0.0 : it->second;
}

ChipsetUplink intel_dmi(bool dmi4) { return tables().uplinks.at(dmi4 ? "DMI 4.0 x4" : "DMI 3.0 x4"); }

}  // namespace rigcheck::topology
