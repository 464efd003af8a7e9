#pragma once
// Measurement results as JSON (schema "rigcheck.bench/1", schemas/bench.schema.json): every
// cell with its parameters, status, statistics and every sample.

#include <nlohmann/json.hpp>

#include "rigcheck/bench/results.h"

namespace rigcheck::bench {

inline constexpr const char* kBenchSchema = "rigcheck.bench/1";

nlohmann::json to_json(const BenchRun& run);

}  // namespace rigcheck::bench
