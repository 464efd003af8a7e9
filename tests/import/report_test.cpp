// The imported report: schema fields, IMPORTED labels in every rendering, provenance on every
// figure, nothing stated that no input states, and compare against another report.

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "rigcheck/app/import_job.h"
#include "rigcheck/report/report.h"
#include "support.h"

namespace rigcheck::import_test {
namespace {

nlohmann::json report_of(const std::vector<std::string>& fixtures) {
  app::ImportConfig c;
  for (const auto& f : fixtures) c.files.push_back(std::string(RIGCHECK_FIXTURES) + "/imports/" + f);
  c.command_line = {"rigcheck", "import"};
  std::istringstream none;
  return app::run_import(c, none).report;
}

TEST(ImportReport, ModeInputsAndProvenance) {
  const auto r = report_of({"autodl-2x2080ti-forum-post.md"});
  report::check_report(r, "imported");
  EXPECT_EQ(r.at("mode"), "imported");
  EXPECT_EQ(r.at("status"), "complete");
  ASSERT_EQ(r.at("inputs").size(), 1u);
  EXPECT_EQ(r.at("inputs")[0].at("sha256").get<std::string>().size(), 64u);
  EXPECT_EQ(r.at("inputs")[0].at("blocks").size(), 4u);
  EXPECT_EQ(r.at("environment").size(), 0u);  // nothing of the importing machine
  for (const auto& c : r.at("measurements")) {
    EXPECT_TRUE(c.contains("imported")) << c.at("name");
    EXPECT_NE(c.at("detail").get<std::string>().find("IMPORTED from"), std::string::npos);
  }
  // The link of each GPU is not stated by any of these outputs: unknown, not invented.
  const auto& topo = r.at("topology");
  for (const auto& g : topo.at("gpus")) {
    const auto& link = topo.at("pci").at(g.at("node").get<int>()).at("link");
    EXPECT_EQ(link.at("max").at("gen"), 0);
    EXPECT_EQ(g.at("host_path").at("gbps"), 0);
  }
  EXPECT_EQ(topo.at("pairs")[0].at("pcie"), "PIX");  // stated by topo -m
  EXPECT_EQ(r.at("collectives").size(), 1u);
  EXPECT_EQ(r.at("collectives")[0].at("mode"), "imported");
}

TEST(ImportReport, LinksUnknownAreSaidWithWhatTheInputsCannotShow) {
  // The -g 8 A100-SXM4 run of the thanos paste with the rank lines of devices 4-7 taken out
  // (four SXM GPUs of no known NVLink layout): the report lists why their busbw is not judged.
  std::string text = fixture_text("nccl-tests-2022-8xa100-sxm4-two-runs.txt");
  text = text.substr(0, text.find("mpirun --oversubscribe"));
  for (const char* rank : {"4 [0x84]", "5 [0x8a]", "6 [0xc0]", "7 [0xc3]"}) {
    const std::string line = std::string("#  Rank  ") + rank[0] + " Group  0 Pid  54740 on     thanos device  " + rank + " NVIDIA A100-SXM4-80GB\n";
    const size_t at = text.find(line);
    ASSERT_NE(at, std::string::npos) << line;
    text.erase(at, line.size());
  }
  const std::string path = testing::TempDir() + "/four-sxm.txt";
  std::ofstream(path) << text;
  app::ImportConfig c;
  c.files = {path};
  c.command_line = {"rigcheck", "import"};
  std::istringstream none;
  const auto r = app::run_import(c, none).report;
  report::check_report(r, "imported");
  const std::string line = "links unknown: busbw not judged (4x A100 SXM4 80GB: SXM parts are linked by NVLink, but no input shows how (only 8-GPU "
                           "boards of NVLink 3 and later are all on NVSwitch))";
  const auto& cannot = r.at("imported").at("cannot_show");
  EXPECT_NE(std::find(cannot.begin(), cannot.end(), line), cannot.end()) << cannot.dump();
  std::ostringstream out;
  report::render_report_text(r, out);
  EXPECT_NE(out.str().find(line), std::string::npos);
}

TEST(ImportReport, EveryRenderingSaysImported) {
  const auto r = report_of({"nvbandwidth-v0.2-8xh800.txt", "nccl-tests-2022-8xa100-sxm4-two-runs.txt"});
  std::ostringstream text, md;
  report::render_report_text(r, text);
  report::render_report_markdown(r, md);
  EXPECT_EQ(text.str().rfind("IMPORTED:", 0), 0u);
  EXPECT_NE(md.str().find("> **IMPORTED**"), std::string::npos);
  // Every measurement line of the text view and every table of the Markdown one is labelled.
  std::istringstream lines(text.str());
  int measured = 0;
  for (std::string l; std::getline(lines, l);)
    if (l.find(" cell(s)") != std::string::npos || l.find("busbw ") != std::string::npos) {
      ++measured;
      EXPECT_NE(l.find("IMPORTED "), std::string::npos) << l;
    }
  EXPECT_GT(measured, 5);
  size_t summaries = 0, labelled = 0;
  for (size_t at = md.str().find("<summary>"); at != std::string::npos; at = md.str().find("<summary>", at + 1)) {
    if (md.str().compare(at + 9, 15, "GPU path matrix") == 0) continue;  // path classes, not figures
    ++summaries;
    labelled += md.str().compare(at + 9, 9, "IMPORTED ") == 0;
  }
  EXPECT_EQ(summaries, labelled);
  EXPECT_NE(md.str().find("Collectives (IMPORTED from nccl-tests)"), std::string::npos);
}

TEST(ImportReport, CompareImportedWithImported) {
  const auto a = report_of({"nvbandwidth-v0.2-8x4090-cut.txt"});
  const auto b = report_of({"nvbandwidth-v0.2-8xh800.txt"});
  std::ostringstream out;
  report::render_compare({a, b}, {"4090", "h800"}, false, out);
  EXPECT_NE(out.str().find("4090 (IMPORTED) vs h800 (IMPORTED)"), std::string::npos) << out.str();
  EXPECT_NE(out.str().find("host_to_device_ce/gpu0:  25.50  55.28  (+117%)"), std::string::npos) << out.str();
}

TEST(ImportReport, ASecondRunKeepsItsOwnCellNames) {
  const auto r = report_of({"nvbandwidth-v0.8-a100-h2d-sm.txt", "nvbandwidth-v0.8-a100-h2d-sm.txt"});
  ASSERT_EQ(r.at("measurements").size(), 2u);
  EXPECT_EQ(r.at("measurements")[0].at("name"), "host_to_device_sm/gpu0");
  EXPECT_EQ(r.at("measurements")[1].at("name"), "host_to_device_sm/gpu0 #2");
}

TEST(ImportReport, UnknownFileIsAnInputError) {
  app::ImportConfig c;
  const std::string prose = testing::TempDir() + "/rigcheck-import-prose.txt";
  std::ofstream(prose) << "My two GPUs are slow. Any idea?\n";
  c.files = {prose};
  std::istringstream none;
  EXPECT_THROW(app::run_import(c, none), topology::InputError);
  c.files = {"/nonexistent/file.txt"};
  EXPECT_THROW(app::run_import(c, none), topology::InputError);
}

TEST(ImportReport, StdinIsAnInput) {
  app::ImportConfig c;
  c.files = {"-"};
  std::istringstream in(fixture_text("nvbandwidth-v0.8-a100-h2d-sm.txt"));
  const auto r = app::run_import(c, in).report;
  EXPECT_EQ(r.at("inputs")[0].at("name"), "-");
  EXPECT_EQ(r.at("measurements").size(), 1u);
}

}  // namespace
}  // namespace rigcheck::import_test
