// The renderer-neutral report view (report/view.h) on reports rigcheck wrote for the seed rigs
// (results/examples): what each test's summary calls the worst cell, the path matrix, the labels
// of simulated and imported figures, and that both printers show what the view holds.

#include <gtest/gtest.h>

#include <sstream>

#include "rigcheck/report/report.h"
#include "rigcheck/report/view.h"

namespace report = rigcheck::report;
using nlohmann::json;

namespace {

json example(const char* name) { return report::load_report(std::string(RIGCHECK_EXAMPLES) + "/" + name); }

// The cell a reader should be pointed to: the one furthest below its expectation (for latency
// the ratio is expected / measured, so lower is worse for both kinds).
std::string worst_cell_of(const json& r, const std::string& test) {
  const json* worst = nullptr;
  for (const auto& c : r.at("measurements")) {
    if (c.at("test") != test || c.at("status") != "ok" || c.at("ratio_to_expected").is_null()) continue;
    if (!worst || c.at("ratio_to_expected").get<double>() < worst->at("ratio_to_expected").get<double>()) worst = &c;
  }
  return worst ? worst->at("name").get<std::string>() : "";
}

}  // namespace

TEST(ReportView, WorstCellIsTheFurthestBelowItsExpectation) {
  const json r = example("supermicro-4029gp-trt2-10x3090--acs-and-iommu-on.json");
  const report::ReportView v = report::build_view(r);
  bool saw_latency = false, saw_bandwidth = false;
  for (const auto& t : v.tests) {
    ASSERT_TRUE(t.has_worst) << t.name;
    EXPECT_EQ(t.worst_cell, worst_cell_of(r, t.name)) << t.name;
    (t.unit == "ns" ? saw_latency : saw_bandwidth) = true;
    EXPECT_EQ(t.cells.rows.size(), static_cast<size_t>(t.ok_cells + t.failed) +
                                       [&] { size_t n = 0; for (const auto& row : t.cells.rows) n += row[1] == "n/a"; return n; }());
  }
  EXPECT_TRUE(saw_latency);
  EXPECT_TRUE(saw_bandwidth);
  // Issue 13: 40 latency cells take twice their expected time; the summary must name one of them,
  // not the highest figure (864 ns on a path expected at 860 ns), and say "2.0x".
  for (const auto& t : v.tests)
    if (t.name == "device_to_device_latency_sm") { EXPECT_EQ(t.worst_percent, "2.0x !"); }
}

TEST(ReportView, PairwiseTestsAreMatricesWithTheExpectedFigurePerPathClass) {
  const json r = example("supermicro-4029gp-trt2-10x3090--acs-and-iommu-on.json");
  const report::ReportView v = report::build_view(r);
  int matrices = 0;
  for (const auto& t : v.tests) {
    if (!t.pairwise) continue;
    ++matrices;
    ASSERT_EQ(t.matrix.labels.size(), 10u);
    EXPECT_NE(t.description.find("row"), std::string::npos) << "the orientation is stated";
    for (const auto& c : r.at("measurements")) {
      if (c.at("test") != t.name) continue;
      const int a = c.at("src").at("gpu"), b = c.at("dst").at("gpu");
      const std::string& cell = t.matrix.cells[a][b];
      EXPECT_EQ(cell.back() == '!', c.at("verdict") == "below_expectation") << c.at("name") << " " << cell;
      if (c.at("unit") == "GB/s") { EXPECT_NEAR(std::stod(cell), c.at("median").get<double>(), 0.006) << c.at("name"); }
    }
    EXPECT_EQ(t.expected_legend.rfind("expected: PIX ", 0), 0u) << t.expected_legend;
  }
  EXPECT_EQ(matrices, 3);
}

TEST(ReportView, PathMatrixHoldsEveryPairsClassBothWays) {
  const json r = example("gigabyte-t180-g20-4xv100-nvlink--healthy.json");
  const report::ReportView v = report::build_view(r);
  ASSERT_TRUE(v.has_path_matrix);
  const size_t n = r.at("topology").at("gpus").size();
  ASSERT_EQ(v.path_matrix.labels.size(), n);
  for (const auto& p : r.at("topology").at("pairs")) {
    const int a = p.at("a"), b = p.at("b");
    const std::string expected =
        p.at("nvlink_links").get<int>() > 0 ? "NV" + std::to_string(p.at("nvlink_links").get<int>()) : p.at("pcie").get<std::string>();
    EXPECT_EQ(v.path_matrix.cells[a][b], expected);
    EXPECT_EQ(v.path_matrix.cells[b][a], expected);
  }
  for (size_t i = 0; i < n; ++i) EXPECT_EQ(v.path_matrix.cells[i][i], "X");
}

TEST(ReportView, SimulatedReportsSaySoInBothPrinters) {
  const json r = example("dell-t1700-gtx1660--chipset-slot.json");
  const report::ReportView v = report::build_view(r);
  EXPECT_EQ(v.mode, "simulated");
  EXPECT_EQ(report::mode_label(v.mode), " (SIMULATED)");
  std::ostringstream text, md;
  report::print_text(v, text);
  report::print_markdown(v, md);
  EXPECT_EQ(text.str().rfind("SIMULATED:", 0), 0u);
  EXPECT_NE(md.str().find("> **SIMULATED**"), std::string::npos);
  // Every finding of the view is in both forms, by id.
  ASSERT_FALSE(v.findings.empty());
  for (const auto& f : v.findings) {
    EXPECT_NE(text.str().find("] " + f.id + ": "), std::string::npos) << f.id;
    EXPECT_NE(md.str().find("] " + f.id + ": "), std::string::npos) << f.id;
  }
}

TEST(ReportView, MarkdownEscapesWhatTheMachineNamed) {
  json r = example("dell-t1700-gtx1660--healthy.json");
  r["topology"]["gpus"][0]["name"] = "GTX | </details><b>";
  std::ostringstream md;
  report::print_markdown(report::build_view(r), md);
  EXPECT_NE(md.str().find("GTX \\| &lt;/details&gt;&lt;b&gt;"), std::string::npos);
  EXPECT_EQ(md.str().find("</details><b>"), std::string::npos);
}

TEST(Compare, PairwiseTestsAreDeltaMatricesNotNinetyLines) {
  const json a = example("supermicro-4029gp-trt2-10x3090--healthy.json");
  const json b = example("supermicro-4029gp-trt2-10x3090--acs-and-iommu-on.json");
  std::ostringstream text, md;
  report::render_compare({a, b}, {"healthy", "acs"}, false, text);
  report::render_compare({a, b}, {"healthy", "acs"}, true, md);
  EXPECT_EQ(text.str().find("device_to_device_write_ce/gpu0-gpu1"), std::string::npos) << "pair cells are in the matrix";
  EXPECT_NE(text.str().find("host_to_device_ce/gpu0:"), std::string::npos) << "per-GPU cells stay lines";
  // The changed verdicts are counted from the reports themselves.
  int changed = 0;
  for (size_t i = 0; i < a.at("measurements").size(); ++i) {
    const json& x = a.at("measurements")[i];
    if (x.at("test") != "device_to_device_write_ce") continue;
    for (const auto& y : b.at("measurements"))
      if (y.at("name") == x.at("name")) changed += x.at("verdict") != y.at("verdict");
  }
  ASSERT_GT(changed, 0);
  const std::string title =
      "device_to_device_write_ce: acs against healthy (change of the median, " + std::to_string(changed) + " verdict(s) changed)";
  EXPECT_NE(text.str().find(title), std::string::npos) << text.str();
  EXPECT_NE(md.str().find("**" + title + "**"), std::string::npos);
  // GPU0 -> GPU1 with ACS redirecting through the root complex and the IOMMU translating: the IOMMU
  // halves it and the Xeon's root complex forwards 1/1.2 of the switch uplink (platforms.json), so
  // 1 - 0.5 / 1.2 = -58 %.
  std::istringstream lines(text.str());
  bool in_write = false;
  for (std::string l; std::getline(lines, l);) {
    if (l == title) in_write = true;
    if (in_write && l.rfind("  GPU0 ", 0) == 0) {
      std::istringstream cells(l);
      std::string label, diag, gpu1;
      cells >> label >> diag >> gpu1;
      EXPECT_EQ(diag, "-");
      EXPECT_EQ(gpu1, "-58%");
      break;
    }
  }
  EXPECT_TRUE(in_write);
}

TEST(ReportView, ThePlatformsLimitsAreStatedOnceInTheHeader) {
  const report::ReportView v = report::build_view(example("supermicro-4029gp-trt2-10x3090--acs-and-iommu-on.json"));
  ASSERT_EQ(v.platform.size(), 1u);
  EXPECT_EQ(v.platform[0], "GPU0-GPU9: the slot allows Gen3 x16, the card could do Gen4 x16 (expectations assume the slot's limit)");
  std::ostringstream text;
  report::print_text(v, text);
  EXPECT_NE(text.str().find("\nPlatform: GPU0-GPU9: the slot allows Gen3 x16"), std::string::npos);
  // A machine whose slots hold no card back states nothing.
  EXPECT_TRUE(report::build_view(example("gigabyte-t180-g20-4xv100-nvlink--healthy.json")).platform.empty());
}
