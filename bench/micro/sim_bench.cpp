// The whole measurement catalogue on a simulated 10-GPU rig (10 RTX 3090 behind two PCIe
// switches on one CPU, like seed rig 6), and its growth from 8 to 64 GPUs. Target
// (docs/architecture.md, "Performance targets"): under 2 seconds for 10 GPUs, linear in cells.
//   build/bench/micro/rigcheck_micro --benchmark_filter=Sim

#include <benchmark/benchmark.h>

#include "rigcheck/bench/runner.h"
#include "rigcheck/bench/sim_backend.h"
#include "topology_builder.h"

namespace {

rigcheck::topology::Topology ten_gpu_rig() {
  rigcheck::testing::TopologyBuilder b(2);
  int hb = b.host_bridge(0);
  for (int sw = 0; sw < 2; ++sw) {
    int up = b.switch_up(b.root_port(hb), 3, 16);
    for (int g = 0; g < 5; ++g) b.gpu(b.switch_down(up), 0x2204, 3, 16);
  }
  return b.build();
}

void BM_SimFullCatalogue10Gpus(benchmark::State& state) {
  const auto t = ten_gpu_rig();
  std::vector<const rigcheck::bench::TestSpec*> all;
  for (const auto& s : rigcheck::bench::catalogue()) all.push_back(&s);
  size_t cells = 0;
  for (auto _ : state) {
    rigcheck::bench::SimBackend sim(t, rigcheck::fabric::default_fabric_constants(), 1);
    auto run = rigcheck::bench::run_tests(sim, t, all, rigcheck::bench::RunOptions{});
    cells = run.cells.size();
    benchmark::DoNotOptimize(run.cells.data());
  }
  state.counters["cells"] = static_cast<double>(cells);
}
BENCHMARK(BM_SimFullCatalogue10Gpus)->Unit(benchmark::kMillisecond);

// N GPUs, eight behind each switch on one CPU: how the simulated catalogue grows with the rig.
// Pair tests have N(N-1) cells, so the cost per cell is what must stay flat (counter cells_per_s);
// `rigcheck bench all --simulate` on 64 GPUs (about 36,000 cells) should take seconds, not minutes.
rigcheck::topology::Topology switched_rig(int gpus) {
  rigcheck::testing::TopologyBuilder b(1);
  int hb = b.host_bridge(0);
  for (int placed = 0; placed < gpus;) {
    int up = b.switch_up(b.root_port(hb), 3, 16);
    for (int g = 0; g < 8 && placed < gpus; ++g, ++placed) b.gpu(b.switch_down(up), 0x2204, 3, 16);
  }
  return b.build();
}

void BM_SimFullCatalogueGrowth(benchmark::State& state) {
  const auto t = switched_rig(static_cast<int>(state.range(0)));
  std::vector<const rigcheck::bench::TestSpec*> all;
  for (const auto& s : rigcheck::bench::catalogue()) all.push_back(&s);
  size_t cells = 0;
  for (auto _ : state) {
    rigcheck::bench::SimBackend sim(t, rigcheck::fabric::default_fabric_constants(), 1);
    auto run = rigcheck::bench::run_tests(sim, t, all, rigcheck::bench::RunOptions{});
    cells = run.cells.size();
    benchmark::DoNotOptimize(run.cells.data());
  }
  state.counters["cells"] = static_cast<double>(cells);
  state.counters["cells_per_s"] = benchmark::Counter(static_cast<double>(cells), benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_SimFullCatalogueGrowth)->Arg(8)->Arg(16)->Arg(32)->Arg(64)->Unit(benchmark::kMillisecond)->Iterations(1);

}  // namespace
