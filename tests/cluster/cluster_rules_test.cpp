// The cluster's findings (diagnosis/cluster_rules.h): each one fires on a cluster with its fault
// and stays silent on the healthy twin.

#include <gtest/gtest.h>

#include <algorithm>

#include "rigcheck/diagnosis/cluster_rules.h"

using namespace rigcheck;
using diagnosis::ClusterNode;

namespace {

bench::NodeNetworkPath hdr(int node) { return {node, "mlx5_0", "ib", 25.0, 25.0, 31.5, "PIX", true, "IB", {}, {}}; }

ClusterNode healthy_node(int i) {
  ClusterNode n;
  n.node = i;
  n.name = "node" + std::to_string(i);
  n.has_report = true;
  n.gpus = "4x Tesla V100-SXM2-16GB";
  n.nvidia_driver = "550.127.05";
  n.cuda_driver_version = 12040;
  n.nccl_version = 22809;
  n.path = hdr(i);
  n.rdma_nic = true;
  n.rdma_nic_name = "mlx5_0";
  n.gdr_module = "nvidia_peermem";
  n.cells = {{"host_to_device_ce/gpu0", 13.3}, {"device_to_device_write_ce/gpu0-gpu1", 45.0}};
  return n;
}

// The inter-node results a healthy cluster of these nodes gives: every link at the model's figure.
bench::InterNodeResults results_for(const std::vector<ClusterNode>& nodes) {
  bench::InterNodeSimulation s;
  for (const auto& n : nodes) {
    s.paths.push_back(*n.path);
    s.gpus_per_node.push_back(4);
    s.node_ring_gbps.push_back(40);
    s.node_ring_p2p.push_back(true);
  }
  return bench::simulate_internode(s);
}

std::vector<std::string> ids(const std::vector<diagnosis::Finding>& fs) {
  std::vector<std::string> out;
  for (const auto& f : fs) out.push_back(f.id);
  return out;
}

bool has(const std::vector<diagnosis::Finding>& fs, const std::string& id) {
  return std::any_of(fs.begin(), fs.end(), [&](const auto& f) { return f.id == id; });
}

const diagnosis::Finding& get(const std::vector<diagnosis::Finding>& fs, const std::string& id) {
  for (const auto& f : fs)
    if (f.id == id) return f;
  throw std::runtime_error("no " + id);
}

std::vector<ClusterNode> cluster(int n) {
  std::vector<ClusterNode> out;
  for (int i = 0; i < n; ++i) out.push_back(healthy_node(i));
  return out;
}

}  // namespace

TEST(ClusterRules, HealthyClusterRaisesNothing) {
  for (int n : {2, 4}) {
    auto nodes = cluster(n);
    EXPECT_TRUE(diagnosis::cluster_findings(nodes, results_for(nodes)).empty()) << n << " nodes";
  }
}

TEST(ClusterRules, DeadOrHungNodeIsCriticalAndNamed) {
  auto nodes = cluster(3);
  nodes[1].failure = "rank 4 hung in all_reduce after 120 s";
  nodes[1].has_report = false;
  const auto fs = diagnosis::cluster_findings(nodes, results_for(nodes));
  const auto& f = get(fs, "cluster-node-failed");
  EXPECT_EQ(f.severity, diagnosis::Severity::critical);
  EXPECT_NE(f.title.find("node1"), std::string::npos);
  EXPECT_EQ(f.evidence.at(0), "node1: rank 4 hung in all_reduce after 120 s (no report)");
}

TEST(ClusterRules, SlowNodeAmongFourIsBlamedOnlyForItsLinks) {
  auto nodes = cluster(4);
  auto r = results_for(nodes);
  for (auto& l : r.pairwise)
    if (l.from_node == 2 || l.to_node == 2) l.gbps /= 2;  // node2's cable at half rate
  const auto fs = diagnosis::cluster_findings(nodes, r);
  ASSERT_TRUE(has(fs, "cluster-node-slow")) << ::testing::PrintToString(ids(fs));
  EXPECT_NE(get(fs, "cluster-node-slow").title.find("node2"), std::string::npos);
  int slow = 0;
  for (const auto& f : fs) slow += f.id == "cluster-node-slow";
  EXPECT_EQ(slow, 1);
  // With two nodes every link touches both: no node can be blamed from the pairs.
  auto two = cluster(2);
  auto r2 = results_for(two);
  for (auto& l : r2.pairwise) l.gbps /= 2;
  EXPECT_FALSE(has(diagnosis::cluster_findings(two, r2), "cluster-node-slow"));
}

TEST(ClusterRules, NetworkBelowTheModel) {
  auto nodes = cluster(2);
  auto r = results_for(nodes);
  for (auto& c : r.collectives)
    if (c.scope == bench::CollectiveScope::network)
      for (auto& x : c.results) x.busbw_gbps = 0.5 * c.expected_busbw_gbps;
  EXPECT_TRUE(has(diagnosis::cluster_findings(nodes, r), "cluster-network-below-expected"));
}

TEST(ClusterRules, NicFarFromGpusUnlessTheNodeSaysSo) {
  auto nodes = cluster(2);
  nodes[0].path->gpu_nic_path = "SYS";
  nodes[0].path->gdr = false;
  auto fs = diagnosis::cluster_findings(nodes, results_for(nodes));
  ASSERT_TRUE(has(fs, "cluster-nic-far-from-gpus"));
  EXPECT_EQ(get(fs, "cluster-nic-far-from-gpus").title, "node0: mlx5_0 is SYS from its GPUs");
  // Across sockets NCCL stages through the host itself: not a missing GDR.
  EXPECT_FALSE(has(fs, "cluster-gdr-not-used"));
  nodes[0].local_finding_ids.insert("nic-far-from-gpus");
  EXPECT_FALSE(has(diagnosis::cluster_findings(nodes, results_for(nodes)), "cluster-nic-far-from-gpus"));
}

TEST(ClusterRules, GdrNotInUseFromTransportsOrFromThePath) {
  auto nodes = cluster(2);
  auto r = results_for(nodes);
  r.transports[1].gdrdma = false;  // node1's send without GDRDMA
  r.transports[1].detail = "NET/IB/0";
  auto fs = diagnosis::cluster_findings(nodes, r);
  ASSERT_TRUE(has(fs, "cluster-gdr-not-used"));
  EXPECT_NE(get(fs, "cluster-gdr-not-used").title.find("node1"), std::string::npos);
  // Nothing measured between the nodes: the path says it.
  nodes[0].path->gdr = false;
  nodes[0].gdr_module = "";
  auto r2 = results_for(cluster(2));
  r2.transports.clear();
  fs = diagnosis::cluster_findings(nodes, r2);
  ASSERT_TRUE(has(fs, "cluster-gdr-not-used"));
  EXPECT_NE(get(fs, "cluster-gdr-not-used").evidence.back().find("peer-memory module: none loaded"), std::string::npos);
}

TEST(ClusterRules, SocketsWhereIbExists) {
  auto nodes = cluster(2);
  auto r = results_for(nodes);
  r.transports[0].transport = "NET/Socket";
  r.transports[0].gdrdma = false;
  r.transports[0].detail = "NET/Socket/0";
  auto fs = diagnosis::cluster_findings(nodes, r);
  ASSERT_TRUE(has(fs, "cluster-socket-transport"));
  EXPECT_EQ(get(fs, "cluster-socket-transport").title, "node0: NCCL uses sockets although mlx5_0 is an RDMA NIC");
  // Sockets on a node with only Ethernet are what NCCL can do there.
  nodes[0].rdma_nic = false;
  EXPECT_FALSE(has(diagnosis::cluster_findings(nodes, r), "cluster-socket-transport"));
}

TEST(ClusterRules, NicBelowItsRate) {
  auto nodes = cluster(2);
  nodes[1].path->link_gbps = 12.5;
  auto fs = diagnosis::cluster_findings(nodes, results_for(nodes));
  ASSERT_TRUE(has(fs, "cluster-nic-below-rate"));
  EXPECT_EQ(get(fs, "cluster-nic-below-rate").title, "node1: mlx5_0 runs at 100 Gb/s of 200 Gb/s");
  nodes[1].local_finding_ids.insert("nic-port-rate-below");
  EXPECT_FALSE(has(diagnosis::cluster_findings(nodes, results_for(nodes)), "cluster-nic-below-rate"));
}

TEST(ClusterRules, VersionMismatchNamesEachVersionsNodes) {
  auto nodes = cluster(3);
  nodes[2].nccl_version = 22703;
  auto fs = diagnosis::cluster_findings(nodes, results_for(nodes));
  ASSERT_TRUE(has(fs, "cluster-version-mismatch"));
  const auto& f = get(fs, "cluster-version-mismatch");
  EXPECT_EQ(f.title, "Nodes run different NCCL versions");
  EXPECT_EQ(f.evidence, (std::vector<std::string>{"NCCL 2.27.3: node2", "NCCL 2.28.9: node0 node1"}));
  // Unknown (0) is not a version.
  nodes[2].nccl_version = 0;
  EXPECT_FALSE(has(diagnosis::cluster_findings(nodes, results_for(nodes)), "cluster-version-mismatch"));
}

TEST(ClusterRules, LocalResultsThatDifferAmongAlikeNodes) {
  auto nodes = cluster(3);
  nodes[1].cells["device_to_device_write_ce/gpu0-gpu1"] = 22.0;  // a link down on node1
  auto fs = diagnosis::cluster_findings(nodes, results_for(nodes));
  ASSERT_TRUE(has(fs, "cluster-node-results-differ"));
  const auto& f = get(fs, "cluster-node-results-differ");
  EXPECT_NE(f.title.find("node1"), std::string::npos);
  EXPECT_EQ(f.details, (std::vector<std::string>{"device_to_device_write_ce/gpu0-gpu1: 22.0 GB/s, peers 45.0 GB/s"}));
  // Different GPUs are not peers.
  nodes[1].gpus = "2x GeForce RTX 3090";
  EXPECT_FALSE(has(diagnosis::cluster_findings(nodes, results_for(nodes)), "cluster-node-results-differ"));
}
