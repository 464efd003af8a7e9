#pragma once
// `rigcheck bench` as a job: catalogue tests on the GPUs (CudaBackend) or on a simulated rig
// (SimBackend), judged and diagnosed, or a sweep of NCCL collectives with its control arm. The
// command line is parsed by the cli; the job measures and prints.

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "rigcheck/bench/catalogue.h"
#include "rigcheck/bench/collective_runner.h"

namespace rigcheck::app {

// Where the machine comes from: a topology JSON or rig file to simulate, or (empty) this machine.
struct MachineChoice {
  std::string simulate;
  std::string variant;
};

struct BenchJob {
  MachineChoice machine;
  std::vector<const bench::TestSpec*> tests;
  std::vector<int> gpus;           // empty: all
  uint64_t bytes = 256ull << 20;
  uint64_t seed = 1;               // noise seed of the simulation
  int repetitions = 8;
  double time_cap_s = 2.0;
  double timeout_s = 30.0;
  bool json = false;               // rigcheck.bench/1 instead of text
  std::vector<std::string> benchmark_args;  // --benchmark_* flags for Google Benchmark
};

struct CollectiveJob {
  MachineChoice machine;
  std::vector<bench::Collective> ops;
  std::vector<uint64_t> sizes;
  std::vector<int> gpus;
  std::vector<bench::ProcessModel> process_models;
  bool control = true;             // the NCCL_P2P_DISABLE=1 arm
  double timeout_s = 30.0;
  bool json = false;
};

struct BenchOutcome {
  bool measured = false;  // false: nothing to measure here (no GPU, no CUDA); said on `console`
  bool failed = false;    // a cell or collective was corrupt, hung or failed
  bool wedged = false;    // a copy hung and still occupies a GPU: end the process without CUDA teardown
};

// Results go to `out`; "nothing to measure" explanations to `console`. Bad input (a --gpus index
// the machine lacks, a rig that does not load) throws topology::InputError.
BenchOutcome run_bench_job(const BenchJob& job, std::ostream& out, std::ostream& console);
BenchOutcome run_collective_job(const CollectiveJob& job, std::ostream& out, std::ostream& console);

}  // namespace rigcheck::app
