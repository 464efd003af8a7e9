// The HTML page (print_html) of reports rigcheck wrote for the seed rigs (results/examples):
// every section is there, a heatmap cell below its expectation carries the colour of a
// shortfall, names from the machine are escaped, and the page loads nothing from the network.

#include <gtest/gtest.h>

#include <regex>
#include <sstream>

#include "rigcheck/report/report.h"
#include "rigcheck/report/view.h"

namespace report = rigcheck::report;
using nlohmann::json;

namespace {

json example(const char* name) { return report::load_report(std::string(RIGCHECK_EXAMPLES) + "/" + name); }

std::string html_of(const json& r) {
  std::ostringstream out;
  report::print_html(report::build_view(r), out);
  return out.str();
}

size_t count(const std::string& s, const std::string& what) {
  size_t n = 0;
  for (size_t at = s.find(what); at != std::string::npos; at = s.find(what, at + 1)) ++n;
  return n;
}

}  // namespace

TEST(ReportHtml, HasEverySection) {
  const std::string html = html_of(example("gigabyte-t180-g20-4xv100-nvlink--nvlink-link-down.json"));
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  for (const char* id : {"verdict", "findings", "gpus", "topology", "heatmaps", "tests"})
    EXPECT_NE(html.find("id=\"" + std::string(id) + "\""), std::string::npos) << id;
  EXPECT_NE(html.find("Verdict: warning"), std::string::npos);
  EXPECT_NE(html.find("nvlink-fewer-links"), std::string::npos);
  // The tree: four GPUs and the NVLink arcs between them, one of them down to a single link.
  EXPECT_EQ(count(html, "class=\"node endpoint gpu"), 4u);
  EXPECT_NE(html.find(">NV1</text>"), std::string::npos);
  EXPECT_NE(html.find(">NV2</text>"), std::string::npos);
  EXPECT_NE(html.find(">CPU socket 1</text>"), std::string::npos) << "the second socket's host bridge";
  // Three GPU-pair heatmaps, and the per-GPU tests as tables.
  EXPECT_EQ(count(html, "<figure class=\"heatmap\""), 3u);
  EXPECT_NE(html.find("host_to_device_ce (GB/s)</h3>"), std::string::npos);
  EXPECT_EQ(html.find("</html>"), html.size() - 8);
}

TEST(ReportHtml, EveryFigureOfASimulatedReportIsLabelled) {
  const std::string html = html_of(example("supermicro-4029gp-trt2-10x3090--acs-and-iommu-on.json"));
  const size_t figures = count(html, "<figure class=\"heatmap\"") + count(html, "<h3><span class=\"badge\">") +
                         count(html, "<h2><span class=\"badge\">");
  EXPECT_EQ(figures, 3u + 4u + 1u);  // 3 pair tests, 4 per-GPU/host tests, the collectives
  EXPECT_EQ(count(html, "<span class=\"badge\">SIMULATED</span>"), figures + 1) << "each figure and the banner";
}

TEST(ReportHtml, BelowExpectationCellsCarryTheShortfallColour) {
  const json r = example("supermicro-4029gp-trt2-10x3090--acs-and-iommu-on.json");
  const report::ReportView v = report::build_view(r);
  const std::string html = html_of(r);
  int short_cells = 0;
  for (const auto& t : v.tests) {
    if (!t.pairwise) continue;
    for (const auto& c : r.at("measurements")) {
      if (c.at("test") != t.name) continue;
      const int a = c.at("src").at("gpu"), b = c.at("dst").at("gpu");
      const bool below = c.at("verdict") == "below_expectation";
      const report::Shade s = t.shades[a][b];
      EXPECT_EQ(below, s == report::Shade::short_of || s == report::Shade::far_short) << c.at("name");
      EXPECT_DOUBLE_EQ(t.ratios[a][b], c.at("ratio_to_expected").get<double>());
      short_cells += below;
    }
  }
  ASSERT_GT(short_cells, 0) << "the example has cells below expectation";
  // The latency heatmap: GPU0 -> GPU1 crosses the host at twice the expected time.
  const size_t fig = html.find("id=\"heatmap-device_to_device_latency_sm\"");
  ASSERT_NE(fig, std::string::npos);
  const std::regex row0(R"re(<tr><th>GPU0</th><td class="hm-self">-</td><td class="hm-(short|far)"[^>]*>\d+!</td>)re");
  EXPECT_TRUE(std::regex_search(html.substr(fig), row0));
  EXPECT_GT(count(html, "class=\"hm-ok\""), 0u);
  // The legend names every band it colours.
  for (const char* band : {"sw hm-ok", "sw hm-short", "sw hm-far", "sw hm-none", "sw hm-failed"})
    EXPECT_NE(html.find(band), std::string::npos) << band;
}

TEST(ReportHtml, EscapesWhatTheMachineNamed) {
  json r = example("gigabyte-t180-g20-4xv100-nvlink--healthy.json");
  r["topology"]["gpus"][0]["name"] = "<script>alert(1)</script>\"'&";
  r["topology"]["machine"] = "<img src=x onerror=alert(2)>";
  r["findings"][0]["evidence"][0] = "</li><script>";
  const std::string html = html_of(r);
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("<img"), std::string::npos);
  EXPECT_NE(html.find("&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&amp;"), std::string::npos);
  EXPECT_NE(html.find("&lt;img src=x onerror=alert(2)&gt;"), std::string::npos);
}

TEST(ReportHtml, LoadsNothingFromTheNetwork) {
  for (const char* name : {"supermicro-4029gp-trt2-10x3090--acs-and-iommu-on.json", "gigabyte-t180-g20-4xv100-nvlink--healthy.json",
                           "dell-t1700-gtx1660--chipset-slot.json"}) {
    json r = example(name);
    // A finding that cites a web page: a link to follow, never a resource to load.
    r["findings"].push_back({{"severity", "info"}, {"id", "x"}, {"title", "t"}, {"evidence", json::array()}, {"explanation", "e"},
                             {"fix", "f"}, {"reference", "https://docs.nvidia.com/x.html"}});
    const std::string html = html_of(r);
    EXPECT_NE(html.find("<a href=\"https://docs.nvidia.com/x.html\">"), std::string::npos) << name;
    // Every web address is a link's target or that link's text.
    const std::regex web(R"(https?://[^"<]*)");
    for (auto it = std::sregex_iterator(html.begin(), html.end(), web); it != std::sregex_iterator(); ++it) {
      const size_t at = static_cast<size_t>(it->position());
      const std::string url = it->str();
      const bool target = at >= 9 && html.compare(at - 9, 9, "<a href=\"") == 0;
      const std::string link = "<a href=\"" + url + "\">";
      const bool text = at >= link.size() && html.compare(at - link.size(), link.size(), link) == 0;
      EXPECT_TRUE(target || text) << name << ": a web address outside a link: " << html.substr(at >= 40 ? at - 40 : 0, 80);
    }
    for (const char* load : {" src=", "<script", "<link", "@import", "url(", "<iframe", "<object", "<embed"})
      EXPECT_EQ(html.find(load), std::string::npos) << name << ": " << load;
  }
}

TEST(ReportHtml, TheTreeMarksADowntrainedLinkAndTheChipset) {
  // The riser that trains at Gen1: GPU1's box and the line to it are drawn as degraded.
  const report::ReportView riser = report::build_view(example("asrock-x99-ws-e-2x3090-risers--riser-gen1.json"));
  int degraded_gpus = 0;
  for (const auto& n : riser.pci_tree) degraded_gpus += n.gpu >= 0 && n.degraded;
  EXPECT_EQ(degraded_gpus, 1);
  std::ostringstream page;
  report::print_html(riser, page);
  EXPECT_EQ(count(page.str(), "class=\"edge degraded\""), 1u);
  EXPECT_NE(page.str().find("class=\"node endpoint gpu degraded\""), std::string::npos);
  EXPECT_NE(page.str().find("Gen1 x16"), std::string::npos);
  // The second card in the chipset slot: its switch and its GPU are drawn behind the chipset.
  const std::string chipset = html_of(example("asus-crosshair-viii-x570-3090--second-card-in-chipset-slot.json"));
  EXPECT_NE(chipset.find("class=\"node endpoint gpu chipset\""), std::string::npos);
  EXPECT_EQ(count(chipset, "class=\"node endpoint gpu"), 2u);
}

TEST(ReportHtml, ImportedFiguresAreLabelledImported) {
  json r = example("asrock-x99-ws-e-2x3090-risers--healthy.json");
  r["mode"] = "imported";
  r["inputs"] = json::array({{{"name", "p2p.txt"}, {"sha256", std::string(64, 'a')}, {"bytes", 10}, {"blocks", json::array()}}});
  const std::string html = html_of(r);
  EXPECT_EQ(html.find("SIMULATED"), std::string::npos);
  EXPECT_NE(html.find("<span class=\"badge\">IMPORTED</span> rigcheck did not measure this machine"), std::string::npos);
  EXPECT_NE(html.find("p2p.txt (sha256 aaaa"), std::string::npos);
  const size_t figures = count(html, "<figure class=\"heatmap\"") + count(html, "<h3><span class=\"badge\">");
  EXPECT_GT(figures, 3u);
  EXPECT_EQ(count(html, "<span class=\"badge\">IMPORTED</span>"), figures + count(html, "<h2><span class=\"badge\">") + 1);
}

TEST(ReportHtml, ThePlatformsLimitsAreInTheHeader) {
  const auto r = rigcheck::report::load_report(std::string(RIGCHECK_EXAMPLES) + "/supermicro-4029gp-trt2-10x3090--acs-and-iommu-on.json");
  std::ostringstream html;
  rigcheck::report::print_html(rigcheck::report::build_view(r), html);
  EXPECT_NE(html.str().find("<b>Platform:</b> GPU0-GPU9: the slot allows Gen3 x16"), std::string::npos);
}
