// Import of a pathological paste (issue 11): "a 100 MB paste is read in seconds with bounded
// memory". The 7-GPU nvbandwidth fixture repeated to 100 MB; counters give the throughput and
// the process's peak resident set after it (getrusage), which must not grow with the paste
// beyond the text itself (the figures stop at ingest::kMaxCells).
//   build/ingest/micro/rigcheck_import_micro

#include <benchmark/benchmark.h>
#include <sys/resource.h>

#include <fstream>
#include <sstream>
#include <string>

#include "rigcheck/ingest/importer.h"

namespace {

std::string paste_of(size_t bytes) {
  std::ifstream f(RIGCHECK_FIXTURES "/imports/nvbandwidth-v0.10-7gpu-three-matrix-bidir.txt");
  std::stringstream ss;
  ss << f.rdbuf();
  const std::string one = ss.str();
  std::string big;
  big.reserve(bytes + one.size());
  while (!one.empty() && big.size() < bytes) big += one;
  return big;
}

void BM_Import100MBPaste(benchmark::State& state) {
  const std::string text = paste_of(100u << 20);
  size_t cells = 0;
  for (auto _ : state) {
    rigcheck::ingest::PartialMachine m;
    rigcheck::ingest::import_text({"paste", text, ""}, m);
    cells = m.cells.size();
    benchmark::DoNotOptimize(m.cells.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(text.size()));
  state.counters["cells"] = static_cast<double>(cells);
  struct rusage ru {};
  if (getrusage(RUSAGE_SELF, &ru) == 0) state.counters["peak_rss_MiB"] = static_cast<double>(ru.ru_maxrss) / 1024.0;
  state.counters["paste_MiB"] = static_cast<double>(text.size()) / (1 << 20);
}
BENCHMARK(BM_Import100MBPaste)->Unit(benchmark::kSecond)->Iterations(1);

}  // namespace
