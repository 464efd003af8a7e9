#include "rigcheck/fabric/platform.h"

#include <cstdio>
#include <regex>
#include <stdexcept>

#include <nlohmann/json.hpp>

namespace rigcheck::embedded {
extern const char* const platforms_json;
}

namespace rigcheck::fabric {

namespace {

struct Row {
  Platform platform;
  std::regex pattern;
  bool matches_anything = false;  // the default row
};

const std::vector<Row>& rows() {
  static const std::vector<Row> table = [] {
    const auto doc = nlohmann::json::parse(rigcheck::embedded::platforms_json);
    const std::string fallback = doc.at("default").get<std::string>();
    std::vector<Row> out;
    Row default_row;
    bool have_default = false;
    for (const auto& r : doc.at("platforms")) {
      Row row;
      row.platform.id = r.at("id").get<std::string>();
      row.platform.name = r.at("name").get<std::string>();
      row.platform.interconnect = r.at("interconnect").get<std::string>();
      row.platform.links = r.at("links").get<int>();
      row.platform.gt_s = r.at("gt_s").get<double>();
      row.platform.source = r.at("source").get<std::string>();
      // Every row states its cross-socket P2P policy with its source; the other figures are
      // optional (most platforms have no published figure of their own), each with its source:
      // a share in (0, 1] or a positive rate.
      row.platform.cross_socket_p2p = r.at("cross_socket_p2p").get<bool>();
      row.platform.cross_socket_p2p_source = r.at("cross_socket_p2p_source").get<std::string>();
      enum class Kind { share, rate };
      const auto optional_figure = [&](const char* key, const char* source_key, Kind kind, double& value, std::string& source) {
        if (!r.contains(key)) return;
        value = r.at(key).get<double>();
        source = r.at(source_key).get<std::string>();
        if (kind == Kind::share && (value <= 0 || value > 1))
          throw std::logic_error("platforms.json row " + row.platform.id + ": " + key + " must be in (0, 1]");
        if (kind == Kind::rate && !(value > 0))
          throw std::logic_error("platforms.json row " + row.platform.id + ": " + key + " must be positive");
      };
      optional_figure("root_complex_p2p_share", "root_complex_source", Kind::share, row.platform.root_complex_p2p_share,
                      row.platform.root_complex_source);
      optional_figure("socket_link_efficiency", "socket_link_source", Kind::share, row.platform.socket_link_efficiency,
                      row.platform.socket_link_source);
      optional_figure("memory_gbps", "memory_source", Kind::rate, row.platform.memory_gbps, row.platform.memory_source);
      optional_figure("host_bridge_dma_gbps", "host_bridge_dma_source", Kind::rate, row.platform.host_bridge_dma_gbps,
                      row.platform.host_bridge_dma_source);
      if (row.platform.id == fallback) {
        default_row = row;
        default_row.matches_anything = true;
        have_default = true;
        continue;
      }
      row.platform.known = true;
      row.pattern = std::regex(r.at("match").get<std::string>(), std::regex::ECMAScript | std::regex::icase);
      out.push_back(std::move(row));
    }
    if (!have_default) throw std::logic_error("platforms.json names a default row it does not have");
    out.push_back(std::move(default_row));
    return out;
  }();
  return table;
}

}  // namespace

const std::vector<Platform>& platform_table() {
  static const std::vector<Platform> table = [] {
    std::vector<Platform> out;
    for (const auto& r : rows()) out.push_back(r.platform);
    return out;
  }();
  return table;
}

const Platform& platform_for_cpu(const std::string& cpu_model) {
  const auto& table = rows();
  if (!cpu_model.empty())
    for (const auto& r : table)
      if (!r.matches_anything && std::regex_search(cpu_model, r.pattern)) return r.platform;
  return table.back().platform;
}

const Platform& platform_of(const topology::Topology& t) {
  for (const auto& p : t.packages)
    if (!p.model.empty()) return platform_for_cpu(p.model);
  return platform_for_cpu("");
}

std::string describe(const Platform& p, const topology::Topology& t) {
  char rate[96];
  std::snprintf(rate, sizeof rate, "%d %s links at %.1f GT/s", p.links, p.interconnect.c_str(), p.gt_s);
  if (p.known && p.links == 0) return p.name + ", no socket links";  // a one-socket platform
  if (p.known) return p.name + ", " + rate;
  std::string model;
  for (const auto& pk : t.packages)
    if (!pk.model.empty()) {
      model = pk.model;
      break;
    }
  return "unknown platform (CPU " + (model.empty() ? std::string("not named") : "\"" + model + "\"") + "): assumed " + rate;
}

}  // namespace rigcheck::fabric
