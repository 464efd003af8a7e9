// What rank 0 makes of the ranks' messages (app/cluster_gather.h): one NodeRun per node, the
// failures that name a node and a rank, and the per-node notes.

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "rigcheck/app/cluster_gather.h"

using nlohmann::json;
using rigcheck::app::RankMessage;

namespace {

std::string message(int rank, int node, int local, const std::string& host, json report = nullptr, const std::string& failure = "") {
  RankMessage m;
  m.rank = rank, m.node_index = node, m.local_rank = local, m.hostname = host, m.report = std::move(report), m.failure = failure;
  m.internode = {{"rank", rank}, {"status", "ok"}};
  return rigcheck::app::to_json(m).dump();
}

json node_report(int gpus) {
  json r = {{"schema", "rigcheck.report/1"}, {"topology", {{"gpus", json::array()}}}};
  for (int g = 0; g < gpus; ++g) r["topology"]["gpus"].push_back({{"index", g}});
  if (gpus == 0) r["measurement_note"] = "No measurements: no NVIDIA driver is loaded (nvidia-smi fails).";
  return r;
}

// 4 ranks, 2 nodes: ranks 0,1 on node0 (host a), ranks 2,3 on node1 (host b).
const std::vector<int> kNodes = {0, 0, 1, 1};

}  // namespace

TEST(ClusterGather, EveryNodeFromItsLeader) {
  std::vector<std::optional<std::string>> by_rank = {message(0, 0, 0, "a", node_report(8)), message(1, 0, 1, "a"),
                                                     message(2, 1, 0, "b", node_report(8)), message(3, 1, 1, "b")};
  const auto nodes = rigcheck::app::node_runs(by_rank, kNodes, 600);
  ASSERT_EQ(nodes.size(), 2u);
  EXPECT_EQ(nodes[1].node_index, 1);
  EXPECT_EQ(nodes[1].hostname, "b");
  EXPECT_EQ(nodes[1].ranks, (std::vector<int>{2, 3}));
  EXPECT_EQ(nodes[1].report.at("topology").at("gpus").size(), 8u);
  EXPECT_TRUE(nodes[0].failure.empty());
  EXPECT_TRUE(nodes[1].failure.empty());
  EXPECT_TRUE(rigcheck::app::node_notes(nodes).empty());
  EXPECT_EQ(rigcheck::app::internode_parts(by_rank)[3].at("rank"), 3);
}

TEST(ClusterGather, ALeaderThatDidNotAnswerLeavesItsNodeWithoutReport) {
  std::vector<std::optional<std::string>> by_rank = {message(0, 0, 0, "a", node_report(2)), message(1, 0, 1, "a"), std::nullopt,
                                                     message(3, 1, 1, "b")};
  const auto nodes = rigcheck::app::node_runs(by_rank, kNodes, 600);
  EXPECT_TRUE(nodes[0].failure.empty());
  EXPECT_TRUE(nodes[1].report.is_null());
  EXPECT_EQ(nodes[1].hostname, "b") << "another rank of the node still names it";
  EXPECT_EQ(nodes[1].failure, "rank 2 (node1, its leader) did not answer within 600 s: it hung or died, so this node's own report is missing");
  const auto notes = rigcheck::app::node_notes(nodes);
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_EQ(notes[0].rfind("node1: rank 2", 0), 0u);
  EXPECT_TRUE(rigcheck::app::internode_parts(by_rank)[2].is_null());
}

TEST(ClusterGather, AMemberThatDidNotAnswerKeepsTheNodesReport) {
  std::vector<std::optional<std::string>> by_rank = {message(0, 0, 0, "a", node_report(2)), std::nullopt, message(2, 1, 0, "b", node_report(2)),
                                                     message(3, 1, 1, "b")};
  const auto nodes = rigcheck::app::node_runs(by_rank, kNodes, 90);
  EXPECT_EQ(nodes[0].failure, "rank 1 (node0) did not answer within 90 s: it hung or died");
  EXPECT_FALSE(nodes[0].report.is_null());
}

TEST(ClusterGather, UnreadableOrWrongMessagesAreFailures) {
  std::vector<std::optional<std::string>> by_rank = {message(0, 0, 0, "a", node_report(2)), std::string("{not json"),
                                                     message(3, 1, 0, "b", node_report(2)), message(3, 1, 1, "b")};
  const auto nodes = rigcheck::app::node_runs(by_rank, kNodes, 90);
  EXPECT_NE(nodes[0].failure.find("rank 1 (node0) sent an unreadable message"), std::string::npos) << nodes[0].failure;
  EXPECT_NE(nodes[1].failure.find("rank 2 (node1, its leader) answered as rank 3 of node1"), std::string::npos) << nodes[1].failure;
  EXPECT_TRUE(nodes[1].report.is_null());
}

TEST(ClusterGather, ALocalFailureAndNoGpuAreSaidPerNode) {
  std::vector<std::optional<std::string>> by_rank = {message(0, 0, 0, "a", node_report(0)), message(1, 0, 1, "a"),
                                                     message(2, 1, 0, "b", nullptr, "its local part failed: disk full"), message(3, 1, 1, "b")};
  const auto nodes = rigcheck::app::node_runs(by_rank, kNodes, 90);
  EXPECT_EQ(nodes[1].failure, "rank 2 (node1, its leader): its local part failed: disk full");
  const auto notes = rigcheck::app::node_notes(nodes);
  ASSERT_EQ(notes.size(), 2u);
  EXPECT_EQ(notes[0], "node0: No measurements: no NVIDIA driver is loaded (nvidia-smi fails).");
  EXPECT_EQ(notes[1], "node1: rank 2 (node1, its leader): its local part failed: disk full");
}

TEST(ClusterGather, PlanRoundTrips) {
  rigcheck::app::ClusterPlan p;
  p.stem = "2026-12-01-abc123";
  p.created_utc = "2026-12-01T15:00:00Z";
  p.nodes_in_turn = true;
  p.node_timeout_s = 42;
  p.internode = false;
  const auto q = rigcheck::app::cluster_plan_from_json(rigcheck::app::to_json(p));
  EXPECT_EQ(q.stem, p.stem);
  EXPECT_TRUE(q.nodes_in_turn);
  EXPECT_EQ(q.node_timeout_s, 42);
  EXPECT_FALSE(q.internode);
  EXPECT_THROW(rigcheck::app::cluster_plan_from_json(json{{"stem", 1}}), json::exception);
}
