#pragma once
// `rigcheck run --simulate CLUSTER.json`: every node's local run simulated on its own fabric
// (execute_run per node), the inter-node results on the network model (bench::simulate_internode),
// and one cluster report (report::build_cluster_report) written as .json, .md and .html.
// execute_run dispatches here when its --simulate file is a cluster file.

#include <string>

#include "rigcheck/app/run.h"

namespace rigcheck::app {

// Whether `path` is a cluster file (schema rigcheck.cluster/1); false for anything unreadable.
bool is_cluster_file(const std::string& path);

RunOutcome execute_cluster_simulation(const RunConfig& config);

}  // namespace rigcheck::app
