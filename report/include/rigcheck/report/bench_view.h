#pragma once
// Measurement results for people and programs: terminal tables (a matrix for GPU-pair tests, a row
// for per-GPU tests, each with % of expected) and JSON (rigcheck.bench/1 with the expectation,
// ratio and verdict of every cell). A SIMULATED banner / "mode" says when the numbers come from
// the model.

#include <nlohmann/json.hpp>
#include <ostream>
#include <vector>

#include "rigcheck/bench/results.h"
#include "rigcheck/diagnosis/expected.h"

namespace rigcheck::report {

void render_bench(const bench::BenchRun& run, const std::vector<diagnosis::Judgement>& judgements, int gpu_count, std::ostream& out);

nlohmann::json bench_json(const bench::BenchRun& run, const std::vector<diagnosis::Judgement>& judgements);

}  // namespace rigcheck::report
