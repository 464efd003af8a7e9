// The measurement method on a scripted backend (exact timings, injected faults) and the whole
// catalogue on the simulated fabric.

#include <gtest/gtest.h>

#include <functional>
#include <set>

#include "rigcheck/bench/catalogue.h"
#include "rigcheck/bench/runner.h"
#include "rigcheck/bench/sim_backend.h"
#include "topology_builder.h"

using namespace rigcheck::bench;
using namespace rigcheck::fabric;
using rigcheck::testing::TopologyBuilder;

namespace {

// A backend whose every run_copies answer comes from a script.
class ScriptedBackend : public Backend {
 public:
  std::function<CopyOutcome(const std::vector<Transfer>&, int)> copies;
  std::function<LatencyOutcome()> latency = [] { return LatencyOutcome{500.0, false, {}, {}, {}}; };
  PeerPath path = PeerPath::direct;
  int calls = 0;

  bool simulated() const override { return false; }
  std::string description() const override { return "scripted"; }
  int device_count() const override { return 2; }
  PeerPath peer_path(int, int, Engine) const override { return path; }
  CopyOutcome run_copies(const std::vector<Transfer>& t, int reps, double) override {
    ++calls;
    return copies(t, reps);
  }
  LatencyOutcome run_latency(int, const Endpoint&, double) override { return latency(); }
};

rigcheck::topology::Topology two_gpus() {
  TopologyBuilder b;
  int hb = b.host_bridge();
  b.gpu(b.root_port(hb), 0x20b2, 4, 16);
  b.gpu(b.root_port(hb), 0x20b2, 4, 16);
  return b.build();
}

RunOptions fast() {
  RunOptions o;
  o.plan.bytes = 1 << 20;
  o.repetitions = 4;
  o.sampler.max_samples = 20;
  return o;
}

CellPlan first_cell(const char* test, const rigcheck::topology::Topology& t, const Backend& b) {
  return plan_cells(*find_test(test), t, b, fast().plan).front();
}

}  // namespace

TEST(Catalogue, NamesAreUniqueAndFindable) {
  std::set<std::string> names;
  for (const auto& t : catalogue()) {
    EXPECT_TRUE(names.insert(t.name).second) << t.name;
    EXPECT_EQ(find_test(t.name), &t);
    EXPECT_FALSE(t.description.empty());
  }
  EXPECT_GE(catalogue().size(), 20u);
  EXPECT_EQ(find_test("nope"), nullptr);
}

TEST(Catalogue, CellsSayWhoCopiesWhatAndHowMuch) {
  auto t = two_gpus();
  ScriptedBackend b;
  auto read = plan_cells(*find_test("device_to_device_read_ce"), t, b, fast().plan);
  ASSERT_EQ(read.size(), 2u);  // 0->1 and 1->0
  EXPECT_EQ(read[0].name(), "device_to_device_read_ce/gpu0-gpu1");
  EXPECT_EQ(read[0].initiator, Initiator::dst);  // a read: the destination pulls
  EXPECT_EQ(first_cell("device_to_device_write_ce", t, b).initiator, Initiator::src);
  CellPlan bidir = first_cell("host_to_device_bidir_ce", t, b);
  ASSERT_EQ(bidir.transfers.size(), 2u);
  EXPECT_FALSE(bidir.transfers[1].measured);
  EXPECT_EQ(bidir.transfers[1].bytes, 2 * bidir.transfers[0].bytes);  // interference outlasts the measured copy
  EXPECT_EQ(bidir.direction, "bi");
  CellPlan all = first_cell("all_to_host_ce", t, b);
  EXPECT_EQ(all.concurrency, 2);
  CellPlan split = first_cell("host_device_bidir_sm", t, b);
  EXPECT_TRUE(split.transfers[0].split_bidirectional);
  EXPECT_EQ(split.bytes_counted, split.transfers[0].bytes) << "one direction, as nvbandwidth";
  EXPECT_EQ(split.total_bytes, 2 * split.transfers[0].bytes) << "both directions, beside it";
  PlanOptions only1 = fast().plan;
  only1.gpus = {1};
  auto one = plan_cells(*find_test("host_to_device_ce"), t, b, only1);
  ASSERT_EQ(one.size(), 1u);
  EXPECT_EQ(one[0].col, 1);
}

TEST(Runner, BandwidthFromTimingsWithFirstAggregation) {
  auto t = two_gpus();
  ScriptedBackend b;
  // 4 repetitions of 1 MiB in 1 ms -> 4.194304 GB/s; the interference copy's time is ignored.
  b.copies = [](const std::vector<Transfer>& ts, int reps) {
    CopyOutcome o;
    for (size_t i = 0; i < ts.size(); ++i) o.timings.push_back({reps == 4 ? 0.001 : 0.0005, std::nullopt});
    if (ts.size() > 1) o.timings[1].seconds = 0.5;
    return o;
  };
  CellResult r = measure_cell(b, first_cell("host_to_device_bidir_ce", t, b), fast());
  EXPECT_EQ(r.status, CellStatus::ok);
  EXPECT_EQ(r.unit, "GB/s");
  EXPECT_NEAR(r.value(), 4.0 * (1 << 20) / 0.001 / 1e9, 1e-9);
  EXPECT_EQ(r.sampling.stop, StopReason::converged);
  EXPECT_EQ(b.calls, 1 + 5);  // one warm-up, then min_samples
}

TEST(Runner, BidirectionalCellsReportOneDirectionAndTheTotalBeside) {
  auto t = two_gpus();
  ScriptedBackend b;
  b.copies = [](const std::vector<Transfer>&, int) {
    return CopyOutcome::timed({0.001, 0.002});
  };
  CellResult r = measure_cell(b, first_cell("device_to_device_bidir_ce", t, b), fast());
  // Row -> column: 1 MiB x 4 repetitions in 1 ms, while column -> row ran (nvbandwidth's figure).
  EXPECT_NEAR(r.value(), 4.0 * (1 << 20) / 0.001 / 1e9, 1e-9);
  // Beside it, 2 directions x 1 MiB x 4 repetitions over the 2 ms to the last end.
  EXPECT_NEAR(r.total_gbps, 2.0 * 4 * (1 << 20) / 0.002 / 1e9, 1e-9);
  EXPECT_EQ(measure_cell(b, first_cell("device_to_device_write_ce", t, b), fast()).total_gbps, 0);
}

TEST(Runner, CorruptDataIsAResultWithTheFirstBadOffset) {
  auto t = two_gpus();
  ScriptedBackend b;
  int n = 0;
  b.copies = [&](const std::vector<Transfer>&, int) {
    CopyOutcome o = CopyOutcome::timed({0.001});
    if (++n == 3) o.timings[0].first_bad_offset = 4096;  // warm-up, one good sample, then bad
    return o;
  };
  CellResult r = measure_cell(b, first_cell("device_to_device_write_ce", t, b), fast());
  EXPECT_EQ(r.status, CellStatus::corrupt);
  EXPECT_NE(r.detail.find("offset 4096"), std::string::npos) << r.detail;
  EXPECT_NE(r.detail.find("GPU0 -> GPU1"), std::string::npos) << r.detail;
  EXPECT_EQ(r.sampling.samples.size(), 1u);
}

TEST(Runner, HangAndErrorAreRecordedNotThrown) {
  auto t = two_gpus();
  ScriptedBackend hangs;
  hangs.copies = [](const std::vector<Transfer>&, int) { return CopyOutcome::hung(); };
  CellResult h = measure_cell(hangs, first_cell("host_to_device_ce", t, hangs), fast());
  EXPECT_EQ(h.status, CellStatus::hang);
  EXPECT_NE(h.detail.find("warm-up"), std::string::npos);

  ScriptedBackend fails;
  int n = 0;
  fails.copies = [&](const std::vector<Transfer>&, int) {
    if (++n < 3) return CopyOutcome::timed({0.001});
    return CopyOutcome::failure("cudaMemcpyAsync: cudaErrorLaunchFailure");
  };
  CellResult e = measure_cell(fails, first_cell("host_to_device_ce", t, fails), fast());
  EXPECT_EQ(e.status, CellStatus::error);
  EXPECT_EQ(e.detail, "cudaMemcpyAsync: cudaErrorLaunchFailure");
}

TEST(Runner, UnsupportedPathIsNotMeasured) {
  auto t = two_gpus();
  ScriptedBackend b;
  b.path = PeerPath::unsupported;
  b.copies = [](const std::vector<Transfer>&, int) -> CopyOutcome { throw std::logic_error("must not run"); };
  CellResult r = measure_cell(b, first_cell("device_to_device_read_sm", t, b), fast());
  EXPECT_EQ(r.status, CellStatus::unsupported);
  EXPECT_EQ(b.calls, 0);
}

TEST(Runner, LatencyInNanoseconds) {
  auto t = two_gpus();
  ScriptedBackend b;
  CellResult r = measure_cell(b, first_cell("device_to_device_latency_sm", t, b), fast());
  EXPECT_EQ(r.unit, "ns");
  EXPECT_DOUBLE_EQ(r.value(), 500.0);
}

TEST(Runner, WholeCatalogueOnASimulatedRig) {
  // 2 GeForce cards without P2P + 2 datacenter cards with it, one socket.
  TopologyBuilder bld;
  int hb = bld.host_bridge();
  int up = bld.switch_up(bld.root_port(hb), 4, 16);
  bld.gpu(bld.switch_down(up), 0x2204, 4, 16);
  bld.gpu(bld.switch_down(up), 0x2204, 4, 16);
  bld.gpu(bld.root_port(hb), 0x20b2, 4, 16);
  bld.gpu(bld.root_port(hb), 0x20b2, 4, 16);
  auto t = bld.build();
  SimBackend sim(t, default_fabric_constants(), 3);
  std::vector<const TestSpec*> all;
  for (const auto& s : catalogue()) all.push_back(&s);
  BenchRun run = run_tests(sim, t, all, fast());
  EXPECT_TRUE(run.simulated);
  int staged = 0, unsupported = 0;
  for (const auto& c : run.cells) {
    if (c.plan.path == PeerPath::host_staged) ++staged;
    if (c.status == CellStatus::unsupported) {
      ++unsupported;
      continue;
    }
    EXPECT_EQ(c.status, CellStatus::ok) << c.plan.name() << ": " << c.detail;
    EXPECT_GT(c.value(), 0) << c.plan.name();
    EXPECT_LE(c.sampling.robust_spread, 0.05) << c.plan.name();
  }
  EXPECT_GT(staged, 0);       // GeForce pairs in CE tests
  EXPECT_GT(unsupported, 0);  // GeForce pairs in SM tests
}

TEST(Runner, NvmlObservationsAndHostNodeReachTheResult) {
  auto t = two_gpus();
  ScriptedBackend b;
  b.copies = [](const std::vector<Transfer>&, int) {
    CopyOutcome o = CopyOutcome::timed({0.001});
    o.observations = {LinkObservation{0, {4, 8}, {4, 16}, 1500, 1700, 0x4, 1u, 2}};
    o.host_numa_node = 1;
    return o;
  };
  CellResult r = measure_cell(b, first_cell("host_to_device_ce", t, b), fast());
  ASSERT_EQ(r.observations.size(), 1u);
  EXPECT_EQ(r.observations[0].min_link, (rigcheck::topology::LinkState{4, 8}));
  EXPECT_EQ(r.observations[0].samples, 2 * 5);        // five samples, two NVML reads each
  EXPECT_EQ(r.observations[0].replay_delta, 5u);       // one replay per sample
  EXPECT_EQ(r.host_numa_node, 1);
}
