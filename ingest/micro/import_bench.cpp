// Import of a pathological paste (issue 11): "a 100 MB paste is read in seconds with bounded
// memory". The 7-GPU nvbandwidth fixture repeated to 100 MB; counters give the throughput and
// the process's peak resident set after it (getrusage), which must not grow with the paste
// beyond the text itself and a view per line (the figures stop at ingest::kMaxCells).
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

double peak_rss_mib() {
  struct rusage ru {};
  return getrusage(RUSAGE_SELF, &ru) == 0 ? static_cast<double>(ru.ru_maxrss) / 1024.0 : 0;
}

void BM_Import100MBPaste(benchmark::State& state) {
  // One copy of the paste, as `rigcheck import` holds it (the NamedText it reads into).
  const rigcheck::ingest::NamedText input{"paste", paste_of(100u << 20), ""};
  const double before = peak_rss_mib();
  size_t cells = 0;
  for (auto _ : state) {
    rigcheck::ingest::PartialMachine m;
    rigcheck::ingest::import_text(input, m);
    cells = m.cells.size();
    benchmark::DoNotOptimize(m.cells.data());
  }
  const double paste = static_cast<double>(input.text.size()) / (1 << 20);
  const double peak = peak_rss_mib();
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(input.text.size()));
  state.counters["cells"] = static_cast<double>(cells);
  state.counters["paste_MiB"] = paste;
  state.counters["peak_rss_MiB"] = peak;
  // What the import itself adds on top of the paste, in pastes: the bound the requirement is about.
  state.counters["import_over_paste"] = peak > before ? (peak - before) / paste : 0;
  state.counters["peak_over_paste"] = peak / paste;
}
BENCHMARK(BM_Import100MBPaste)->Unit(benchmark::kSecond)->Iterations(1);

}  // namespace
