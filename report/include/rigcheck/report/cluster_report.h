#pragma once
// One report for a cluster: the merged `rigcheck.report/1` document of a multi-node run. Its
// `nodes` section holds every node's own report (anonymised: node0…nodeN, no hostname inside,
// unless keep_hostname), `internode` the results between nodes (bench/internode.h), and the
// findings include the cluster's own (diagnosis/cluster_rules.h) next to the nodes' worst ones.
// The MPI layer calls build_cluster_report with what rank 0 gathered; `run --simulate
// CLUSTER.json` calls it with simulated nodes and the fabric model's inter-node results.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "rigcheck/bench/internode.h"

namespace rigcheck::report {

struct NodeRun {
  int node_index = 0;
  std::string hostname;   // as the node said; dropped from the report unless keep_hostname
  std::vector<int> ranks; // MPI ranks on this node
  nlohmann::json report;  // that node's rigcheck.report/1
  std::string failure;    // non-empty: the node hung or died ("rank 3 hung in all_reduce after 120 s");
                          // `report` may then be partial or null
};

struct ClusterReportOptions {
  bool keep_hostname = false;
  std::string mode = "real";  // "real" (live) or "simulated", as ReportHeader::mode
  std::string created_utc;    // "" = now
  std::vector<std::string> command_line;
  std::map<std::string, std::string> environment;  // whitelisted (report.h), of rank 0
  std::string cluster;        // the cluster file's name when simulated ("" live)
  std::string launcher;       // "mpirun", "srun", "" when simulated
};

// The merged report; it passes check_report. Node reports that are null stay null with their
// failure; every finding of the cluster names its nodes as node<i> (or the hostname when kept).
nlohmann::json build_cluster_report(const std::vector<NodeRun>& nodes, const bench::InterNodeResults& internode,
                                    const ClusterReportOptions& options);

// True when `report` is a cluster report (has a `nodes` section).
bool is_cluster_report(const nlohmann::json& report);

}  // namespace rigcheck::report
