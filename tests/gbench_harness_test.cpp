// Google Benchmark as the harness: filter and repetitions flags reach rigcheck's cells, and the
// reporter brings the runs back into the result model.

#include <gtest/gtest.h>

#include <set>

#include "rigcheck/bench/gbench_harness.h"
#include "rigcheck/bench/sim_backend.h"
#include "topology_builder.h"

using namespace rigcheck::bench;
using namespace rigcheck::fabric;

namespace {

rigcheck::topology::Topology rig() {
  rigcheck::testing::TopologyBuilder b;
  int hb = b.host_bridge();
  for (int i = 0; i < 3; ++i) b.gpu(b.root_port(hb), 0x20b2, 4, 16);
  return b.build();
}

RunOptions fast() {
  RunOptions o;
  o.plan.bytes = 1 << 20;
  return o;
}

}  // namespace

TEST(GoogleBenchmarkHarness, RunsEveryCellWithoutAFilter) {
  auto t = rig();
  SimBackend sim(t, default_fabric_constants());
  BenchRun run = run_with_google_benchmark(sim, t, {find_test("host_to_device_ce"), find_test("device_to_device_read_ce")},
                                           fast(), {"--benchmark_filter=.", "--benchmark_repetitions=1"});
  EXPECT_TRUE(run.simulated);
  ASSERT_EQ(run.cells.size(), 3u + 6u);
  for (const auto& c : run.cells) {
    EXPECT_EQ(c.status, CellStatus::ok) << c.plan.name();
    EXPECT_GT(c.value(), 0);
  }
}

TEST(GoogleBenchmarkHarness, FilterSelectsCellsAndRepetitionsAddSamples) {
  auto t = rig();
  SimBackend sim(t, default_fabric_constants());
  BenchRun one = run_with_google_benchmark(sim, t, {find_test("host_to_device_ce")}, fast(),
                                           {"--benchmark_filter=host_to_device_ce/gpu2/", "--benchmark_repetitions=1"});
  ASSERT_EQ(one.cells.size(), 1u);
  EXPECT_EQ(one.cells[0].plan.col, 2);
  const size_t samples_once = one.cells[0].sampling.samples.size();
  BenchRun three = run_with_google_benchmark(sim, t, {find_test("host_to_device_ce")}, fast(),
                                             {"--benchmark_filter=host_to_device_ce/gpu2/", "--benchmark_repetitions=3"});
  ASSERT_EQ(three.cells.size(), 1u);
  EXPECT_EQ(three.cells[0].sampling.samples.size(), 3 * samples_once);
  EXPECT_EQ(three.cells[0].sampling.stats.count, 3 * samples_once);
}

TEST(GoogleBenchmarkHarness, UnknownFlagIsRejected) {
  auto t = rig();
  SimBackend sim(t, default_fabric_constants());
  EXPECT_THROW(run_with_google_benchmark(sim, t, {find_test("host_to_device_ce")}, fast(), {"--bogus"}),
               std::invalid_argument);
}

TEST(GoogleBenchmarkHarness, MoreCellsThanOneBatchAreEachRunAndReportedOnce) {
  // 17 GPUs: 272 pair cells, more than one registration batch of the harness (256), with a
  // filter that keeps cells on both sides of the batch boundary.
  rigcheck::testing::TopologyBuilder b;
  int hb = b.host_bridge();
  for (int i = 0; i < 17; ++i) b.gpu(b.root_port(hb), 0x20b2, 4, 16);
  auto t = b.build();
  SimBackend sim(t, default_fabric_constants());
  RunOptions o = fast();
  o.sampler.time_cap_s = 0.01;
  BenchRun all = run_with_google_benchmark(sim, t, {find_test("device_to_device_write_ce")}, o, {});
  ASSERT_EQ(all.cells.size(), 17u * 16u);
  std::set<std::string> names;
  for (const auto& c : all.cells) EXPECT_TRUE(names.insert(c.plan.name()).second) << c.plan.name();
  BenchRun some = run_with_google_benchmark(sim, t, {find_test("device_to_device_write_ce")}, o,
                                            {"--benchmark_filter=/gpu(0|16)-gpu"});
  EXPECT_EQ(some.cells.size(), 2u * 16u);
}
