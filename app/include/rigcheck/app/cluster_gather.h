#pragma once
// What the ranks of a cluster run tell rank 0, and how rank 0 turns it into one NodeRun per node
// (report/cluster_report.h). Plain data and JSON, no MPI: tests build the messages by hand.
//
// Every rank sends one RankMessage at the end; a node's leader (its lowest rank) carries the
// node's own report. A rank that did not answer by the deadline, or sent something unreadable,
// becomes its node's failure, in one sentence that names the node and the rank.

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "rigcheck/report/cluster_report.h"

namespace rigcheck::app {

// Rank 0's decisions that every rank must share (the others' command lines may differ, and the
// report's name must be one).
struct ClusterPlan {
  std::string stem;               // the cluster report's file stem
  std::string created_utc;
  bool nodes_in_turn = false;     // one node's local part at a time, in node order
  double node_timeout_s = 3600;   // a node's local part, and each exchange, before it counts as hung
  bool internode = true;          // the NCCL steps between nodes
};
nlohmann::json to_json(const ClusterPlan& p);
ClusterPlan cluster_plan_from_json(const nlohmann::json& j);  // nlohmann::json::exception when malformed

struct RankMessage {
  int rank = 0;
  int node_index = 0;
  int local_rank = 0;
  std::string hostname;
  nlohmann::json report;          // the node's report (leader only), else null
  std::string failure;            // what went wrong on this rank ("" when nothing)
  nlohmann::json internode;       // this rank's part of the inter-node step (bench/internode_nccl.h), or null
};
nlohmann::json to_json(const RankMessage& m);
RankMessage rank_message_from_json(const nlohmann::json& j);  // nlohmann::json::exception when malformed

// One NodeRun per node, by node index, from what rank 0 gathered (`by_rank[r]`: rank r's JSON
// text, nothing when it did not answer within `timeout_s`). `node_of_rank` is the world's map.
std::vector<report::NodeRun> node_runs(const std::vector<std::optional<std::string>>& by_rank, const std::vector<int>& node_of_rank,
                                       double timeout_s);

// The inter-node parts of the ranks that sent one, by rank (null where none).
std::vector<nlohmann::json> internode_parts(const std::vector<std::optional<std::string>>& by_rank);

// "node1: no GPU ..." for each node whose report measured nothing and says why, for rank 0's
// summary (the cluster report carries the same note inside each node's report).
std::vector<std::string> node_notes(const std::vector<report::NodeRun>& nodes);

}  // namespace rigcheck::app
