// The network model of a cluster (bench/internode.h): hand-computed figures of the ring across
// nodes, the NCCL transport lines of real logs, and the JSON round trip.

#include <gtest/gtest.h>

#include "rigcheck/bench/internode.h"

using namespace rigcheck;
using bench::NodeNetworkPath;

namespace {

NodeNetworkPath hdr_pix(int node) {
  // A ConnectX-6 at HDR (200 Gb/s = 25 GB/s) below the GPUs' switch, on a Gen3 x16 link (15.75 GB/s).
  return {node, "mlx5_0", "ib", 25.0, 25.0, 15.75, "PIX", true, "IB", {}, {}};
}

const bench::InterNodeCollective& find(const bench::InterNodeResults& r, bench::Collective op, bench::CollectiveScope scope) {
  for (const auto& c : r.collectives)
    if (c.op == op && c.scope == scope) return c;
  throw std::runtime_error("no such collective");
}

}  // namespace

TEST(InterNodeModel, NodeRateIsTheSlowestOfLinkPcieAndSwitchTimesTheTransportEfficiency) {
  // GDR: 0.94 of min(25, 15.75) = 14.805.
  EXPECT_NEAR(bench::node_network_gbps(hdr_pix(0), std::nullopt), 0.94 * 15.75, 1e-9);
  // A switch port of 100 Gb/s (12.5 GB/s) at 2:1 oversubscription gives 6.25 before efficiency.
  bench::NetworkFabric f{"ib", 12.5, 2.0};
  EXPECT_NEAR(bench::node_network_gbps(hdr_pix(0), f), 0.94 * 6.25, 1e-9);
  // Staged through host memory: half; sockets: 0.32 (NVIDIA/nccl#465, #214).
  NodeNetworkPath staged = hdr_pix(0);
  staged.gdr = false;
  EXPECT_NEAR(bench::node_network_gbps(staged, std::nullopt), 0.5 * 15.75, 1e-9);
  NodeNetworkPath socket = {0, "eth0", "ethernet", 12.5, 12.5, 31.5, "PHB", false, "Socket", {}, {}};
  EXPECT_NEAR(bench::node_network_gbps(socket, std::nullopt), 0.32 * 12.5, 1e-9);
}

TEST(InterNodeModel, HealthyPathRunsAtRatedSpeedWithGdrWhereNcclWouldUseIt) {
  NodeNetworkPath p = hdr_pix(0);
  p.link_gbps = 12.5;  // trained at 100 of 200 Gb/s
  p.gdr = false;
  p.transport = "Socket";
  const NodeNetworkPath h = bench::healthy_path(p);
  EXPECT_EQ(h.link_gbps, 25.0);
  EXPECT_TRUE(h.gdr);
  EXPECT_EQ(h.transport, "IB");
  p.gpu_nic_path = "SYS";  // across sockets NCCL stages by default: no GDR in the healthy path either
  EXPECT_FALSE(bench::healthy_path(p).gdr);
  NodeNetworkPath eth = {0, "eth0", "ethernet", 12.5, 12.5, 31.5, "PIX", false, "Socket", {}, {}};
  EXPECT_EQ(bench::healthy_path(eth).transport, "Socket");  // an Ethernet NIC has no IB verbs
}

TEST(InterNodeModel, BottleneckNamesTheSlowestNode) {
  NodeNetworkPath slow = hdr_pix(2);
  slow.link_gbps = 6.25;  // 50 Gb/s
  const auto b = bench::network_bottleneck({hdr_pix(0), hdr_pix(1), slow}, std::nullopt);
  EXPECT_EQ(b.node, 2);
  EXPECT_NEAR(b.gbps, 0.94 * 6.25, 1e-9);
  EXPECT_NE(b.text.find("node2 mlx5_0"), std::string::npos) << b.text;
  EXPECT_NE(b.text.find("link 6.2 GB/s"), std::string::npos) << b.text;
}

TEST(InterNodeModel, SimulatedScopesPairsAndTransports) {
  bench::InterNodeSimulation s;
  NodeNetworkPath slow = hdr_pix(1);
  slow.link_gbps = 12.5;
  s.paths = {hdr_pix(0), slow};
  s.gpus_per_node = {4, 4};
  s.node_ring_gbps = {40.0, 40.0};
  s.node_ring_p2p = {true, true};
  s.sizes = {1ull << 30};
  const auto r = bench::simulate_internode(s);
  EXPECT_EQ(r.provenance, bench::Provenance::simulated);
  EXPECT_EQ(r.nodes, 2);
  EXPECT_EQ(r.ranks, 8);
  const double net = 0.94 * 12.5;     // node1's NIC at 100 Gb/s
  const double healthy = 0.94 * 15.75;  // both at HDR: the Gen3 link bounds them
  // All ranks: one ring, whose slowest hop is the network (40 GB/s inside the nodes).
  const auto& all = find(r, bench::Collective::all_reduce, bench::CollectiveScope::all);
  EXPECT_EQ(all.ranks, 8);
  EXPECT_NEAR(all.expected_busbw_gbps, healthy, 1e-9);
  // busbw = bytes*2(n-1)/n / time, time = 2(n-1)*20us + bytes*2(n-1)/n / rate.
  const double bytes = 1ull << 30, factor = 2.0 * 7 / 8;
  const double t_us = 14 * 20.0 + bytes * factor / (net * 1e9) * 1e6;
  EXPECT_NEAR(all.results.at(0).busbw_gbps, bytes * factor / (t_us * 1e-6) / 1e9, 1e-6);
  // Network: 4 communicators of 2 ranks at once share each NIC.
  const auto& network = find(r, bench::Collective::all_reduce, bench::CollectiveScope::network);
  EXPECT_EQ(network.ranks, 2);
  EXPECT_EQ(network.groups, 4);
  EXPECT_NEAR(network.expected_busbw_gbps, healthy / 4, 1e-9);
  EXPECT_LT(network.results.at(0).busbw_gbps, net / 4);
  const auto& intra = find(r, bench::Collective::all_reduce, bench::CollectiveScope::intra);
  EXPECT_EQ(intra.ranks, 4);
  EXPECT_EQ(intra.groups, 2);
  // Pairs: both directions between node0 and node1 run at the slower end.
  ASSERT_EQ(r.pairwise.size(), 2u);
  for (const auto& l : r.pairwise) {
    EXPECT_NEAR(l.expected_gbps, healthy, 1e-9);
    EXPECT_LT(l.gbps, net);
    EXPECT_GT(l.gbps, 0.99 * net);
  }
  // The ring's two network hops: last rank of a node to the first of the next, NET/IB/GDRDMA.
  ASSERT_EQ(r.transports.size(), 2u);
  EXPECT_EQ(r.transports[0].from_rank, 3);
  EXPECT_EQ(r.transports[0].to_rank, 4);
  EXPECT_EQ(r.transports[1].from_rank, 7);
  EXPECT_EQ(r.transports[1].to_rank, 0);
  EXPECT_EQ(r.transports[0].transport, "NET/IB");
  EXPECT_TRUE(r.transports[0].gdrdma);
  EXPECT_EQ(r.transports[0].detail, "NET/IB/0/GDRDMA (simulated)");
}

TEST(InterNodeModel, OneGpuPerNodeHasNoIntraScope) {
  bench::InterNodeSimulation s;
  s.paths = {hdr_pix(0), hdr_pix(1), hdr_pix(2)};
  s.gpus_per_node = {1, 1, 1};
  s.node_ring_gbps = {0, 0, 0};
  s.node_ring_p2p = {false, false, false};
  const auto r = bench::simulate_internode(s);
  for (const auto& c : r.collectives) EXPECT_NE(c.scope, bench::CollectiveScope::intra);
  EXPECT_EQ(r.pairwise.size(), 6u);
}

TEST(ChannelTransports, ReadsNetLinesWithTheirNicNames) {
  // NCCL 2.18+ channel lines around the routes posted in NVIDIA/nccl#897 (NET/IB with and without
  // GDRDMA) and NVIDIA/nccl#952 (NET/Socket, P2P), and the device list line of NVIDIA/nccl-tests#231.
  const std::string log =
      "puente:21488:21838 [0] NCCL INFO NET/IB : Using [0]mlx5_0:1/IB [1]mlx5_1:1/IB [2]mlx5_2:1/IB [RO]; OOB enp45s0f0:149.153.153.83<0>\n"
      "puente:21488:21838 [0] NCCL INFO Channel 00/0 : 9[1a000] -> 2[6b000] [send] via NET/IB/0/GDRDMA\n"
      "puente:21488:21838 [0] NCCL INFO Channel 01/0 : 9[1a000] -> 2[6b000] [receive] via NET/IB/1\n"
      "x:1:1 [7] NCCL INFO Channel 03/0 : 15[7] -> 6[6] [send] via NET/Socket/3\n"
      "x:1:1 [7] NCCL INFO Channel 01/0 : 8[0] -> 15[7] via P2P/IPC/read\n";
  std::vector<int> node_of_rank(16, 0);
  for (int r = 8; r < 16; ++r) node_of_rank[r] = 1;
  const auto t = bench::channel_transports(log, node_of_rank);
  ASSERT_EQ(t.size(), 4u);
  EXPECT_EQ(t[0].transport, "NET/IB");
  EXPECT_TRUE(t[0].gdrdma);
  EXPECT_EQ(t[0].nic, "mlx5_0");
  EXPECT_EQ(t[0].from_node, 1);
  EXPECT_EQ(t[0].to_node, 0);
  EXPECT_FALSE(t[1].gdrdma);
  EXPECT_EQ(t[1].nic, "mlx5_1");
  EXPECT_EQ(t[2].transport, "NET/Socket");
  EXPECT_EQ(t[2].nic, "");  // no NET/Socket device list in this log
  EXPECT_EQ(t[3].transport, "P2P");
  EXPECT_EQ(t[3].from_node, 1);
  EXPECT_EQ(t[3].to_node, 1);
}

TEST(InterNodeJson, RoundTrips) {
  bench::InterNodeSimulation s;
  s.paths = {hdr_pix(0), hdr_pix(1)};
  s.fabric = bench::NetworkFabric{"ib", 25.0, 1.0};
  s.gpus_per_node = {2, 2};
  s.node_ring_gbps = {10.0, 10.0};
  s.node_ring_p2p = {true, false};
  s.nccl_version = "2.28.9";
  auto r = bench::simulate_internode(s);
  r.nccl_environment["NCCL_IB_HCA"] = "mlx5_0";
  const nlohmann::json j = bench::to_json(r);
  const auto back = bench::internode_from_json(j);
  EXPECT_EQ(bench::to_json(back), j);
  EXPECT_EQ(j.at("provenance"), "simulated");
  EXPECT_EQ(j.at("collectives").at(0).at("scope"), "all");
}
