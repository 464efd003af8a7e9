#pragma once
// The measurement method on top of a Backend: warm-up (which also wakes both GPUs
// of a pair, so an idle destination link is back at full speed), adaptive sampling, verification
// after every sample, hangs and errors recorded as results.

#include <functional>
#include <set>
#include <string>

#include "rigcheck/bench/backend.h"
#include "rigcheck/bench/catalogue.h"
#include "rigcheck/bench/results.h"
#include "rigcheck/bench/sampler.h"

namespace rigcheck::bench {

struct RunOptions {
  PlanOptions plan;
  int repetitions = 8;          // copies per timed sample, back to back
  SamplerConfig sampler;
  double timeout_s = 10;        // per sample, plus the time its bytes take at a fraction of the path's rate
  std::set<std::string> only_cells;  // measure only these cells (CellPlan::name); empty: all
  // Called before each cell is measured: its position among the cells to measure, and its name.
  std::function<void(int index, int count, const std::string& cell)> on_cell;
};

// A sample whose copies have not finished after this long is a hang: `timeout_s` for what is not
// the copy (launch, verification), plus the bytes moved at kTimeoutLinkFraction of the slowest
// link the cell's path crosses, so a large buffer over a slow (or downtrained) link is still
// measured, and a small one that hangs is found quickly.
inline constexpr double kTimeoutLinkFraction = 0.02;
double sample_timeout_s(const CellPlan& cell, const RunOptions& options);

// How long a worker measuring every cell of `spec` on `t` may legitimately take: per cell, its
// sampling time cap plus one sample timeout (for the warm-up and the sample under way, each far
// shorter than that) with the most bytes a cell of the test moves at once over the slowest host
// path. A timeout per test
// that ignored the cell count would call a healthy ten-GPU rig hung.
double test_budget_s(const TestSpec& spec, const topology::Topology& t, const RunOptions& options);

// Measures one planned cell.
CellResult measure_cell(Backend& backend, const CellPlan& cell, const RunOptions& options);

// Plans and measures every cell of the given tests.
BenchRun run_tests(Backend& backend, const topology::Topology& t, const std::vector<const TestSpec*>& tests,
                   const RunOptions& options);

}  // namespace rigcheck::bench
