#pragma once
// Google Benchmark as the harness: every planned cell is registered as a benchmark with manual
// (measured) time, so its flags work (`--benchmark_filter=device_to_device`, `--benchmark_repetitions=3`),
// and a reporter collects the runs back into rigcheck's result model.

#include <string>
#include <vector>

#include "rigcheck/bench/runner.h"

namespace rigcheck::bench {

// `benchmark_args` are `--benchmark_*` flags passed through from the command line. Throws
// std::invalid_argument for flags Google Benchmark does not know. Cells that the filter leaves
// out are not in the result; repetitions add their samples to the same cell.
BenchRun run_with_google_benchmark(Backend& backend, const topology::Topology& t,
                                   const std::vector<const TestSpec*>& tests, const RunOptions& options,
                                   const std::vector<std::string>& benchmark_args);

}  // namespace rigcheck::bench
