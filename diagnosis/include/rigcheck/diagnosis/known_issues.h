#pragma once
// Versions known to break something on some GPUs: the rows of diagnosis/data/known_issues.json
// (when each applies) matched against a machine's GPUs and system state. Each row's wording is
// the findings catalogue entry of the same id.

#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "rigcheck/diagnosis/finding.h"
#include "rigcheck/topology/model.h"

namespace rigcheck::diagnosis {

// A version as its numeric parts: "545.29.06" is {545, 29, 6}, NCCL code 21803 is {2, 18, 3}.
// Missing trailing parts compare as 0, so "545" is 545.0.0.
using VersionParts = std::vector<int>;

// Versions a row applies to: at least `min`, at most `max`, before `below` (each optional).
struct VersionRange {
  std::optional<VersionParts> min, max, below;
  bool contains(const VersionParts& v) const;
};

// One row: every condition it states must hold; an unknown value (no driver loaded, no NCCL in
// the build, IOMMU or CPU not read) never matches, so a row does not fire on a guess.
struct KnownIssue {
  std::string id;
  std::set<uint16_t> device_ids;                // empty: any GPU
  std::set<std::string> compute_capabilities;   // "9.0"; empty: any
  std::optional<VersionRange> driver, nccl, cuda_driver, cuda_runtime, kernel;
  std::set<std::string> iommu;                  // "off", "passthrough", "translated"
  std::vector<std::string> cpu_model_contains;  // any of these in a CPU package's model name
  int min_gpus = 1;                             // GPUs the row's GPU conditions select
  bool nvlink_links_down = false;               // only GPUs with some, not all, of their model's links up
};

// Parses and validates a known-issues document; throws std::logic_error naming what is wrong
// (an unknown key, a bad version, a row with no version condition).
std::vector<KnownIssue> parse_known_issues(std::string_view json_text);

// "545.29.06" -> {545, 29, 6}; "6.8.0-111-generic" -> {6, 8, 0}; "" -> {}.
VersionParts parse_version(std::string_view text);
// ncclGetVersion codes: 21803 is 2.18.3, and before 2.9 the code was major*1000: 2803 is 2.8.3.
VersionParts nccl_version_parts(int code);
// cudaDriverGetVersion codes: 12040 is 12.4.
VersionParts cuda_version_parts(int code);

// One finding per row of the embedded table that applies to `t`, with its evidence and GPUs.
std::vector<Finding> known_issue_findings(const topology::Topology& t);
// The same against `table` (whose ids must be catalogue entries).
std::vector<Finding> known_issue_findings(const topology::Topology& t, const std::vector<KnownIssue>& table);

}  // namespace rigcheck::diagnosis
