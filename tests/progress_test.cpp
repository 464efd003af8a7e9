// Progress of a run: a worker's report_progress lines reach the parent while it waits, and
// `rigcheck run` turns them into a live line (test, cell i/N, elapsed, time left).

#include <gtest/gtest.h>

#include <filesystem>
#include <regex>
#include <string>
#include <vector>

#include "rigcheck/app/run.h"
#include "rigcheck/bench/isolation.h"

namespace bench = rigcheck::bench;

TEST(Progress, WorkerLinesReachTheParentInOrder) {
  std::vector<std::string> lines;
  const auto o = bench::run_isolated(
      [] {
        bench::report_progress("1/3 first");
        bench::report_progress("2/3 second\nwith a newline");
        bench::report_progress("3/3 third");
        return nlohmann::json{{"done", true}};
      },
      10, nullptr, [&](const std::string& l) { lines.push_back(l); });
  ASSERT_EQ(o.kind, bench::IsolatedOutcome::Kind::ok) << o.detail;
  EXPECT_EQ(o.result.at("done"), true);
  EXPECT_EQ(lines, (std::vector<std::string>{"1/3 first", "2/3 second with a newline", "3/3 third"}));
}

TEST(Progress, NothingIsSentWithoutAListener) {
  bench::report_progress("outside any worker");  // no channel: nothing happens, nothing blocks
  const auto o = bench::run_isolated([] {
    bench::report_progress("nobody asked");
    return nlohmann::json{{"done", true}};
  }, 10);
  EXPECT_EQ(o.kind, bench::IsolatedOutcome::Kind::ok) << o.detail;
}

TEST(Progress, RunShowsTestCellElapsedAndTimeLeft) {
  const std::string out = (std::filesystem::temp_directory_path() / ("rigcheck-progress-" + std::to_string(::getpid()))).string();
  rigcheck::app::RunConfig c;
  c.simulate = std::string(RIGCHECK_RIGS) + "/asrock-x99-ws-e-2x3090-risers.json";
  c.out_dir = out;
  c.name = "progress";
  std::vector<std::string> live, steps;
  c.live = [&](const std::string& l) { live.push_back(l); };
  c.progress = [&](const std::string& l) { steps.push_back(l); };
  const auto o = rigcheck::app::execute_run(c);
  std::filesystem::remove_all(out);
  ASSERT_FALSE(live.empty());
  const std::regex shape(R"(\[(\d+)/(\d+)\] ([a-z_]+): cell (\d+)/(\d+), \d+ s elapsed(, about \d+ s left)?)");
  size_t with_estimate = 0;
  for (const auto& l : live) {
    std::smatch m;
    ASSERT_TRUE(std::regex_match(l, m, shape)) << l;
    EXPECT_LE(std::stoi(m[4]), std::stoi(m[5])) << l;
    EXPECT_EQ(std::stoi(m[2]), static_cast<int>(o.report.at("parameters").at("tests").size())) << l;
    with_estimate += m[6].matched;
  }
  // From the second cell of the second test on, every line can estimate what is left.
  EXPECT_GT(with_estimate, 0u);
  // The step lines are still there (a log or --quiet does without the live line).
  EXPECT_FALSE(steps.empty());
}
