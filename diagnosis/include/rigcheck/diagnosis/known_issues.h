#pragma once
// Versions known to break something on some GPUs: the rows of diagnosis/data/known_issues.json
// (when each applies) matched against a machine's GPUs and system state. Each row's wording is
// the findings catalogue entry of the same id.

#include <vector>

#include "rigcheck/diagnosis/finding.h"
#include "rigcheck/topology/model.h"

namespace rigcheck::diagnosis {

// One finding per row of the embedded table that applies to `t`, with its evidence and GPUs.
std::vector<Finding> known_issue_findings(const topology::Topology& t);

}  // namespace rigcheck::diagnosis
