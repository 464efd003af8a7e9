#pragma once
// The measurement method (DESIGN.md §5) on top of a Backend: warm-up (which also wakes both GPUs
// of a pair, so an idle destination link is back at full speed), adaptive sampling, verification
// after every sample, hangs and errors recorded as results.

#include "rigcheck/bench/backend.h"
#include "rigcheck/bench/catalogue.h"
#include "rigcheck/bench/results.h"
#include "rigcheck/bench/sampler.h"

namespace rigcheck::bench {

struct RunOptions {
  PlanOptions plan;
  int repetitions = 8;          // copies per timed sample, back to back
  SamplerConfig sampler;
  double timeout_s = 30;        // per sample
};

// Measures one planned cell.
CellResult measure_cell(Backend& backend, const CellPlan& cell, const RunOptions& options);

// Plans and measures every cell of the given tests.
BenchRun run_tests(Backend& backend, const topology::Topology& t, const std::vector<const TestSpec*>& tests,
                   const RunOptions& options);

}  // namespace rigcheck::bench
