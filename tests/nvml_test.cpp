// The NVML paths (dlopen, versioned symbols, BDF join, NVLink bundles, P2P status, link and
// throttle queries) against a fake libnvidia-ml describing the reference fake machine.

#include <gtest/gtest.h>

#include <cstdlib>

#include "fake_machine.h"
#include "rigcheck/topology/discover.h"
#include "rigcheck/topology/nvml.h"
#include "rigcheck/bench/link_monitor.h"

#include <chrono>
#include <thread>

using namespace rigcheck::topology;

namespace {

// Points RIGCHECK_NVML_LIBRARY at `path` for one test.
struct NvmlLibrary {
  explicit NvmlLibrary(const char* path) { setenv("RIGCHECK_NVML_LIBRARY", path, 1); }
  ~NvmlLibrary() { unsetenv("RIGCHECK_NVML_LIBRARY"); }
};

}  // namespace

TEST(Nvml, MissingLibrarySaysWhy) {
  NvmlLibrary lib("/nonexistent/libnvidia-ml.so.1");
  std::string why;
  EXPECT_EQ(Nvml::open(why), nullptr);
  EXPECT_NE(why.find("/nonexistent/libnvidia-ml.so.1"), std::string::npos) << why;
}

TEST(Nvml, LibraryWithoutNvmlFunctionsIsRefused) {
  NvmlLibrary lib("libm.so.6");
  std::string why;
  EXPECT_EQ(Nvml::open(why), nullptr);
  EXPECT_NE(why.find("lacks the NVML functions"), std::string::npos) << why;
}

TEST(Nvml, QueriesThroughTheFakeLibrary) {
  NvmlLibrary lib(RIGCHECK_FAKE_NVML);
  std::string why;
  auto nvml = Nvml::open(why);
  ASSERT_NE(nvml, nullptr) << why;
  EXPECT_EQ(nvml->driver_version(), "580.82.07");
  auto devices = nvml->devices();
  ASSERT_EQ(devices.size(), 6u);
  EXPECT_EQ(nvml->address(devices[1])->str(), "0000:04:00.0");
  EXPECT_EQ(nvml->current_link(devices[1]), (LinkState{4, 8}));
  EXPECT_EQ(nvml->sm_clock_mhz(devices[0]), 1695u);
  EXPECT_EQ(Nvml::describe_clock_event_reasons(*nvml->clock_event_reasons(devices[2])),
            std::vector<std::string>{"sw_power_cap"});
  unsigned before = *nvml->pcie_replay_counter(devices[0]);
  EXPECT_EQ(*nvml->pcie_replay_counter(devices[0]), before + 3);
  auto links = nvml->active_nvlinks(devices[0]);
  ASSERT_EQ(links.size(), 2u);
  EXPECT_EQ(links[0].remote->str(), "0000:04:00.0");
  EXPECT_EQ(links[0].generation, 3);  // NVML's 4 is NVLink 3.0
  EXPECT_EQ(nvml->p2p_read_status(devices[0], devices[1]), "OK");
  EXPECT_EQ(nvml->p2p_read_status(devices[0], devices[2]), "GPU_NOT_SUPPORTED");
}

TEST(Nvml, DiscoveryJoinsNvmlByPciAddress) {
  NvmlLibrary lib(RIGCHECK_FAKE_NVML);
  rigcheck::testing::TempDir dir;
  rigcheck::testing::write_fake_sysfs(rigcheck::testing::reference_machine(), dir.path());
  DiscoveryOptions o;
  o.fsroot = dir.path().string();
  Topology t = discover(o);
  ASSERT_EQ(t.gpus.size(), 6u);
  EXPECT_EQ(t.gpus[0].name, "NVIDIA GeForce RTX 3090");  // NVML's name wins over the table's
  EXPECT_EQ(t.gpus[5].name, "NVIDIA H100 80GB HBM3");
  EXPECT_EQ(t.gpus[0].gpu_max_gen, 4);
  // Two NVLink links between GPU0 and GPU1, bundled as nvidia-smi's NV2.
  ASSERT_EQ(t.gpus[0].nvlink.size(), 1u);
  EXPECT_EQ(t.gpus[0].nvlink[0].remote_gpu, 1);
  EXPECT_EQ(t.gpus[0].nvlink[0].links, 2);
  EXPECT_EQ(t.gpus[0].nvlink[0].version, 3);
  EXPECT_EQ(t.pair(0, 1)->nvlink_links, 2);
  EXPECT_EQ(t.pair(0, 1)->bottleneck.kind, "nvlink");
  EXPECT_EQ(t.pair(0, 1)->p2p.nvml_read, "OK");
  EXPECT_EQ(t.pair(0, 2)->p2p.nvml_read, "GPU_NOT_SUPPORTED");
  for (const auto& n : t.notes) EXPECT_NE(n.source, "nvml") << n.message;
}

TEST(LinkMonitor, SamplesLinksClocksThrottlingAndReplaysWhileRunning) {
  NvmlLibrary lib(RIGCHECK_FAKE_NVML);
  std::string why;
  auto nvml = Nvml::open(why);
  ASSERT_NE(nvml, nullptr) << why;
  auto devices = nvml->devices();
  rigcheck::bench::LinkMonitor monitor(*nvml, {{0, devices[0]}, {1, devices[1]}, {2, devices[2]}}, 1000);
  monitor.start();
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  auto obs = monitor.stop();
  ASSERT_EQ(obs.size(), 3u);
  for (const auto& o : obs) EXPECT_GT(o.samples, 1);
  EXPECT_EQ(obs[0].min_link, (LinkState{4, 16}));
  EXPECT_EQ(obs[1].min_link, (LinkState{4, 8}));  // the downtrained one, seen under load
  EXPECT_EQ(obs[0].min_sm_clock_mhz, 1695u);
  EXPECT_EQ(obs[2].clock_event_reasons, 0x4u);
  EXPECT_EQ(obs[0].replay_delta, std::optional<unsigned>(3));  // the fake adds 3 per read
}

TEST(LinkMonitor, ObservationsMergeAcrossSamples) {
  rigcheck::bench::LinkObservation a{0, {4, 16}, {4, 16}, 1600, 1700, 0x0, 2u, 5};
  rigcheck::bench::LinkObservation b{0, {1, 16}, {4, 16}, 1500, 1650, 0x4, 1u, 3};
  rigcheck::bench::LinkObservation other{1, {5, 16}, {5, 16}, 1900, 1900, 0, std::nullopt, 1};
  std::vector<rigcheck::bench::LinkObservation> all{a};
  rigcheck::bench::merge_observations(all, {b, other});
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].min_link, (LinkState{1, 16}));
  EXPECT_EQ(all[0].max_link, (LinkState{4, 16}));
  EXPECT_EQ(all[0].min_sm_clock_mhz, 1500u);
  EXPECT_EQ(all[0].max_sm_clock_mhz, 1700u);
  EXPECT_EQ(all[0].clock_event_reasons, 0x4u);
  EXPECT_EQ(all[0].replay_delta, std::optional<unsigned>(3));
  EXPECT_EQ(all[0].samples, 8);
  EXPECT_EQ(all[1].gpu, 1);
}
