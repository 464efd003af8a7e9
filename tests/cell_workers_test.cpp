// Cells a hang left not-run get a fresh worker; every cell is reported once.

#include <gtest/gtest.h>
#include <unistd.h>

#include <map>

#include "rigcheck/bench/cell_workers.h"

namespace bench = rigcheck::bench;
using nlohmann::json;

namespace {

json cell(const std::string& name, const std::string& status) { return {{"name", name}, {"status", status}}; }

// A worker that plays the GPU: what it measures depends only on what it is asked for, since each
// call runs in a new process.
json worker(const std::set<std::string>& only) {
  // json::array(...) spelled out: `cells = {one_json}` is a copy of that one object with clang
  // (brace elision, CWG 2137) and an array of it with gcc.
  json cells = json::array();
  if (only.empty()) cells = json::array({cell("a", "ok"), cell("b", "not-run"), cell("c", "not-run")});
  else if (only == std::set<std::string>{"b", "c"}) cells = json::array({cell("b", "hang"), cell("c", "not-run")});
  else if (only == std::set<std::string>{"c"}) cells = json::array({cell("c", "ok")});
  return {{"backend", "pid " + std::to_string(::getpid())}, {"cells", cells}, {"findings", json::array({only.size()})}};
}

std::map<std::string, std::string> statuses(const json& cells) {
  std::map<std::string, std::string> out;
  for (const auto& c : cells) EXPECT_TRUE(out.emplace(c.at("name"), c.at("status")).second) << "twice: " << c.at("name");
  return out;
}

TEST(CellWorkers, NotRunCellsGetAFreshWorkerUntilEveryCellIsMeasured) {
  auto o = bench::measure_in_workers(worker, 30);
  ASSERT_EQ(o.kind, bench::IsolatedOutcome::Kind::ok) << o.detail;
  EXPECT_EQ(statuses(o.result.at("cells")), (std::map<std::string, std::string>{{"a", "ok"}, {"b", "hang"}, {"c", "ok"}}));
  EXPECT_EQ(o.result.at("findings"), json::array({0, 2, 1})) << "every worker's findings are kept";
}

TEST(CellWorkers, CellsStillPendingWhenTheWorkersRunOutStayNotRun) {
  auto o = bench::measure_in_workers(worker, 30, nullptr, 2);
  ASSERT_EQ(o.kind, bench::IsolatedOutcome::Kind::ok);
  EXPECT_EQ(statuses(o.result.at("cells")), (std::map<std::string, std::string>{{"a", "ok"}, {"b", "hang"}, {"c", "not-run"}}));
}

TEST(CellWorkers, ALaterWorkersFailureKeepsWhatTheFirstMeasured) {
  auto o = bench::measure_in_workers(
      [](const std::set<std::string>& only) -> json {
        if (!only.empty()) throw std::runtime_error("CUDA could not start");
        return worker(only);
      },
      30);
  ASSERT_EQ(o.kind, bench::IsolatedOutcome::Kind::ok);
  EXPECT_EQ(statuses(o.result.at("cells")), (std::map<std::string, std::string>{{"a", "ok"}, {"b", "not-run"}, {"c", "not-run"}}));
}

TEST(CellWorkers, TheFirstWorkersFailureIsTheOutcome) {
  auto o = bench::measure_in_workers([](const std::set<std::string>&) -> json { throw std::runtime_error("no GPU"); }, 30);
  EXPECT_EQ(o.kind, bench::IsolatedOutcome::Kind::error);
  EXPECT_EQ(o.detail, "no GPU");
}

}  // namespace
