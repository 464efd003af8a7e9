// Multi-rail (bench/internode.h): a node with one HCA per GPU pair sends through all of them, each
// GPU through its nearest NIC. On the test rig with four HDR HCAs (tests/fixtures/rigs/
// pcie-8gpu-4hca-node.json: two Gen4 switches per socket, each with two A100s and one HCA).

#include <gtest/gtest.h>

#include <fstream>

#include "rigcheck/bench/internode.h"
#include "rigcheck/topology/rig.h"

using namespace rigcheck;
using bench::NodeNetworkPath;
using nlohmann::json;

namespace {

json rig_json() {
  std::ifstream in(std::string(RIGCHECK_FIXTURES) + "/rigs/pcie-8gpu-4hca-node.json");
  return json::parse(in);
}

topology::Topology node(const std::string& variant, const std::string& nccl_ib_hca = "") {
  json j = rig_json();
  if (!nccl_ib_hca.empty()) j["system"]["nccl_env"]["NCCL_IB_HCA"] = nccl_ib_hca;
  return topology::expand_rig(topology::parse_rig(j), variant);
}

std::vector<std::string> rail_nics(const NodeNetworkPath& p) {
  std::vector<std::string> out = {p.nic};
  for (const auto& r : p.more_rails) out.push_back(r.nic);
  return out;
}

}  // namespace

TEST(MultiRail, EachGpuLeavesThroughTheHcaOnItsSwitch) {
  const auto p = bench::network_path_of(node("healthy"), 0);
  ASSERT_TRUE(p);
  EXPECT_EQ(rail_nics(*p), (std::vector<std::string>{"mlx5_0", "mlx5_1", "mlx5_2", "mlx5_3"}));
  EXPECT_EQ(p->gpus, (std::vector<int>{0, 1}));  // the leader's rail first
  ASSERT_EQ(p->more_rails.size(), 3u);
  EXPECT_EQ(p->more_rails[0].gpus, (std::vector<int>{2, 3}));
  EXPECT_EQ(p->more_rails[1].gpus, (std::vector<int>{4, 5}));
  EXPECT_EQ(p->more_rails[2].gpus, (std::vector<int>{6, 7}));
  for (const auto& r : p->more_rails) {
    EXPECT_EQ(r.gpu_nic_path, "PIX") << r.nic;
    EXPECT_TRUE(r.gdr) << r.nic;
  }
}

TEST(MultiRail, TheNodeSendsAtTheSumOfItsRailsAndEachPairOfRanksSharesOne) {
  const auto p = bench::network_path_of(node("healthy"), 0);
  ASSERT_TRUE(p);
  const double one = bench::node_network_gbps(*p, std::nullopt);
  EXPECT_NEAR(one, 0.94 * 25.0, 1e-9);  // HDR 200 Gb/s with GPUDirect RDMA
  EXPECT_NEAR(bench::node_rails_gbps(*p, std::nullopt), 4 * one, 1e-9);
  // Eight one-GPU-per-node communicators at once: two on each HCA.
  EXPECT_NEAR(bench::node_group_share_gbps(*p, std::nullopt, 8), one / 2, 1e-9);
  // Two at once (local ranks 0 and 1): both on mlx5_0.
  EXPECT_NEAR(bench::node_group_share_gbps(*p, std::nullopt, 2), one / 2, 1e-9);
  EXPECT_NEAR(bench::node_group_share_gbps(*p, std::nullopt, 1), one, 1e-9);
}

TEST(MultiRail, AnHcaThatIsDownLeavesItsGpusToTheNearestOtherOne) {
  // hca-port-down: mlx5_2 (GPU4-GPU5's switch) is DOWN; mlx5_3 is PHB to them, nearer than the
  // other socket's HCAs.
  const auto p = bench::network_path_of(node("hca-port-down"), 0);
  ASSERT_TRUE(p);
  EXPECT_EQ(rail_nics(*p), (std::vector<std::string>{"mlx5_0", "mlx5_1", "mlx5_3"}));
  EXPECT_EQ(p->more_rails[1].gpus, (std::vector<int>{4, 5, 6, 7}));
  const double one = bench::node_network_gbps(*p, std::nullopt);
  EXPECT_NEAR(bench::node_group_share_gbps(*p, std::nullopt, 8), one / 4, 1e-9);
}

TEST(MultiRail, TheHealthyPathCountsTheHcaThatIsDown) {
  // The expectations are the healthy machine's: mlx5_2 up again at its rated HDR, GPUDirect RDMA.
  const auto h = bench::network_path_of(node("hca-port-down"), 0, bench::PathState::healthy);
  ASSERT_TRUE(h);
  EXPECT_EQ(rail_nics(*h), (std::vector<std::string>{"mlx5_0", "mlx5_1", "mlx5_2", "mlx5_3"}));
  EXPECT_EQ(h->more_rails[1].gpus, (std::vector<int>{4, 5}));
  EXPECT_TRUE(h->more_rails[1].gdr);
  EXPECT_NEAR(h->more_rails[1].link_gbps, 25.0, 1e-9);
  const double one = bench::node_network_gbps(*h, std::nullopt);
  EXPECT_NEAR(bench::node_group_share_gbps(*h, std::nullopt, 8), one / 2, 1e-9);
}

TEST(MultiRail, NcclIbHcaDecidesWhichHcasAreRails) {
  // A prefix list, an exact list and an exclusion, as NCCL's documentation gives them.
  EXPECT_EQ(rail_nics(*bench::network_path_of(node("healthy", "mlx5_0"), 0)), (std::vector<std::string>{"mlx5_0"}));
  // One NIC carries every GPU: no GPU list (node_group_share_gbps divides it by the ranks).
  EXPECT_TRUE(bench::network_path_of(node("healthy", "mlx5_0"), 0)->gpus.empty());
  EXPECT_EQ(rail_nics(*bench::network_path_of(node("healthy", "=mlx5_1:1,mlx5_2:1"), 0)), (std::vector<std::string>{"mlx5_1", "mlx5_2"}));
  EXPECT_EQ(rail_nics(*bench::network_path_of(node("healthy", "^mlx5_3"), 0)), (std::vector<std::string>{"mlx5_0", "mlx5_1", "mlx5_2"}));
  // NCCL_IB_DISABLE=1: sockets, on one interface.
  json j = rig_json();
  j["system"]["nccl_env"]["NCCL_IB_DISABLE"] = "1";
  const auto sockets = bench::network_path_of(topology::expand_rig(topology::parse_rig(j), "healthy"), 0);
  ASSERT_TRUE(sockets);
  EXPECT_EQ(sockets->transport, "Socket");
  EXPECT_TRUE(sockets->more_rails.empty());
}

TEST(MultiRail, SimulatedScopesUseEveryRail) {
  bench::InterNodeSimulation s;
  for (int n = 0; n < 2; ++n) {
    s.paths.push_back(*bench::network_path_of(node("healthy"), n));
    s.gpus_per_node.push_back(8);
    s.node_ring_gbps.push_back(200.0);  // a node ring faster than the network, so the network bounds "all"
    s.node_ring_p2p.push_back(true);
  }
  s.ops = {bench::Collective::all_reduce};
  const bench::InterNodeResults r = bench::simulate_internode(s);
  const double one = bench::node_network_gbps(s.paths[0], std::nullopt);
  for (const auto& c : r.collectives) {
    if (c.scope == bench::CollectiveScope::all) {
      EXPECT_NEAR(c.expected_busbw_gbps, 4 * one, 1e-9);
    }
    if (c.scope == bench::CollectiveScope::network) {
      EXPECT_NEAR(c.expected_busbw_gbps, one / 2, 1e-9);
    }
  }
  // One channel per rail on each of the ring's two network hops.
  EXPECT_EQ(r.transports.size(), 8u);
  EXPECT_EQ(r.transports[3].nic, "mlx5_3");
  EXPECT_EQ(r.transports[3].detail, "NET/IB/3/GDRDMA (simulated)");
  // The rails survive the report's JSON.
  const bench::InterNodeResults back = bench::internode_from_json(bench::to_json(r));
  ASSERT_EQ(back.paths[1].more_rails.size(), 3u);
  EXPECT_EQ(back.paths[1].more_rails[2].gpus, (std::vector<int>{6, 7}));
}

TEST(MultiRail, ADownHcaReadFromSysfsCountsAtItsSiblingsRate) {
  // Live discovery gives no rated speed, and a down port's rate in sysfs means nothing (10 Gb/s
  // SDR here): the healthy machine's HCA runs at the rate its active siblings run at.
  auto t = node("hca-port-down");
  for (auto& n : t.nics) {
    n.max_rate_gbit = 0;
    if (n.name == "mlx5_2") n.ports[0].rate_gbit = 10;
  }
  const auto h = bench::network_path_of(t, 0, bench::PathState::healthy);
  ASSERT_TRUE(h);
  ASSERT_EQ(rail_nics(*h), (std::vector<std::string>{"mlx5_0", "mlx5_1", "mlx5_2", "mlx5_3"}));
  EXPECT_NEAR(h->more_rails[1].link_gbps, 25.0, 1e-9);
  // With no active sibling of its kind, nothing says what it would run at: not a rail.
  for (auto& n : t.nics)
    if (n.name != "mlx5_2") n.kind = topology::NicKind::roce;
  const auto alone = bench::network_path_of(t, 0, bench::PathState::healthy);
  ASSERT_TRUE(alone);
  for (const auto& nic : rail_nics(*alone)) EXPECT_NE(nic, "mlx5_2");
}

TEST(MultiRail, OnlyTheFastestHcasAreRails) {
  // NCCL ranks a GPU's NICs by bandwidth before distance: an EDR HCA (100 Gb/s) next to GPU6-GPU7
  // does not take their traffic from the HDR ones.
  auto t = node("healthy");
  for (auto& n : t.nics)
    if (n.name == "mlx5_3") n.ports[0].rate_gbit = n.max_rate_gbit = 100;
  const auto p = bench::network_path_of(t, 0);
  ASSERT_TRUE(p);
  EXPECT_EQ(rail_nics(*p), (std::vector<std::string>{"mlx5_0", "mlx5_1", "mlx5_2"}));
  EXPECT_EQ(p->more_rails[1].gpus, (std::vector<int>{4, 5, 6, 7}));
}

TEST(MultiRail, TheHealthyMachineUsesEveryHcaEvenWhenNcclIsForcedOntoSockets) {
  json j = rig_json();
  j["system"]["nccl_env"]["NCCL_IB_DISABLE"] = "1";
  const auto t = topology::expand_rig(topology::parse_rig(j), "healthy");
  const auto h = bench::network_path_of(t, 0, bench::PathState::healthy);
  ASSERT_TRUE(h);
  EXPECT_EQ(h->transport, "IB");
  EXPECT_EQ(rail_nics(*h).size(), 4u);
}

TEST(MultiRail, NetworkGroupsThatStayOnTheLargerNodeShareNoNic) {
  // An 8-GPU node and a 4-GPU node, one HCA each: local ranks 4-7 exist on the 8-GPU node only,
  // so their communicators never cross the network; the four that do share each HCA four ways.
  bench::InterNodeResults r;
  r.ranks_per_node = {8, 4};
  for (int n = 0; n < 2; ++n) r.paths.push_back({n, "mlx5_0", "ib", 25.0, 25.0, 31.5, "PIX", true, "IB", {}, {}});
  bench::InterNodeCollective c;
  c.scope = bench::CollectiveScope::network;
  c.groups = 8;
  c.ranks = 2;
  r.collectives.push_back(c);
  bench::fill_network_expectations(r);
  EXPECT_NEAR(r.collectives[0].expected_busbw_gbps, 0.94 * 25.0 / 4, 1e-9);
}
