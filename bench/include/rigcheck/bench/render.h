#pragma once
// Terminal tables of measurement results: a matrix for GPU-pair tests, a row for per-GPU tests,
// with units, the statistic shown, and a SIMULATED banner when the numbers come from the model.

#include <ostream>

#include "rigcheck/bench/results.h"

namespace rigcheck::bench {

void render_bench(const BenchRun& run, int gpu_count, std::ostream& out);

}  // namespace rigcheck::bench
