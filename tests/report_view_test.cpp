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

// The cell a reader should be pointed to: the lowest bandwidth, the highest latency.
std::string worst_cell_of(const json& r, const std::string& test) {
  const json* worst = nullptr;
  for (const auto& c : r.at("measurements")) {
    if (c.at("test") != test || c.at("status") != "ok") continue;
    const double m = c.at("median"), w = worst ? worst->at("median").get<double>() : 0;
    if (!worst || (c.at("unit") == "ns" ? m > w : m < w)) worst = &c;
  }
  return worst ? worst->at("name").get<std::string>() : "";
}

}  // namespace

TEST(ReportView, WorstCellIsTheLowestBandwidthAndTheHighestLatency) {
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
