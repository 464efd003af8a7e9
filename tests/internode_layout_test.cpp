// The plain parts of the inter-node step (bench/internode_nccl.h): who drives which NCCL rank,
// nccl-tests' split colours, the node-leader pairs, and rank 0's merge of the ranks' parts,
// with figures computed by hand.

#include <gtest/gtest.h>

#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "rigcheck/bench/internode_nccl.h"

using nlohmann::json;
using namespace rigcheck::bench;

namespace {

// 2 nodes of 8 GPUs, one MPI rank per GPU (mpirun -np 16 -N 8).
NcclLayout rank_per_gpu() {
  std::vector<int> node_of_rank, local;
  for (int r = 0; r < 16; ++r) node_of_rank.push_back(r / 8), local.push_back(r % 8);
  return nccl_layout(devices_of_ranks(node_of_rank, local, {8, 8}), node_of_rank);
}

}  // namespace

TEST(InterNodeLayout, OneRankPerGpu) {
  const NcclLayout l = rank_per_gpu();
  EXPECT_EQ(l.nccl_ranks, 16);
  EXPECT_EQ(l.devices_of_rank, std::vector<int>(16, 1));
  EXPECT_EQ(l.first_nccl_rank[9], 9);
  EXPECT_EQ(l.node_leader, (std::vector<int>{0, 8}));
  EXPECT_EQ(l.local_index[11], 3);
  EXPECT_EQ(l.node_of_nccl_rank[11], 1);
  EXPECT_EQ(l.gpus_of_node, (std::vector<int>{8, 8}));
}

TEST(InterNodeLayout, EachRankDrivesTheGpuOfItsPlace) {
  const NcclLayout l = rank_per_gpu();
  EXPECT_EQ(first_device(l, 0, 8), 0);
  EXPECT_EQ(first_device(l, 11, 8), 3) << "rank 11 is local rank 3 of node1";
  EXPECT_EQ(first_device(l, 11, 1), 0) << "srun --gpus-per-task=1 left it only its own GPU";
  const NcclLayout per_node = nccl_layout({4, 4}, {0, 1});
  EXPECT_EQ(first_device(per_node, 1, 4), 0);
  EXPECT_EQ(first_device(per_node, 1, 2), -1) << "it must drive 4 GPUs and sees 2";
}

TEST(InterNodeLayout, OneRankPerNodeDrivesAllItsGpus) {
  // mpirun -np 2 -N 1: node0 has 4 GPUs, node1 has 2.
  const NcclLayout l = nccl_layout(devices_of_ranks({0, 1}, {0, 0}, {4, 2}), {0, 1});
  EXPECT_EQ(l.devices_of_rank, (std::vector<int>{4, 2}));
  EXPECT_EQ(l.nccl_ranks, 6);
  EXPECT_EQ(l.first_nccl_rank, (std::vector<int>{0, 4}));
  EXPECT_EQ(l.node_leader, (std::vector<int>{0, 4}));
  EXPECT_EQ(l.node_of_nccl_rank, (std::vector<int>{0, 0, 0, 0, 1, 1}));
}

TEST(InterNodeLayout, RanksBeyondTheGpusDriveNone) {
  // 3 ranks on a node with 2 GPUs: the third joins the exchanges but drives nothing.
  EXPECT_EQ(devices_of_ranks({0, 0, 0, 1, 1, 1}, {0, 1, 2, 0, 1, 2}, {2, 2}), (std::vector<int>{1, 1, 0, 1, 1, 0}));
}

TEST(InterNodeLayout, SplitsAsNcclTests) {
  const NcclLayout l = rank_per_gpu();
  // "AND 0x7": one communicator per local index, one GPU per node in each.
  EXPECT_EQ(split_color(l, CollectiveScope::network, 3), split_color(l, CollectiveScope::network, 11));
  EXPECT_NE(split_color(l, CollectiveScope::network, 3), split_color(l, CollectiveScope::network, 4));
  EXPECT_EQ(scope_groups(l, CollectiveScope::network), 8);
  EXPECT_EQ(scope_group_ranks(l, CollectiveScope::network), 2);
  // "OR 0x7": one communicator per node.
  EXPECT_EQ(scope_groups(l, CollectiveScope::intra), 2);
  EXPECT_EQ(scope_group_ranks(l, CollectiveScope::intra), 8);
  EXPECT_EQ(scope_groups(l, CollectiveScope::all), 1);
  EXPECT_EQ(scope_group_ranks(l, CollectiveScope::all), 16);
  EXPECT_EQ(scopes_to_run(l), (std::vector<CollectiveScope>{CollectiveScope::all, CollectiveScope::network, CollectiveScope::intra}));
  // One GPU per node: the network scope is "all" again, and there is no intra-node scope.
  const NcclLayout single = nccl_layout({1, 1, 1}, {0, 1, 2});
  EXPECT_EQ(scopes_to_run(single), (std::vector<CollectiveScope>{CollectiveScope::all}));
  EXPECT_TRUE(scopes_to_run(nccl_layout({1}, {0})).empty());
}

TEST(InterNodeLayout, EveryOrderedPairOfNodesOnce) {
  EXPECT_EQ(leader_pairs(3), (std::vector<std::pair<int, int>>{{0, 1}, {0, 2}, {1, 0}, {1, 2}, {2, 0}, {2, 1}}));
  EXPECT_TRUE(leader_pairs(1).empty());
}

TEST(InterNodeLayout, NcclLogsToAFileAndTheNetworkVariablesAreRecorded) {
  const NcclEnvironment e = internode_nccl_environment("/tmp/x.log");
  const std::map<std::string, std::string> set(e.set.begin(), e.set.end());
  EXPECT_EQ(set.at("NCCL_DEBUG"), "INFO");
  EXPECT_EQ(set.at("NCCL_DEBUG_SUBSYS"), "INIT,NET");
  EXPECT_EQ(set.at("NCCL_DEBUG_FILE"), "/tmp/x.log");
  std::vector<std::string> user = {"NCCL_SOCKET_IFNAME=ens1f0", "NCCL_IB_HCA=mlx5_0,mlx5_1", "HOME=/root", "XNCCL_IB_HCA=no"};
  std::vector<char*> env;
  for (auto& v : user) env.push_back(v.data());
  env.push_back(nullptr);
  const auto recorded = recorded_nccl_variables(env.data());
  EXPECT_EQ(recorded.size(), 2u);
  EXPECT_EQ(recorded.at("NCCL_SOCKET_IFNAME"), "ens1f0");
  EXPECT_EQ(recorded.at("NCCL_IB_HCA"), "mlx5_0,mlx5_1");
  EXPECT_FALSE(recorded.count("HOME"));
}

TEST(InterNodeMerge, SlowestRankWorstCheckAndBusBandwidth) {
  // 2 nodes x 1 GPU, one rank per node.
  const NcclLayout l = nccl_layout({1, 1}, {0, 1});
  const uint64_t b = 64ull << 20;
  json p0 = {{"rank", 0}, {"status", "ok"}, {"nccl_version", "2.28.9"}, {"environment", {{"NCCL_IB_HCA", "mlx5_0"}}},
             {"collectives", {{{"op", "allreduce"}, {"scope", "all"}, {"group", 0}, {"group_ranks", 2}, {"bytes", b}, {"time_us", 9000.0}, {"check", "ok"}}}},
             {"pairwise", {{{"from_node", 1}, {"to_node", 0}, {"bytes", 256ull << 20}, {"time_us", 20000.0}, {"check", "ok"}}}},
             {"log", "host:1:2 [0] NCCL INFO Channel 00/0 : 0[0] -> 1[0] [send] via NET/IB/0/GDRDMA\n"}};
  json p1 = {{"rank", 1}, {"status", "ok"}, {"nccl_version", "2.28.9"}, {"environment", json::object()},
             {"collectives", {{{"op", "allreduce"}, {"scope", "all"}, {"group", 0}, {"group_ranks", 2}, {"bytes", b}, {"time_us", 10000.0}, {"check", "ok"}}}},
             {"pairwise", {{{"from_node", 0}, {"to_node", 1}, {"bytes", 256ull << 20}, {"time_us", 40000.0}, {"check", "ok"}}}}};
  InterNodeResults r = merge_internode({p0, p1}, l, "Open MPI v4.1.4");
  ASSERT_EQ(r.notes.size(), 1u) << "rank 1 has no NCCL_IB_HCA";
  EXPECT_EQ(r.notes[0], "rank 1 (node1) has NCCL_IB_HCA unset where the first rank has NCCL_IB_HCA=mlx5_0");
  p1["environment"] = {{"NCCL_IB_HCA", "mlx5_0"}};
  r = merge_internode({p0, p1}, l, "Open MPI v4.1.4");
  EXPECT_EQ(r.backend, "NCCL 2.28.9 over Open MPI v4.1.4");
  EXPECT_EQ(r.nodes, 2);
  EXPECT_EQ(r.ranks, 2);
  ASSERT_EQ(r.collectives.size(), 1u);
  const InterNodeCollective& c = r.collectives[0];
  EXPECT_EQ(c.op, Collective::all_reduce);
  EXPECT_EQ(c.scope, CollectiveScope::all);
  EXPECT_EQ(c.ranks, 2);
  ASSERT_EQ(c.results.size(), 1u);
  EXPECT_DOUBLE_EQ(c.results[0].time_us, 10000.0) << "the slowest rank ends the collective";
  // algbw = 67108864 B / 10 ms = 6.7108864 GB/s; busbw = algbw x 2(n-1)/n = algbw for n = 2.
  EXPECT_NEAR(c.results[0].algbw_gbps, 6.7108864, 1e-9);
  EXPECT_NEAR(c.results[0].busbw_gbps, 6.7108864, 1e-9);
  ASSERT_EQ(r.pairwise.size(), 2u);
  EXPECT_EQ(r.pairwise[0].from_node, 0);
  EXPECT_EQ(r.pairwise[0].to_node, 1);
  EXPECT_NEAR(r.pairwise[0].gbps, 268435456.0 / 40000e3, 1e-9);  // 6.71 GB/s one way
  EXPECT_NEAR(r.pairwise[1].gbps, 268435456.0 / 20000e3, 1e-9);
  EXPECT_EQ(r.nccl_environment.at("NCCL_IB_HCA"), "mlx5_0");
  ASSERT_EQ(r.transports.size(), 1u);
  EXPECT_EQ(r.transports[0].from_node, 0);
  EXPECT_EQ(r.transports[0].to_node, 1);
  EXPECT_TRUE(r.transports[0].gdrdma);
  EXPECT_TRUE(r.notes.empty());
}

TEST(InterNodeMerge, SixteenRanksBusFactorAndFailures) {
  const NcclLayout l = rank_per_gpu();
  std::vector<json> parts(16);
  for (int r = 0; r < 16; ++r) {
    parts[r] = {{"rank", r}, {"status", "ok"}, {"nccl_version", "2.28.9"}, {"collectives", json::array()}};
    parts[r]["collectives"].push_back({{"op", "allreduce"}, {"scope", "all"}, {"group", 0}, {"group_ranks", 16}, {"bytes", 1ull << 30},
                                       {"time_us", 100000.0 + r}, {"check", r == 5 ? "wrong" : "ok"}});
    parts[r]["collectives"].push_back({{"op", "allgather"}, {"scope", "network"}, {"group", r % 8}, {"group_ranks", 2}, {"bytes", 1ull << 20},
                                       {"time_us", 100.0}, {"check", "ok"}});
  }
  parts[12] = nullptr;
  parts[3]["status"] = "hang";
  parts[3]["detail"] = "allreduce (all, 1073741824 bytes) did not finish in time";
  const InterNodeResults r = merge_internode(parts, l, "");
  ASSERT_EQ(r.collectives.size(), 2u);
  const auto& all = r.collectives[0];
  EXPECT_EQ(all.ranks, 16);
  EXPECT_EQ(all.groups, 1);
  EXPECT_DOUBLE_EQ(all.results[0].time_us, 100015.0);
  EXPECT_EQ(all.results[0].check, "wrong") << "one rank's wrong data is the collective's";
  // algbw = 2^30 B / 100.015 ms; busbw x 2(16-1)/16 = 1.875.
  EXPECT_NEAR(all.results[0].busbw_gbps, 1073741824.0 / 100015e-6 / 1e9 * 1.875, 1e-9);
  const auto& net = r.collectives[1];
  EXPECT_EQ(net.scope, CollectiveScope::network);
  EXPECT_EQ(net.ranks, 2);
  EXPECT_EQ(net.groups, 8);
  ASSERT_EQ(r.notes.size(), 2u);
  EXPECT_EQ(r.notes[0], "rank 3 (node0): hang: allreduce (all, 1073741824 bytes) did not finish in time");
  EXPECT_EQ(r.notes[1], "rank 12 (node1) sent no inter-node results");
}

TEST(InterNodeRank, WithoutNcclNothingIsMeasuredAndItSaysWhy) {
#if !RIGCHECK_TEST_HAVE_NCCL
  const json part = run_internode_rank(0, nccl_layout({1, 1}, {0, 1}), {}, {});
  EXPECT_EQ(part.at("status"), "unavailable");
  EXPECT_NE(part.at("detail").get<std::string>().find("built without NCCL"), std::string::npos);
#else
  GTEST_SKIP() << "built with NCCL: the real step needs GPUs on two nodes (README: cluster runs)";
#endif
}
