// CPU-side cost of topology discovery: loading and classifying the DGX-2 fixture (16 GPUs,
// 60 bridges, 120 pairs). Target (docs/architecture.md, "Performance targets"): well under a second.
//   build/bench/micro/rigcheck_micro --benchmark_filter=Dgx2

#include <benchmark/benchmark.h>

#include <nlohmann/json.hpp>

#include "rigcheck/topology/discover.h"
#include "rigcheck/topology/json.h"
#include "rigcheck/topology/paths.h"

namespace {

const char* dgx2() { return RIGCHECK_FIXTURES "/hwloc/nvidiaDGX2.xml"; }

void BM_Dgx2DiscoverFromXml(benchmark::State& state) {
  rigcheck::topology::DiscoveryOptions o;
  o.xml = dgx2();
  for (auto _ : state) {
    auto t = rigcheck::topology::discover(o);
    benchmark::DoNotOptimize(t.pairs.data());
  }
}
BENCHMARK(BM_Dgx2DiscoverFromXml)->Unit(benchmark::kMillisecond);

void BM_Dgx2ClassifyPairs(benchmark::State& state) {
  rigcheck::topology::DiscoveryOptions o;
  o.xml = dgx2();
  auto t = rigcheck::topology::discover(o);
  for (auto _ : state) {
    rigcheck::topology::compute_paths(t);
    benchmark::DoNotOptimize(t.pairs.data());
  }
  state.counters["pairs"] = static_cast<double>(t.pairs.size());
}
BENCHMARK(BM_Dgx2ClassifyPairs)->Unit(benchmark::kMicrosecond);

void BM_Dgx2JsonRoundTrip(benchmark::State& state) {
  rigcheck::topology::DiscoveryOptions o;
  o.xml = dgx2();
  auto t = rigcheck::topology::discover(o);
  for (auto _ : state) {
    auto back = rigcheck::topology::parse_topology_json(rigcheck::topology::to_json(t).dump());
    benchmark::DoNotOptimize(back.gpus.data());
  }
}
BENCHMARK(BM_Dgx2JsonRoundTrip)->Unit(benchmark::kMillisecond);

}  // namespace
