#include "rigcheck/diagnosis/known_issues.h"

#include <cstdlib>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "rigcheck/diagnosis/catalogue.h"

namespace rigcheck::embedded {
extern const char* const known_issues_json;
}

namespace rigcheck::diagnosis {

namespace {

using topology::Gpu;
using topology::Topology;

int driver_branch(const std::string& version) { return std::atoi(version.c_str()); }

}  // namespace

std::vector<Finding> known_issue_findings(const Topology& t) {
  std::vector<Finding> out;
  auto doc = nlohmann::json::parse(rigcheck::embedded::known_issues_json);
  for (const auto& issue : doc.at("issues")) {
    std::set<uint16_t> ids;
    for (const auto& id : issue.at("device_ids")) ids.insert(static_cast<uint16_t>(std::stoul(id.get<std::string>(), nullptr, 16)));
    std::vector<int> gpus;
    for (const Gpu& g : t.gpus)
      if (ids.count(g.device_id)) gpus.push_back(g.index);
    if (gpus.empty()) continue;
    std::string evidence;
    if (issue.contains("driver_branch")) {
      if (t.system.nvidia_driver.empty() || driver_branch(t.system.nvidia_driver) != issue.at("driver_branch").get<int>()) continue;
      evidence = "NVIDIA driver " + t.system.nvidia_driver;
    } else if (issue.contains("nccl_below")) {
      if (t.system.nccl_version == 0 || t.system.nccl_version >= issue.at("nccl_below").get<int>()) continue;
      evidence = "NCCL version code " + std::to_string(t.system.nccl_version);
    } else {
      continue;
    }
    std::string on;
    for (int g : gpus) on += (on.empty() ? " on GPU" : ", GPU") + std::to_string(g);
    // The row says when; its wording and severity are the catalogue entry of the same id.
    out.push_back(make_finding(issue.at("id").get<std::string>(), {}, {evidence + on}, gpus));
  }
  return out;
}

}  // namespace rigcheck::diagnosis
