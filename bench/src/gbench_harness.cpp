#include "rigcheck/bench/gbench_harness.h"

#include <benchmark/benchmark.h>

#include <algorithm>
#include <map>
#include <stdexcept>

namespace rigcheck::bench {
namespace {

struct Slot {
  CellPlan plan;
  CellResult result;
  bool measured = false;  // the benchmark body ran
  bool reported = false;  // Google Benchmark reported a run for it
};

// Receives Google Benchmark's runs and marks which cells it ran; prints nothing (rigcheck
// renders its own tables).
class CollectingReporter : public benchmark::BenchmarkReporter {
 public:
  explicit CollectingReporter(std::map<std::string, Slot*>& by_name) : by_name_(by_name) {}
  bool ReportContext(const Context&) override { return true; }
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& run : runs) {
      if (run.run_type != Run::RT_Iteration) continue;  // aggregates are recomputed from samples
      auto it = by_name_.find(run.run_name.function_name);
      if (it == by_name_.end()) continue;
      it->second->reported = true;
      if (run.error_occurred && it->second->result.detail.empty()) it->second->result.detail = run.error_message;
    }
  }

 private:
  std::map<std::string, Slot*>& by_name_;
};

// Adds a repetition's samples to what earlier repetitions measured.
void merge(CellResult& into, CellResult&& from, bool first) {
  if (first) {
    into = std::move(from);
    return;
  }
  auto& s = into.sampling.samples;
  s.insert(s.end(), from.sampling.samples.begin(), from.sampling.samples.end());
  if (from.status != CellStatus::ok) {
    into.status = from.status;
    into.detail = from.detail;
  }
  if (!s.empty()) {
    into.sampling.stats = summarize(s);
    into.sampling.outliers = outlier_indexes(s);
  }
}

std::vector<char*> make_argv(std::vector<std::string>& storage) {
  std::vector<char*> argv;
  for (auto& s : storage) argv.push_back(s.data());
  argv.push_back(nullptr);
  return argv;
}

}  // namespace

BenchRun run_with_google_benchmark(Backend& backend, const topology::Topology& t,
                                   const std::vector<const TestSpec*>& tests, const RunOptions& options,
                                   const std::vector<std::string>& benchmark_args) {
  std::vector<std::string> storage{"rigcheck bench"};
  storage.insert(storage.end(), benchmark_args.begin(), benchmark_args.end());
  std::vector<char*> argv = make_argv(storage);
  int argc = static_cast<int>(storage.size());
  benchmark::Initialize(&argc, argv.data());
  if (argc > 1) throw std::invalid_argument(std::string("unknown Google Benchmark flag ") + argv[1]);

  std::vector<Slot> slots;
  for (const TestSpec* spec : tests)
    for (CellPlan& cell : plan_cells(*spec, t, backend, options.plan)) slots.push_back({std::move(cell), {}, false, false});
  // Registered and run in batches: Google Benchmark's cost per run grows with the number of
  // registered benchmarks, so one registration of every cell of a 64-GPU machine (tens of
  // thousands) would make the whole run quadratic in cells; batches keep it linear.
  constexpr size_t kBatch = 256;
  for (size_t first = 0; first < slots.size(); first += kBatch) {
    std::map<std::string, Slot*> by_name;
    benchmark::ClearRegisteredBenchmarks();
    for (size_t i = first; i < std::min(slots.size(), first + kBatch); ++i) {
      Slot& slot = slots[i];
      by_name[slot.plan.name()] = &slot;
      benchmark::RegisterBenchmark(slot.plan.name().c_str(),
                                   [&backend, &options, &slot](benchmark::State& state) {
                                     for (auto _ : state) {
                                       CellResult r = measure_cell(backend, slot.plan, options);
                                       const bool first_run = !slot.measured;
                                       slot.measured = true;
                                       if (r.status != CellStatus::ok) state.SkipWithError(to_string(r.status));
                                       // Google Benchmark's time is one sample's worth of the median.
                                       double seconds = 1e-9;
                                       if (!r.sampling.samples.empty() && r.value() > 0)
                                         seconds = r.unit == "ns" ? r.value() * 1e-9
                                                                  : static_cast<double>(slot.plan.bytes_counted) *
                                                                        options.repetitions / (r.value() * 1e9);
                                       state.SetIterationTime(seconds);
                                       state.counters[r.unit] = r.value();
                                       merge(slot.result, std::move(r), first_run);
                                     }
                                   })
          ->UseManualTime()
          ->Iterations(1)
          ->Unit(benchmark::kMicrosecond);
    }
    CollectingReporter reporter(by_name);
    benchmark::RunSpecifiedBenchmarks(&reporter);
  }
  benchmark::ClearRegisteredBenchmarks();

  BenchRun run;
  run.simulated = backend.simulated();
  run.backend = backend.description();
  run.bytes = options.plan.bytes;
  run.repetitions = options.repetitions;
  for (Slot& slot : slots)
    if (slot.measured && slot.reported) run.cells.push_back(std::move(slot.result));
  return run;
}

}  // namespace rigcheck::bench
