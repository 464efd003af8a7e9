// The simulated cluster end to end: every cluster file of results/clusters/, every variant,
// through `run --simulate` (app::execute_run): the merged report passes the schema check, each
// variant raises the findings it lists, the healthy one no warning beyond the inherent ones,
// and the files (JSON, Markdown, HTML) say SIMULATED and show the node matrix.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "rigcheck/app/cluster_file.h"
#include "rigcheck/app/cluster_run.h"
#include "rigcheck/app/run.h"
#include "rigcheck/report/report.h"
#include "rigcheck/topology/errors.h"

using namespace rigcheck;
using nlohmann::json;

namespace {

std::string clusters() { return std::string(RIGCHECK_RIGS) + "/../clusters"; }

std::vector<std::string> cluster_files() {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(clusters()))
    if (e.path().extension() == ".json") out.push_back(e.path().string());
  std::sort(out.begin(), out.end());
  return out;
}

json simulate(const std::string& file, const std::string& variant) {
  app::RunConfig c;
  c.simulate = file;
  c.variant = variant;
  c.write_files = false;
  return app::execute_run(c).report;
}

// The cluster's findings and every node's own: a variant's fault may show in either.
std::set<std::string> ids_of(const json& report) {
  std::set<std::string> out;
  for (const auto& f : report.at("findings")) out.insert(f.at("id"));
  for (const auto& n : report.at("nodes"))
    if (n.at("report").is_object())
      for (const auto& f : n.at("report").at("findings")) out.insert(f.at("id"));
  return out;
}

// "a|b": either id (a node's own finding, or the cluster's when the node does not raise it).
bool raised(const std::set<std::string>& ids, const std::string& expect) {
  size_t start = 0;
  while (true) {
    const size_t bar = expect.find('|', start);
    if (ids.count(expect.substr(start, bar - start))) return true;
    if (bar == std::string::npos) return false;
    start = bar + 1;
  }
}

}  // namespace

TEST(ClusterFiles, ThereAreExamplesOfTwoAndFourNodes) {
  std::set<size_t> sizes;
  for (const auto& f : cluster_files()) sizes.insert(app::load_cluster(f).nodes.size());
  EXPECT_TRUE(sizes.count(2) && sizes.count(4));
}

TEST(ClusterFiles, EveryVariantRaisesWhatItListsAndTheHealthyOneNothingElse) {
  for (const auto& file : cluster_files()) {
    const app::ClusterFile cluster = app::load_cluster(file);
    const std::set<std::string> inherent(cluster.inherent.begin(), cluster.inherent.end());
    for (const auto& v : cluster.variants) {
      SCOPED_TRACE(file + " / " + v.name);
      const json r = simulate(file, v.name);
      ASSERT_NO_THROW(report::check_report(r, file));
      EXPECT_EQ(r.at("mode"), "simulated");
      EXPECT_EQ(r.at("internode").at("provenance"), "simulated");
      EXPECT_EQ(r.at("nodes").size(), cluster.nodes.size());
      const auto ids = ids_of(r);
      for (const auto& id : v.expect) EXPECT_TRUE(raised(ids, id)) << "missing " << id << " in " << r.at("findings").dump(1);
      if (&v == &cluster.variants.front()) {
        for (const auto& f : r.at("findings"))
          if (f.at("severity") != "info") {
            EXPECT_TRUE(inherent.count(f.at("id"))) << "healthy raises " << f.dump(1);
          }
      }
    }
  }
}

TEST(ClusterFiles, HealthyEdrPairRunsAtTheModelsFigure) {
  const json r = simulate(clusters() + "/2x-t180-v100-edr.json", "");
  const json& inter = r.at("internode");
  // EDR 100 Gb/s = 12.5 GB/s below the Gen3 x16 link (15.75): 0.94 x 12.5 with GPUDirect RDMA.
  ASSERT_EQ(inter.at("pairwise").size(), 2u);
  for (const auto& l : inter.at("pairwise")) EXPECT_NEAR(l.at("expected_gbps").get<double>(), 0.94 * 12.5, 1e-9);
  for (const auto& t : inter.at("transports")) EXPECT_EQ(t.at("detail"), "NET/IB/0/GDRDMA (simulated)");
  const json& p0 = inter.at("paths").at(0);
  EXPECT_EQ(p0.at("nic"), "mlx5_0");
  EXPECT_EQ(p0.at("gpu_nic_path"), "PIX");
  EXPECT_TRUE(p0.at("gdr").get<bool>());
}

TEST(ClusterFiles, AHungNodeLeavesAPartialReportAndNoInterNodeTest) {
  const json r = simulate(clusters() + "/2x-t180-v100-edr.json", "node1-hangs");
  EXPECT_EQ(r.at("status"), "partial");
  const json& node1 = r.at("nodes").at(1);
  EXPECT_FALSE(node1.at("failure").get<std::string>().empty());
  EXPECT_EQ(node1.at("report").at("status"), "partial");
  EXPECT_TRUE(node1.at("report").at("measurements").empty());
  EXPECT_TRUE(r.at("internode").at("collectives").empty());
  const json dead = simulate(clusters() + "/2x-t180-v100-edr.json", "node1-dies");
  EXPECT_TRUE(dead.at("nodes").at(1).at("report").is_null());
  EXPECT_EQ(dead.at("nodes").at(0).at("report").at("status"), "complete");
}

TEST(ClusterFiles, SocketsOnEthernetAreSlowButNotAFault) {
  const json r = simulate(clusters() + "/2x-asrock-2x3090-100gbe.json", "");
  for (const auto& t : r.at("internode").at("transports")) EXPECT_EQ(t.at("transport"), "NET/Socket");
  // 0.32 x 12.5 GB/s: what NCCL's sockets give on 100 Gb/s.
  for (const auto& l : r.at("internode").at("pairwise")) EXPECT_NEAR(l.at("expected_gbps").get<double>(), 0.32 * 12.5, 1e-9);
  EXPECT_FALSE(ids_of(r).count("cluster-socket-transport"));
}

TEST(ClusterFiles, RunWritesJsonMarkdownAndHtmlLabelledSimulated) {
  const std::string dir = testing::TempDir() + "/cluster-run";
  std::filesystem::remove_all(dir);
  app::RunConfig c;
  c.simulate = clusters() + "/4x-supermicro-10x3090-hdr.json";
  c.variant = "node2-port-at-1x";
  c.out_dir = dir;
  c.name = "c";
  const app::RunOutcome o = app::execute_run(c);
  EXPECT_EQ(o.json_path, dir + "/c.json");
  const json back = report::load_report(o.json_path);
  EXPECT_EQ(back, o.report);
  std::ifstream md_in(o.markdown_path), html_in(o.html_path);
  std::stringstream md, html;
  md << md_in.rdbuf();
  html << html_in.rdbuf();
  EXPECT_NE(md.str().find("> **SIMULATED**"), std::string::npos);
  EXPECT_NE(md.str().find("## SIMULATED Cluster: 4 nodes, 40 ranks"), std::string::npos);
  EXPECT_NE(md.str().find("| node2 |"), std::string::npos);
  EXPECT_NE(md.str().find("[warning] cluster-node-slow"), std::string::npos);
  EXPECT_NE(html.str().find("<span class=\"badge\">SIMULATED</span> Cluster"), std::string::npos);
  EXPECT_NE(html.str().find("hm-short"), std::string::npos);  // node2's links
  std::filesystem::remove_all(dir);
}

TEST(ClusterFiles, BadFilesAreOneSentence) {
  const std::string dir = testing::TempDir();
  auto bad = [&](const std::string& text) {
    const std::string path = dir + "/bad-cluster.json";
    std::ofstream(path) << text;
    return path;
  };
  EXPECT_THROW(app::load_cluster(bad(R"({"schema": "rigcheck.cluster/1", "network": {"kind": "infiniband", "rate_gbit": 100}, "nodes": []})")),
               topology::InputError);
  EXPECT_THROW(app::load_cluster(bad(R"({"schema": "rigcheck.cluster/1", "network": {"kind": "token-ring", "rate_gbit": 100},
                                        "nodes": [{"rig": "x.json"}]})")),
               topology::InputError);
  EXPECT_THROW(app::load_cluster(clusters() + "/2x-t180-v100-edr.json", "no-such-variant"), topology::InputError);
  // A rig without a NIC cannot be on a network.
  const std::string no_nic = bad(std::string(R"({"schema": "rigcheck.cluster/1", "network": {"kind": "infiniband", "rate_gbit": 100},
      "nodes": [{"rig": ")") + RIGCHECK_RIGS + R"(/dell-t1700-gtx1660.json", "count": 2}]})");
  app::RunConfig c;
  c.simulate = no_nic;
  c.write_files = false;
  try {
    app::execute_run(c);
    FAIL() << "no error";
  } catch (const topology::InputError& e) {
    EXPECT_NE(std::string(e.what()).find("has no NIC that is up"), std::string::npos) << e.what();
  }
}
