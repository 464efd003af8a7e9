#pragma once
// `rigcheck bench`: run measurements from the catalogue, on the GPUs or on a simulated rig.

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

namespace rigcheck::cli {

struct BenchArgs {
  std::vector<std::string> tests{"all"};
  std::vector<int> gpus;
  std::string size = "256MiB";
  std::string simulate;
  std::string variant;
  uint64_t seed = 1;
  int repetitions = 8;
  double time_cap_s = 2.0;
  double timeout_s = 30.0;
  bool json = false;
  std::string output;
  bool list = false;
  std::string procs = "single";
  std::string sizes = "8B:1GiB";
  bool no_control = false;
};

CLI::App* add_bench_command(CLI::App& app, BenchArgs& args);
int run_bench(const BenchArgs& args, const std::vector<std::string>& benchmark_args);

}  // namespace rigcheck::cli
