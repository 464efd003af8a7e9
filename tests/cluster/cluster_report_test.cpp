// One report for a cluster (report/cluster_report.h): the nodes' reports inside, anonymised; the
// inter-node results; the schema check; a dead node's partial report; the printers' sections.

#include <gtest/gtest.h>

#include <cstdio>
#include <sstream>

#include "rigcheck/app/run.h"
#include "rigcheck/report/cluster_report.h"
#include "rigcheck/report/report.h"
#include "rigcheck/report/view.h"
#include "rigcheck/topology/errors.h"

using namespace rigcheck;
using nlohmann::json;

namespace {

// A node's own report: a simulated run of a seed rig, as a node would send it to rank 0.
json node_report(const std::string& rig, const std::string& hostname, const std::string& variant = "") {
  app::RunConfig c;
  c.simulate = std::string(RIGCHECK_RIGS) + "/" + rig + ".json";
  c.variant = variant;
  c.write_files = false;
  json r = app::execute_run(c).report;
  r["host"]["hostname"] = hostname;
  r["command_line"] = {"rigcheck", "run", "--out", "/home/alice/" + hostname + "/results"};
  return r;
}

bench::InterNodeResults internode(int nodes) {
  bench::InterNodeSimulation s;
  for (int i = 0; i < nodes; ++i) {
    s.paths.push_back({i, "mlx5_0", "ib", 12.5, 12.5, 15.75, "PIX", true, "IB", {}, {}});
    s.gpus_per_node.push_back(4);
    s.node_ring_gbps.push_back(40);
    s.node_ring_p2p.push_back(true);
  }
  return bench::simulate_internode(s);
}

std::vector<report::NodeRun> two_nodes() {
  return {{0, "gpu-box-17", {0, 1, 2, 3}, node_report("gigabyte-t180-g20-4xv100-nvlink", "gpu-box-17"), ""},
          {1, "gpu-box-18", {4, 5, 6, 7}, node_report("gigabyte-t180-g20-4xv100-nvlink", "gpu-box-18"), ""}};
}

report::ClusterReportOptions simulated() {
  report::ClusterReportOptions o;
  o.mode = "simulated";
  o.cluster = "test";
  return o;
}

}  // namespace

TEST(ClusterReport, MergedReportPassesTheSchemaCheckAndHoldsEveryNode) {
  const json r = report::build_cluster_report(two_nodes(), internode(2), simulated());
  EXPECT_NO_THROW(report::check_report(r, "cluster report"));
  EXPECT_TRUE(report::is_cluster_report(r));
  EXPECT_EQ(r.at("schema"), "rigcheck.report/1");
  EXPECT_EQ(r.at("status"), "complete");
  ASSERT_EQ(r.at("nodes").size(), 2u);
  EXPECT_EQ(r.at("nodes").at(1).at("ranks"), (std::vector<int>{4, 5, 6, 7}));
  EXPECT_EQ(r.at("nodes").at(1).at("report").at("topology").at("gpus").size(), 4u);
  EXPECT_EQ(r.at("internode").at("provenance"), "simulated");
  EXPECT_EQ(r.at("cluster").at("nodes"), 2);
  EXPECT_EQ(r.at("versions").at("nccl"), 22809);  // the nodes agree
  // The healthy twin raises no cluster finding.
  for (const auto& f : r.at("findings")) EXPECT_NE(f.at("id").get<std::string>().rfind("cluster-", 0), 0u) << f.dump();
}

TEST(ClusterReport, HostnamesLeaveTheNodesReportsUnlessKept) {
  const json r = report::build_cluster_report(two_nodes(), internode(2), simulated());
  const std::string text = r.dump();
  EXPECT_EQ(text.find("gpu-box-17"), std::string::npos);
  EXPECT_EQ(text.find("gpu-box-18"), std::string::npos);
  EXPECT_EQ(r.at("nodes").at(0).at("name"), "node0");
  EXPECT_TRUE(r.at("nodes").at(0).at("report").at("host").at("hostname").is_null());
  EXPECT_EQ(r.at("nodes").at(1).at("report").at("command_line").at(3), "/home/alice/node1/results");
  auto o = simulated();
  o.keep_hostname = true;
  const json kept = report::build_cluster_report(two_nodes(), internode(2), o);
  EXPECT_EQ(kept.at("nodes").at(1).at("name"), "gpu-box-18");
  EXPECT_EQ(kept.at("nodes").at(1).at("report").at("host").at("hostname"), "gpu-box-18");
}

TEST(ClusterReport, DeadNodeGivesAPartialReportWithItsFailure) {
  auto nodes = two_nodes();
  nodes.push_back({2, "gpu-box-19", {8, 9, 10, 11}, nullptr, "rank 9 died (signal 9) on gpu-box-19 before it sent its report"});
  const json r = report::build_cluster_report(nodes, internode(3), simulated());
  EXPECT_NO_THROW(report::check_report(r, "cluster report"));
  EXPECT_EQ(r.at("status"), "partial");
  EXPECT_TRUE(r.at("nodes").at(2).at("report").is_null());
  EXPECT_EQ(r.at("nodes").at(2).at("failure"), "rank 9 died (signal 9) on node2 before it sent its report");
  EXPECT_EQ(r.at("verdict").at("worst"), "critical");
  bool named = false;
  for (const auto& f : r.at("findings"))
    if (f.at("id") == "cluster-node-failed") named = f.at("title") == "node2 did not finish the cluster run";
  EXPECT_TRUE(named) << r.at("findings").dump(2);
  // The printers show the node as failed.
  std::ostringstream md;
  report::render_report_markdown(r, md);
  EXPECT_NE(md.str().find("FAILED: rank 9 died"), std::string::npos);
}

TEST(ClusterReport, NodesFindingsCountInTheClusterVerdictNamedByNode) {
  auto nodes = two_nodes();
  // A node with a warning of its own (its first switch's uplink trained x8).
  nodes[1].report = node_report("supermicro-4029gp-trt2-10x3090", "gpu-box-18", "switch-uplink-x8");
  const json r = report::build_cluster_report(nodes, internode(2), simulated());
  bool found = false;
  for (const auto& f : r.at("findings"))
    for (const auto& e : f.at("evidence")) found = found || e.get<std::string>().rfind("node1: ", 0) == 0;
  EXPECT_TRUE(found);
  EXPECT_EQ(r.at("versions").at("nvidia_driver"), "mixed");  // 550 and 535
}

TEST(ClusterReport, ViewHasTheNodeMatrixAndEveryScopeLabelledSimulated) {
  const json r = report::build_cluster_report(two_nodes(), internode(2), simulated());
  const report::ReportView v = report::build_view(r);
  ASSERT_TRUE(v.cluster.present);
  EXPECT_EQ(v.cluster.label, "SIMULATED ");
  ASSERT_TRUE(v.cluster.has_pairwise);
  EXPECT_EQ(v.cluster.pairwise.labels, (std::vector<std::string>{"node0", "node1"}));
  EXPECT_EQ(v.cluster.pairwise.cells[0][0], "X");
  EXPECT_EQ(v.cluster.pairwise_shades[0][1], report::Shade::ok);
  EXPECT_EQ(v.cluster.node_summaries.at(1).gpus, "4x Tesla V100 SXM2 16GB");
  std::set<std::string> scopes;
  for (const auto& row : v.cluster.collectives.rows) scopes.insert(row.at(1));
  EXPECT_EQ(scopes, (std::set<std::string>{"all", "network", "intra"}));
  std::ostringstream text, md, html;
  report::render_report_text(r, text);
  report::render_report_markdown(r, md);
  report::render_report_html(r, html);
  EXPECT_NE(text.str().find("SIMULATED Cluster: 2 node(s), 8 rank(s)"), std::string::npos) << text.str();
  EXPECT_NE(md.str().find("## SIMULATED Cluster: 2 nodes, 8 ranks"), std::string::npos);
  EXPECT_NE(md.str().find("| node0 | X |"), std::string::npos) << md.str();
  EXPECT_NE(html.str().find("<span class=\"badge\">SIMULATED</span> Cluster"), std::string::npos);
  EXPECT_NE(html.str().find("class=\"hm-ok\""), std::string::npos);
}

TEST(ClusterReport, SchemaRefusesAClusterWithoutItsInterNodeResults) {
  json r = report::build_cluster_report(two_nodes(), internode(2), simulated());
  r.erase("internode");
  EXPECT_THROW(report::check_report(r, "cluster report"), topology::InputError);
  json bad = report::build_cluster_report(two_nodes(), internode(2), simulated());
  bad["internode"]["collectives"][0]["scope"] = "rack";
  EXPECT_THROW(report::check_report(bad, "cluster report"), topology::InputError);
  json bad_node = report::build_cluster_report(two_nodes(), internode(2), simulated());
  bad_node["nodes"][0]["report"].erase("verdict");  // a node's report is a report too
  EXPECT_THROW(report::check_report(bad_node, "cluster report"), topology::InputError);
}

// `rigcheck compare` of two cluster reports (the example cluster with and without the
// peer-memory module on node1): the nodes' verdicts and the figures between nodes side by side,
// each with its change and verdict. Without GPUDirect RDMA the model stages through host memory
// at 0.5 of the line rate instead of 0.94 (docs/cluster-files.md), on node1's NIC which bounds the
// ring, so every network figure changes by 0.5 / 0.94 - 1.
TEST(ClusterCompare, NodesAndInterNodeFiguresSideBySide) {
  const json a = report::load_report(std::string(RIGCHECK_EXAMPLES) + "/cluster-2x-t180-v100-edr--healthy.json");
  const json b = report::load_report(std::string(RIGCHECK_EXAMPLES) + "/cluster-2x-t180-v100-edr--no-peermem.json");
  std::ostringstream text, md;
  report::render_compare({a, b}, {"healthy", "no-peermem"}, false, text);
  report::render_compare({a, b}, {"healthy", "no-peermem"}, true, md);
  char change[16];
  std::snprintf(change, sizeof change, "(%+.0f%%)", (0.5 / 0.94 - 1) * 100);
  const std::string t = text.str();
  EXPECT_NE(t.find("Between nodes:"), std::string::npos) << t;
  EXPECT_NE(t.find("node0 verdict:  ok  ok\n"), std::string::npos) << t;
  EXPECT_NE(t.find("node1 verdict:  ok  warning  verdict ok / warning"), std::string::npos) << t;
  for (const char* row : {"allreduce all busbw GB/s (1 GiB):", "allreduce network busbw GB/s (1 GiB):", "node0 -> node1 send/recv GB/s:"}) {
    const size_t at = t.find(row);
    ASSERT_NE(at, std::string::npos) << row << "\n" << t;
    const std::string line = t.substr(at, t.find('\n', at) - at);
    EXPECT_NE(line.find(change), std::string::npos) << line;
    EXPECT_NE(line.find("verdict ok / below_expectation"), std::string::npos) << line;
  }
  // Inside the nodes nothing changed.
  const size_t intra = t.find("allreduce intra busbw GB/s (1 GiB):");
  ASSERT_NE(intra, std::string::npos);
  EXPECT_NE(t.substr(intra, t.find('\n', intra) - intra).find("(+0%)"), std::string::npos);
  EXPECT_NE(t.find("new in no-peermem: gpudirect-rdma-unavailable"), std::string::npos);
  EXPECT_NE(md.str().find("## Between nodes\n\n| node or figure | healthy | no-peermem | change | verdicts |"), std::string::npos) << md.str();
  // A single node's compare has no such part.
  const json x = report::load_report(std::string(RIGCHECK_EXAMPLES) + "/asrock-x99-ws-e-2x3090-risers--healthy.json");
  std::ostringstream single;
  report::render_compare({x, x}, {"a", "b"}, false, single);
  EXPECT_EQ(single.str().find("Between nodes"), std::string::npos);
}
