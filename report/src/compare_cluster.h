#pragma once
// The cluster part of `rigcheck compare` (compare.cpp): what changed between nodes. Internal.

#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace rigcheck::report::detail {

// Whether any of the reports is a cluster report (it has per-node reports and inter-node results).
bool any_cluster(const std::vector<nlohmann::json>& reports);

// Side by side for cluster reports: each node's verdict, the collectives of every scope at their
// largest size, and the node-leader send/recv pairs, with the change against the first report and
// each figure's verdict against its expectation. Reports without a part show "-" there.
void compare_clusters(const std::vector<nlohmann::json>& reports, const std::vector<std::string>& names, bool markdown,
                      std::ostream& out);

}  // namespace rigcheck::report::detail
