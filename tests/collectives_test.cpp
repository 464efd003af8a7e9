// Collectives: nccl-tests' bus bandwidth factors, size sweeps, the NCCL INFO log parser on
// fixtures of every transport, the ring model against hand-computed bottlenecks, the control-arm
// verdicts, and the worker timeout path.

#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <fstream>
#include <sstream>
#include <thread>

#include "rigcheck/bench/collective_runner.h"
#include "rigcheck/bench/isolation.h"
#include "rigcheck/diagnosis/collective_rules.h"
#include "rigcheck/topology/pcie_link.h"
#include "topology_builder.h"

using namespace rigcheck::bench;
using namespace rigcheck::fabric;

namespace {

std::string fixture(const char* name) {
  std::ifstream in(std::string(RIGCHECK_FIXTURES) + "/nccl/" + name);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

TEST(Collectives, BusFactorsAsNcclTestsDefinesThem) {
  EXPECT_DOUBLE_EQ(bus_factor(Collective::all_reduce, 2), 1.0);
  EXPECT_DOUBLE_EQ(bus_factor(Collective::all_reduce, 4), 1.5);
  EXPECT_DOUBLE_EQ(bus_factor(Collective::all_reduce, 8), 1.75);
  EXPECT_DOUBLE_EQ(bus_factor(Collective::all_gather, 4), 0.75);
  EXPECT_DOUBLE_EQ(bus_factor(Collective::reduce_scatter, 8), 0.875);
  EXPECT_DOUBLE_EQ(bus_factor(Collective::all_to_all, 2), 0.5);
  EXPECT_DOUBLE_EQ(bus_factor(Collective::broadcast, 8), 1.0);
  EXPECT_DOUBLE_EQ(bus_factor(Collective::reduce, 8), 1.0);
  EXPECT_DOUBLE_EQ(bus_factor(Collective::send_recv, 8), 1.0);
  CollectiveResult r;
  r.op = Collective::all_reduce;
  r.bytes = 1'000'000'000;
  r.time_us = 100'000;  // 0.1 s
  compute_bandwidths(r, 4);
  EXPECT_DOUBLE_EQ(r.algbw_gbps, 10.0);
  EXPECT_DOUBLE_EQ(r.busbw_gbps, 15.0);
}

TEST(Collectives, NamesSizesAndRanges) {
  for (auto c : all_collectives()) EXPECT_EQ(collective_from_name(to_string(c)), c);
  EXPECT_FALSE(collective_from_name("all_reduce"));
  auto sweep = size_sweep(8, 1ull << 30);
  EXPECT_EQ(sweep.front(), 8u);
  EXPECT_EQ(sweep.back(), 1ull << 30);
  EXPECT_EQ(sweep.size(), 28u);  // 2^3 .. 2^30
  EXPECT_EQ(parse_size_range("8B:1GiB"), (std::pair<uint64_t, uint64_t>{8, 1ull << 30}));
  EXPECT_EQ(parse_size_range("1MiB"), (std::pair<uint64_t, uint64_t>{1 << 20, 1 << 20}));
  EXPECT_FALSE(parse_size_range("1GiB:8B"));
  EXPECT_FALSE(parse_size_range("lots"));
}

TEST(NcclLog, SingleProcessDirectPointers) {
  auto s = parse_nccl_info_log(fixture("single-process-p2p.log"));
  EXPECT_EQ(s.nccl_version, "2.28.9+cuda13.0");
  ASSERT_EQ(s.routes.size(), 8u);  // the ring listing lines are not routes
  EXPECT_EQ(s.count_by_transport.at("P2P"), 8);
  EXPECT_EQ(s.routes[3].from_rank, 3);
  EXPECT_EQ(s.routes[3].to_rank, 0);
  EXPECT_EQ(s.routes[3].detail, "P2P/direct pointer");
  EXPECT_EQ(s.routes[4].channel, 1);
  EXPECT_FALSE(s.nvls);
}

TEST(NcclLog, PerGpuProcessesUseCumemOrIpc) {
  auto s = parse_nccl_info_log(fixture("per-gpu-cumem.log"));
  ASSERT_EQ(s.routes.size(), 4u);
  EXPECT_EQ(s.routes[0].detail, "P2P/CUMEM/read");
  EXPECT_EQ(s.routes[3].detail, "P2P/IPC");
  EXPECT_EQ(s.count_by_transport.at("P2P"), 4);
}

TEST(NcclLog, ShmNetNvlsAndOldFormat) {
  auto shm = parse_nccl_info_log(fixture("shm-fallback.log"));
  EXPECT_EQ(shm.count_by_transport.at("SHM"), 4);
  EXPECT_EQ(shm.count_by_transport.count("P2P"), 0u);
  auto net = parse_nccl_info_log(fixture("net-socket.log"));
  EXPECT_EQ(net.count_by_transport.at("NET"), 3);
  EXPECT_EQ(net.routes[2].detail, "NET/IB/0/GDRDMA");
  auto nvls = parse_nccl_info_log(fixture("nvls.log"));
  EXPECT_TRUE(nvls.nvls);
  auto old = parse_nccl_info_log(fixture("old-format-busid.log"));
  ASSERT_EQ(old.routes.size(), 2u);
  EXPECT_EQ(old.routes[0].from_rank, 0);
  EXPECT_EQ(old.routes[0].to_rank, 1);
  EXPECT_EQ(old.routes[0].detail, "P2P/IPC");
  EXPECT_EQ(old.nccl_version, "2.10.3+cuda11.4");
  EXPECT_TRUE(parse_nccl_info_log("garbage\nNCCL INFO nothing here\n").routes.empty());
}

TEST(SimCollectives, OneGpuAtGen3x4BoundsTheRing) {
  rigcheck::testing::TopologyBuilder b;
  int hb = b.host_bridge();
  b.gpu(b.root_port(hb), 0x20b2, 4, 16);
  b.gpu(b.root_port(hb), 0x20b2, 3, 4);  // the slow one
  b.gpu(b.root_port(hb), 0x20b2, 4, 16);
  b.gpu(b.root_port(hb), 0x20b2, 4, 16);
  auto t = b.build();
  CollectiveOptions o;
  o.sizes = {1ull << 30};
  auto run = simulate_collectives(t, default_fabric_constants(), o);
  ASSERT_EQ(run.results.size(), 1u);
  // Each ring step sends through the x4 GPU's link once in each direction: its one-direction
  // rate (3.94 GB/s) times the SM-copy efficiency bounds busbw; latency is negligible at 1 GiB.
  const double ring = rigcheck::topology::pcie_gbps(3, 4) * default_fabric_constants().pcie_efficiency_sm;
  EXPECT_NEAR(run.results[0].busbw_gbps, ring, ring * 0.002);
  EXPECT_NEAR(run.results[0].algbw_gbps, ring / 1.5, ring * 0.002);
  EXPECT_EQ(run.transports.count_by_transport.at("P2P"), 4);
}

TEST(SimCollectives, GeforceRingGoesThroughHostMemoryAndSmallSizesAreLatencyBound) {
  rigcheck::testing::TopologyBuilder b;
  int hb = b.host_bridge();
  b.gpu(b.root_port(hb), 0x2204, 4, 16);
  b.gpu(b.root_port(hb), 0x2204, 4, 16);
  auto t = b.build();
  CollectiveOptions o;
  o.sizes = {8, 1ull << 30};
  auto run = simulate_collectives(t, default_fabric_constants(), o);
  EXPECT_EQ(run.transports.count_by_transport.at("SHM"), 2);
  EXPECT_LT(run.results[0].busbw_gbps, 0.01);
  EXPECT_GT(run.results[1].busbw_gbps, 5.0);
}

TEST(CollectiveVerdicts, ControlArmAndWrongResults) {
  CollectiveRun main, control;
  main.status = control.status = "ok";
  main.ranks = control.ranks = 4;
  CollectiveResult big;
  big.op = Collective::all_reduce;
  big.bytes = 1 << 28;
  big.check = "ok";
  big.busbw_gbps = 9.9;
  main.results = {big};
  big.busbw_gbps = 22.0;
  control.results = {big};
  EXPECT_EQ(rigcheck::diagnosis::collective_verdict(main, &control, Collective::all_reduce),
            "slower than the control (P2P path is worse than going through the host)");
  main.results[0].busbw_gbps = 30.0;
  EXPECT_EQ(rigcheck::diagnosis::collective_verdict(main, &control, Collective::all_reduce), "healthy");
  main.results[0].check = "wrong";
  EXPECT_EQ(rigcheck::diagnosis::collective_verdict(main, &control, Collective::all_reduce), "wrong results");
  main.status = "hang";
  EXPECT_EQ(rigcheck::diagnosis::collective_verdict(main, &control, Collective::all_reduce), "hang");
}

TEST(Workers, TimeoutKillsTheHungWorkerAndKeepsTheOthers) {
  auto outcomes = run_isolated_many(
      {[] { return nlohmann::json{{"rank", 0}}; },
       []() -> nlohmann::json {
         for (;;) std::this_thread::sleep_for(std::chrono::seconds(1));
       },
       []() -> nlohmann::json {
         std::raise(SIGSEGV);
         return {};
       },
       []() -> nlohmann::json { throw std::runtime_error("ncclCommInitRank: unhandled cuda error"); }},
      1.0);
  ASSERT_EQ(outcomes.size(), 4u);
  EXPECT_EQ(outcomes[0].kind, IsolatedOutcome::Kind::ok);
  EXPECT_EQ(outcomes[0].result.at("rank"), 0);
  EXPECT_EQ(outcomes[1].kind, IsolatedOutcome::Kind::hang);
  EXPECT_EQ(outcomes[2].kind, IsolatedOutcome::Kind::crash);
  EXPECT_NE(outcomes[2].detail.find("signal 11"), std::string::npos);
  EXPECT_EQ(outcomes[3].kind, IsolatedOutcome::Kind::error);
  EXPECT_EQ(outcomes[3].detail, "ncclCommInitRank: unhandled cuda error");
}
