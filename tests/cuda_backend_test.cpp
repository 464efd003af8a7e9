// The real CUDA backend and the measurement method, run on the strict CUDA double with machines
// shaped like the seed rigs. They assert what a GPU would punish: every timed copy moved bytes
// between the endpoints its cell names, nothing touched a GPU without peer access, host buffers
// sit on their GPU's NUMA node, and a hang costs one cell, not the process.

#include <gtest/gtest.h>
#include <sys/mman.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <map>
#include <set>
#include <thread>

#include "rigcheck/bench/catalogue.h"
#include "rigcheck/bench/cell_workers.h"
#include "rigcheck/bench/cuda_backend.h"
#include "rigcheck/bench/host_memory.h"
#include "rigcheck/bench/isolation.h"
#include "rigcheck/bench/runner.h"
#include "rigcheck/fake_cuda/fake_cuda.h"
#include "rigcheck/topology/rig.h"

namespace fake = rigcheck::fake_cuda;
namespace bench = rigcheck::bench;
namespace fabric = rigcheck::fabric;
namespace topology = rigcheck::topology;

namespace {

// Host memory "placed" on the requested node, which the fake then reports for every touch.
class PlacedHostMemory : public bench::HostMemory {
 public:
  bench::HostPages allocate(size_t bytes, int numa_node) override {
    void* p = nullptr;
    if (posix_memalign(&p, 4096, bytes) != 0) return {};
    std::memset(p, 0, bytes);
    fake::note_host_numa(p, bytes, numa_node);
    return {p, numa_node};
  }
  void release(void* p, size_t) override { std::free(p); }
  std::string description() const override { return "test placement"; }
};

topology::Topology rig(const std::string& name, const std::string& variant = "") {
  topology::Topology t = topology::load_machine_file(std::string(RIGCHECK_RIGS) + "/" + name + ".json", variant);
  for (auto& g : t.gpus) g.cuda_index = g.index;  // what discovery joins when CUDA sees every GPU
  return t;
}

std::unique_ptr<bench::Backend> backend_for(const topology::Topology& t) {
  return bench::make_cuda_backend(t, std::make_unique<PlacedHostMemory>());
}

bench::RunOptions quick(std::vector<int> gpus = {}) {
  bench::RunOptions o;
  o.plan.bytes = 1 << 20;
  o.plan.gpus = std::move(gpus);
  o.repetitions = 2;
  o.sampler.min_samples = 3;
  o.sampler.max_samples = 4;
  o.sampler.time_cap_s = 5;
  o.timeout_s = 5;
  return o;
}

std::vector<const bench::TestSpec*> tests(std::initializer_list<const char*> names) {
  std::vector<const bench::TestSpec*> out;
  for (const char* n : names) out.push_back(bench::find_test(n));
  return out;
}

std::vector<const bench::TestSpec*> whole_catalogue() {
  std::vector<const bench::TestSpec*> out;
  for (const auto& t : bench::catalogue()) out.push_back(&t);
  return out;
}

int owner_of(const fabric::Endpoint& e) { return e.is_host() ? fake::kHost : e.gpu; }

bool is_timed_copy(const fake::OpRecord& op) {
  return op.name == "memcpy" || op.name == "memcpy_peer" || op.name == "kernel:sm_copy" || op.name == "kernel:split_warp_copy";
}

// Measures each cell alone and checks the operations it caused: every timed copy read from and
// wrote to exactly the endpoints of one of the cell's transfers (ordinal = GPU index here), and
// every host buffer sat on the NUMA node of the GPU it served.
std::vector<bench::CellResult> measure_and_check(bench::Backend& b, const topology::Topology& t,
                                                 const std::vector<const bench::TestSpec*>& specs, const bench::RunOptions& o) {
  std::vector<bench::CellResult> out;
  for (const bench::TestSpec* spec : specs)
    for (const bench::CellPlan& cell : bench::plan_cells(*spec, t, b, o.plan)) {
      fake::clear_op_log();
      out.push_back(bench::measure_cell(b, cell, o));
      if (out.back().status != bench::CellStatus::ok || cell.transfers.empty()) continue;  // latency: no copy
      std::set<std::pair<int, int>> allowed;
      for (const auto& tr : cell.transfers) {
        allowed.insert({owner_of(tr.src), owner_of(tr.dst)});
        if (tr.split_bidirectional) allowed.insert({owner_of(tr.dst), owner_of(tr.src)});
      }
      int timed = 0;
      for (const auto& op : fake::op_log()) {
        if (!is_timed_copy(op) || op.bytes < o.plan.bytes / 2) continue;  // fills, verifies, result words
        ++timed;
        for (size_t i = 0; i + 1 < op.touched.size(); i += 2) {
          const fake::Touch &from = op.touched[i], &to = op.touched[i + 1];
          EXPECT_TRUE(allowed.count({from.owner, to.owner}))
              << cell.name() << ": " << op.name << " on device " << op.device << " moved " << from.owner << " -> " << to.owner;
          for (const fake::Touch& touch : {from, to}) {
            if (touch.owner != fake::kHost) continue;
            EXPECT_TRUE(touch.pinned) << cell.name() << ": a timed copy used pageable memory";
            const int gpu = from.owner == fake::kHost ? to.owner : from.owner;
            if (gpu != fake::kHost) {
              EXPECT_EQ(touch.numa_node, t.gpus[gpu].numa_node) << cell.name() << ": host buffer on the wrong node";
            }
          }
        }
      }
      EXPECT_GT(timed, 0) << cell.name() << ": no timed copy ran";
    }
  return out;
}

// The first cell of a test as planned on `t` with `o`.
bench::CellPlan first_cell(const char* test, const topology::Topology& t, const bench::Backend& b, const bench::RunOptions& o) {
  return bench::plan_cells(*bench::find_test(test), t, b, o.plan).front();
}

const bench::CellResult& cell_named(const std::vector<bench::CellResult>& cells, const std::string& name) {
  for (const auto& c : cells)
    if (c.plan.name() == name) return c;
  throw std::runtime_error("no cell " + name);
}

class CudaBackendOnFake : public ::testing::Test {
 protected:
  void TearDown() override {
    fake::uninstall();
    ::unsetenv("CUDA_VISIBLE_DEVICES");
  }
  void install(const topology::Topology& t, const std::function<void(fake::MachineSpec&)>& edit = {}) {
    spec_ = fake::machine_from_topology(t);
    if (edit) edit(spec_);
    fake::install(spec_);
  }
  fake::MachineSpec spec_;
};

TEST_F(CudaBackendOnFake, TheWholeCatalogueOnOneGpuMeasuresWhatEachTestNames) {
  auto t = rig("dell-t1700-gtx1660");
  install(t);
  auto b = backend_for(t);
  auto cells = measure_and_check(*b, t, whole_catalogue(), quick());
  EXPECT_TRUE(fake::violations().empty()) << fake::violations().front();
  for (const auto& c : cells) {
    // One GPU has no pairs, and no peer for the fan-in/fan-out tests.
    const bool needs_peer = c.plan.test == "all_to_one_write_ce" || c.plan.test == "one_to_all_write_ce";
    EXPECT_EQ(c.status, needs_peer ? bench::CellStatus::unsupported : bench::CellStatus::ok) << c.plan.name() << ": " << c.detail;
  }
  // The modelled rates come back: a cell that measured another direction or another buffer
  // (the first cell's) would give the other figure.
  const auto& dev = spec_.devices[0];
  EXPECT_NEAR(cell_named(cells, "host_to_device_ce/gpu0").value(), dev.h2d_gbps, dev.h2d_gbps * 1e-3);
  EXPECT_NEAR(cell_named(cells, "device_to_host_ce/gpu0").value(), dev.d2h_gbps, dev.d2h_gbps * 1e-3);
  EXPECT_NEAR(cell_named(cells, "device_local_copy_ce/gpu0").value(), dev.local_gbps, dev.local_gbps * 1e-3);
  EXPECT_NEAR(cell_named(cells, "host_to_device_sm/gpu0").value(), dev.h2d_gbps, dev.h2d_gbps * 1e-3);
  EXPECT_NEAR(cell_named(cells, "host_latency_sm/gpu0").value(), 800, 1);
  // Bidirectional: one direction's figure (the split-warp kernel ends with the slower one), the
  // total of both beside it.
  const auto& bidir = cell_named(cells, "host_device_bidir_sm/gpu0");
  EXPECT_NEAR(bidir.value(), dev.h2d_gbps, dev.h2d_gbps * 1e-3);
  EXPECT_NEAR(bidir.total_gbps, 2 * dev.h2d_gbps, dev.h2d_gbps * 1e-3);
}

TEST_F(CudaBackendOnFake, TwoGeforceCardsWithoutP2pStagePeerCopiesAndNeverTouchTheOtherGpu) {
  auto t = rig("asrock-x99-ws-e-2x3090-risers");
  install(t);
  ASSERT_FALSE(spec_.can_access[0][1]);
  auto b = backend_for(t);
  auto cells = measure_and_check(*b, t, whole_catalogue(), quick());
  EXPECT_TRUE(fake::violations().empty()) << fake::violations().front();
  EXPECT_EQ(fake::sticky_error(), 0);
  for (const auto& c : cells) {
    if (c.plan.plan_is_pair() && c.plan.engine == fabric::Engine::sm) {
      EXPECT_EQ(c.status, bench::CellStatus::unsupported) << c.plan.name();
    } else if (c.plan.test == "all_to_one_write_ce" || c.plan.test == "one_to_all_write_ce") {
      EXPECT_EQ(c.status, bench::CellStatus::unsupported) << c.plan.name() << " (no peer can write directly)";
    } else {
      EXPECT_EQ(c.status, bench::CellStatus::ok) << c.plan.name() << ": " << c.detail;
    }
  }
  const auto& w = cell_named(cells, "device_to_device_write_ce/gpu0-gpu1");
  EXPECT_EQ(w.plan.path, fabric::PeerPath::host_staged);
  EXPECT_NEAR(w.value(), spec_.staged_gbps, spec_.staged_gbps * 1e-3);
  EXPECT_NEAR(cell_named(cells, "device_to_host_ce/gpu1").value(), spec_.devices[1].d2h_gbps, 1e-2);
}

TEST_F(CudaBackendOnFake, FourGpusBehindASwitchCopyDirectlyAndReleaseTheirPeerMappings) {
  auto t = rig("supermicro-4029gp-trt2-10x3090");
  install(t);
  auto b = backend_for(t);
  auto o = quick({0, 1, 2, 3});
  auto cells = measure_and_check(*b, t,
                                 tests({"device_to_device_read_ce", "device_to_device_write_ce", "device_to_device_bidir_ce",
                                        "device_to_device_read_sm", "device_to_device_latency_sm", "all_to_one_write_ce"}),
                                 o);
  EXPECT_TRUE(fake::violations().empty()) << fake::violations().front();
  for (const auto& c : cells) {
    EXPECT_EQ(c.status, bench::CellStatus::ok) << c.plan.name() << ": " << c.detail;
    EXPECT_EQ(c.plan.path, fabric::PeerPath::direct) << c.plan.name();
  }
  EXPECT_NEAR(cell_named(cells, "device_to_device_read_ce/gpu0-gpu3").value(), spec_.peer_gbps, 1e-2);
  EXPECT_NEAR(cell_named(cells, "device_to_device_bidir_ce/gpu1-gpu2").value(), spec_.peer_gbps, 1e-2);
  EXPECT_NEAR(cell_named(cells, "device_to_device_bidir_ce/gpu1-gpu2").total_gbps, 2 * spec_.peer_gbps, 2e-2);
  EXPECT_NEAR(cell_named(cells, "device_to_device_latency_sm/gpu2-gpu1").value(), 1700, 1);
  // A host copy needs no peer: every mapping the pair tests made is gone again.
  bench::measure_cell(*b, first_cell("host_to_device_ce", t, *b, o), o);
  for (int g = 0; g < 4; ++g) EXPECT_EQ(fake::enabled_peer_count(g), 0) << "GPU" << g;
}

TEST_F(CudaBackendOnFake, TenGpusWithP2pNeverAskForANinthPeer) {
  auto t = rig("supermicro-4029gp-trt2-10x3090");
  install(t);
  auto b = backend_for(t);
  auto o = quick();
  o.sampler.min_samples = o.sampler.max_samples = 1;
  auto cells = measure_and_check(*b, t, tests({"device_to_device_write_ce", "one_to_all_write_ce", "all_to_one_write_ce"}), o);
  EXPECT_TRUE(fake::violations().empty()) << fake::violations().front();
  for (const auto& c : cells) EXPECT_EQ(c.status, bench::CellStatus::ok) << c.plan.name() << ": " << c.detail;
  // one_to_all writes to as many peers as CUDA lets one GPU map.
  EXPECT_EQ(cell_named(cells, "one_to_all_write_ce/gpu0").plan.transfers.size(), 8u);
  EXPECT_EQ(cell_named(cells, "all_to_one_write_ce/gpu0").plan.transfers.size(), 9u);
}

TEST_F(CudaBackendOnFake, HostBuffersSitOnEachGpusNumaNode) {
  auto t = rig("gigabyte-t180-g20-4xv100-nvlink");
  std::set<int> nodes;
  for (const auto& g : t.gpus) nodes.insert(g.numa_node);
  ASSERT_EQ(nodes.size(), 2u) << "the rig has GPUs on both sockets";
  // Volta needs a CUDA 12 build, which has its kernels.
  install(t, [](fake::MachineSpec& m) {
    for (auto& d : m.devices) d.kernel_image = true;
  });
  auto b = backend_for(t);
  auto cells = measure_and_check(*b, t, tests({"host_to_device_ce", "device_to_host_ce", "all_to_host_ce"}), quick());
  for (const auto& c : cells) {
    EXPECT_EQ(c.status, bench::CellStatus::ok) << c.plan.name();
    EXPECT_EQ(c.host_numa_node, t.gpus[c.plan.col].numa_node) << c.plan.name();
  }
}

TEST_F(CudaBackendOnFake, AGpuHiddenFromCudaIsReportedAndTheOthersAreMeasuredOnTheirOwnOrdinals) {
  auto t = rig("supermicro-4029gp-trt2-10x3090");
  install(t);
  ::setenv("CUDA_VISIBLE_DEVICES", "0,2,3", 1);
  // What discovery joins by PCI address when CUDA sees physical GPUs 0, 2 and 3 as 0, 1, 2.
  for (auto& g : t.gpus) g.cuda_index = g.index == 0 ? 0 : g.index == 2 ? 1 : g.index == 3 ? 2 : -1;
  auto b = backend_for(t);
  auto o = quick({0, 1, 2, 3});
  std::vector<bench::CellResult> cells;
  for (const auto* spec : tests({"host_to_device_ce", "device_to_device_write_ce"}))
    for (const auto& cell : bench::plan_cells(*spec, t, *b, o.plan)) cells.push_back(bench::measure_cell(*b, cell, o));
  EXPECT_TRUE(fake::violations().empty()) << fake::violations().front();
  for (const auto& c : cells) {
    const bool needs_gpu1 = c.plan.col == 1 || c.plan.row == 1;
    EXPECT_EQ(c.status, needs_gpu1 ? bench::CellStatus::unsupported : bench::CellStatus::ok) << c.plan.name() << ": " << c.detail;
    if (needs_gpu1) {
      EXPECT_NE(c.detail.find("not visible to CUDA"), std::string::npos) << c.detail;
    }
  }
  // GPU2's host copy ran on CUDA ordinal 1.
  fake::clear_op_log();
  bench::measure_cell(*b, first_cell("host_to_device_ce", t, *b, quick({2})), o);
  bool saw = false;
  for (const auto& op : fake::op_log())
    if (op.name == "memcpy" && op.bytes == o.plan.bytes) {
      saw = true;
      EXPECT_EQ(op.device, 1);
    }
  EXPECT_TRUE(saw);
}

TEST_F(CudaBackendOnFake, AGpuThisBuildCannotRunIsSkippedAndTheOthersAreMeasured) {
  auto t = rig("b660-3060-plus-1060-chipset", "with-gtx1060-in-chipset-x1");
  install(t);
  int pascal = -1;
  for (size_t i = 0; i < spec_.devices.size(); ++i)
    if (!spec_.devices[i].kernel_image) pascal = static_cast<int>(i);
  ASSERT_GE(pascal, 0) << "the rig has a GTX 1060 (sm_61), which a CUDA 13 build cannot run";
  auto b = backend_for(t);
  auto cells = measure_and_check(*b, t, tests({"host_to_device_ce", "host_latency_sm"}), quick());
  for (const auto& c : cells) {
    if (c.plan.col == pascal) {
      EXPECT_EQ(c.status, bench::CellStatus::unsupported) << c.plan.name();
      EXPECT_NE(c.detail.find("no kernel image"), std::string::npos) << c.detail;
    } else {
      EXPECT_EQ(c.status, bench::CellStatus::ok) << c.plan.name() << ": " << c.detail;
    }
  }
}

TEST_F(CudaBackendOnFake, InjectedCorruptionIsReportedWithItsOffset) {
  auto t = rig("dell-t1700-gtx1660");
  install(t);
  // Every timed copy after the warm-up flips one byte (each repetition rewrites the whole buffer).
  fake::inject({.kind = fake::Fault::Kind::corrupt, .op = "memcpy", .touches = fake::kHost, .skip = 1, .count = -1,
                .offset = 8192, .min_bytes = 1 << 20});
  auto b = backend_for(t);
  auto o = quick();
  auto cell = first_cell("host_to_device_ce", t, *b, o);
  auto r = bench::measure_cell(*b, cell, o);
  EXPECT_EQ(r.status, bench::CellStatus::corrupt);
  EXPECT_NE(r.detail.find("offset 8192"), std::string::npos) << r.detail;
}

TEST_F(CudaBackendOnFake, CorruptionDuringTheWarmUpIsNotIgnored) {
  auto t = rig("dell-t1700-gtx1660");
  install(t);
  fake::inject({.kind = fake::Fault::Kind::corrupt, .op = "memcpy", .touches = fake::kHost, .offset = 64, .min_bytes = 1 << 20});
  auto b = backend_for(t);
  auto o = quick();
  auto r = bench::measure_cell(*b, first_cell("host_to_device_ce", t, *b, o), o);
  EXPECT_EQ(r.status, bench::CellStatus::corrupt);
  EXPECT_NE(r.detail.find("warm-up"), std::string::npos) << r.detail;
}

TEST_F(CudaBackendOnFake, AHangCostsItsCellAndTheWorkerReturnsWithTheOtherCells) {
  auto t = rig("supermicro-4029gp-trt2-10x3090");
  install(t);
  // In the first cell that involves GPU1, the second sample's copy never completes (warm-up: one
  // copy, each sample: two).
  fake::inject({.kind = fake::Fault::Kind::hang, .op = "memcpy_peer", .touches = 1, .skip = 3, .min_bytes = 1 << 20});
  const auto started = std::chrono::steady_clock::now();
  auto outcome = bench::run_isolated(
      [&] {
        auto b = backend_for(t);
        auto o = quick({0, 1, 2, 3});
        o.timeout_s = 1;
        nlohmann::json cells = nlohmann::json::array();
        for (const auto& cell : bench::plan_cells(*bench::find_test("device_to_device_write_ce"), t, *b, o.plan)) {
          auto r = bench::measure_cell(*b, cell, o);
          cells.push_back({{"name", cell.name()}, {"status", bench::to_string(r.status)}, {"detail", r.detail}});
        }
        return cells;  // the backend is destroyed here: a wedged one must not wait for the GPU
      },
      60);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  ASSERT_EQ(outcome.kind, bench::IsolatedOutcome::Kind::ok) << outcome.detail;
  EXPECT_LT(seconds, 20) << "a hang must cost about one sample timeout, not the worker's";
  int hung = 0, ok = 0, not_run = 0;
  for (const auto& c : outcome.result) {
    // The hung copy is GPU0's, into GPU1: both GPUs are left alone from then on.
    const std::string name = c.at("name"), status = c.at("status");
    const bool touches_gpu1 = name.find("gpu1") != std::string::npos || name.find("gpu0") != std::string::npos;
    if (status == "hang") {
      ++hung;
      EXPECT_TRUE(touches_gpu1) << name;
    } else if (status == "not-run") {
      ++not_run;
      EXPECT_TRUE(touches_gpu1) << name;
    } else {
      ++ok;
      EXPECT_EQ(status, "ok") << name << ": " << c.at("detail").get<std::string>();
    }
  }
  EXPECT_EQ(hung, 1);
  EXPECT_EQ(ok, 2) << "both pairs without GPU0 or GPU1 were measured";
  EXPECT_EQ(hung + not_run, 10);
}

TEST_F(CudaBackendOnFake, CellsAHangLeftNotRunAreMeasuredInFreshWorkers) {
  auto t = rig("supermicro-4029gp-trt2-10x3090");
  install(t);
  // In every worker (each starts with the fault's count at zero), the first cell that involves
  // GPU1 hangs in its second sample: a pair that always hangs.
  fake::inject({.kind = fake::Fault::Kind::hang, .op = "memcpy_peer", .touches = 1, .skip = 3, .min_bytes = 1 << 20});
  auto outcome = bench::measure_in_workers(
      [&](const std::set<std::string>& only) {
        auto b = backend_for(t);
        auto o = quick({0, 1, 2, 3});
        o.timeout_s = 0.5;
        o.only_cells = only;
        nlohmann::json cells = nlohmann::json::array();
        for (const auto& r : bench::run_tests(*b, t, {bench::find_test("device_to_device_write_ce")}, o).cells)
          cells.push_back({{"name", r.plan.name()}, {"status", bench::to_string(r.status)}});
        return nlohmann::json{{"backend", b->description()}, {"cells", cells}, {"findings", nlohmann::json::array()}};
      },
      60);
  ASSERT_EQ(outcome.kind, bench::IsolatedOutcome::Kind::ok) << outcome.detail;
  std::map<std::string, std::string> status;
  for (const auto& c : outcome.result.at("cells")) EXPECT_TRUE(status.emplace(c.at("name"), c.at("status")).second) << c;
  EXPECT_EQ(status.size(), 12u) << "every cell once";
  int ok = 0, hung = 0;
  for (const auto& [name, s] : status) {
    ok += s == "ok";
    hung += s == "hang";
    if (s != "ok") EXPECT_NE(name.find("gpu1"), std::string::npos) << name << " " << s;
  }
  EXPECT_EQ(hung, 4) << "one hang per worker";
  EXPECT_EQ(ok, 6) << "one worker alone measures 2 cells";
}

TEST_F(CudaBackendOnFake, ReadCellsNeedPeerAccessFromTheReadingGpu) {
  auto t = rig("supermicro-4029gp-trt2-10x3090");
  // GPU0 may map GPU1's memory, not the other way round.
  install(t, [](fake::MachineSpec& m) {
    for (auto& row : m.can_access) std::fill(row.begin(), row.end(), false);
    m.can_access[0][1] = true;
  });
  auto b = backend_for(t);
  auto o = quick({0, 1});
  std::map<std::string, bench::CellResult> cells;
  for (const auto* spec : tests({"device_to_device_read_ce", "device_to_device_write_ce", "device_to_device_read_sm"}))
    for (const auto& cell : bench::plan_cells(*spec, t, *b, o.plan)) cells[cell.name()] = bench::measure_cell(*b, cell, o);
  EXPECT_TRUE(fake::violations().empty()) << fake::violations().front();
  // 1 -> 0 read by GPU0 (which maps GPU1) is direct; 0 -> 1 read by GPU1 is not.
  EXPECT_EQ(cells.at("device_to_device_read_ce/gpu1-gpu0").plan.path, fabric::PeerPath::direct);
  EXPECT_EQ(cells.at("device_to_device_read_ce/gpu0-gpu1").plan.path, fabric::PeerPath::host_staged);
  EXPECT_EQ(cells.at("device_to_device_write_ce/gpu0-gpu1").plan.path, fabric::PeerPath::direct);
  EXPECT_EQ(cells.at("device_to_device_read_sm/gpu1-gpu0").status, bench::CellStatus::ok);
  EXPECT_EQ(cells.at("device_to_device_read_sm/gpu0-gpu1").status, bench::CellStatus::unsupported);
  for (const auto& [name, c] : cells)
    if (c.status != bench::CellStatus::unsupported) EXPECT_EQ(c.status, bench::CellStatus::ok) << name << ": " << c.detail;
}

TEST_F(CudaBackendOnFake, AFailureWhileQueueingReleasesTheSpinKernelsAtOnce) {
  auto t = rig("dell-t1700-gtx1660");
  install(t);
  // The first timed copy of the first sample cannot be queued (after the warm-up's one).
  fake::inject({.kind = fake::Fault::Kind::refuse, .op = "memcpy", .touches = fake::kHost, .skip = 1, .min_bytes = 1 << 20});
  auto b = backend_for(t);
  auto o = quick();
  auto plan = first_cell("host_to_device_ce", t, *b, o);
  auto failed = bench::measure_cell(*b, plan, o);
  EXPECT_EQ(failed.status, bench::CellStatus::error);
  EXPECT_NE(failed.detail.find("cudaErrorLaunchFailure"), std::string::npos) << failed.detail;
  // The spin kernel that held the stream was released on the way out: nothing is left running
  // (it would spin for 10 s otherwise), and the next cell measures normally.
  const auto started = std::chrono::steady_clock::now();
  while (fake::unfinished_operations() > 0 && std::chrono::steady_clock::now() - started < std::chrono::seconds(5))
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_EQ(fake::unfinished_operations(), 0u);
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(1));
  auto next = bench::measure_cell(*b, plan, o);
  EXPECT_EQ(next.status, bench::CellStatus::ok) << next.detail;
}

TEST_F(CudaBackendOnFake, AKernelFaultIsAnErrorOfItsCellAndLeavesTheRestForAFreshWorker) {
  auto t = rig("dell-t1700-gtx1660");
  install(t);
  fake::inject({.kind = fake::Fault::Kind::illegal_address, .op = "kernel:sm_copy", .min_bytes = 1 << 20});
  auto b = backend_for(t);
  auto o = quick();
  auto sm = bench::measure_cell(*b, first_cell("host_to_device_sm", t, *b, o), o);
  EXPECT_EQ(sm.status, bench::CellStatus::error);
  EXPECT_NE(sm.detail.find("cudaErrorIllegalAddress"), std::string::npos) << sm.detail;
  // The error is sticky, as on a GPU: this process can measure nothing more, so later cells are
  // not-run (for a fresh worker) rather than errors of their own.
  auto ce = bench::measure_cell(*b, first_cell("host_to_device_ce", t, *b, o), o);
  EXPECT_EQ(ce.status, bench::CellStatus::not_run);
  EXPECT_NE(ce.detail.find("unusable in this process"), std::string::npos) << ce.detail;
  EXPECT_TRUE(b->wedged()) << "a broken context is not torn down either";
}

TEST_F(CudaBackendOnFake, ManyRepetitionsRunWithoutTheSpinGateWhenTheStreamCannotHoldThem) {
  auto t = rig("dell-t1700-gtx1660");
  install(t, [](fake::MachineSpec& m) { m.stream_depth = 64; });
  auto b = backend_for(t);
  auto o = quick();
  o.repetitions = 100;  // more copies than the stream holds: gated, the enqueue would block the release
  const auto started = std::chrono::steady_clock::now();
  auto r = bench::measure_cell(*b, first_cell("host_to_device_ce", t, *b, o), o);
  EXPECT_EQ(r.status, bench::CellStatus::ok) << r.detail;
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(8));
}

TEST_F(CudaBackendOnFake, SampleTimeoutsGrowWithTheBytesOverTheSlowestLink) {
  auto t = rig("asrock-x99-ws-e-2x3090-risers");
  install(t);
  auto b = backend_for(t);
  bench::RunOptions o = quick();
  o.timeout_s = 2;
  o.plan.bytes = 1ull << 30;
  o.repetitions = 8;
  auto cell = first_cell("host_to_device_ce", t, *b, o);
  ASSERT_GT(cell.path_gbps, 0);
  // 8 GiB over the GPU's host path at 2 % of its rate, plus the fixed part.
  const double expected = 2 + 8.0 * (1ull << 30) / (bench::kTimeoutLinkFraction * cell.path_gbps * 1e9);
  EXPECT_NEAR(bench::sample_timeout_s(cell, o), expected, 1e-6);
  o.plan.bytes = 1 << 20;
  EXPECT_LT(bench::sample_timeout_s(first_cell("host_to_device_ce", t, *b, o), o), 3);
}

}  // namespace
