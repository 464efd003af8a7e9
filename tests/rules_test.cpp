// Every finding has a machine that raises it and a healthy twin that does not.

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <unistd.h>

#include "fake_machine.h"
#include "rigcheck/diagnosis/measured_rules.h"
#include "rigcheck/diagnosis/static_rules.h"
#include "rigcheck/bench/catalogue.h"
#include "rigcheck/bench/sim_backend.h"
#include "rigcheck/bench/uplink_monitor.h"
#include "rigcheck/topology/rooted_fs.h"
#include "rigcheck/topology/discover.h"
#include "rigcheck/topology/gpu_models.h"
#include "topology_builder.h"

using namespace rigcheck;
using diagnosis::Finding;
using diagnosis::Severity;
using rigcheck::testing::TopologyBuilder;

namespace {

constexpr uint16_t kA100 = 0x20b2, kRtx3090 = 0x2204, kV100Sxm2 = 0x1db1, kRtx5090 = 0x2b85;

diagnosis::BuildInfo cuda13() { return {{75, 80, 86, 89, 90, 100, 120}, 13}; }

std::vector<std::string> ids(const std::vector<Finding>& fs) {
  std::vector<std::string> out;
  for (const auto& f : fs) out.push_back(f.id);
  return out;
}

bool has(const std::vector<Finding>& fs, const std::string& id) {
  return std::any_of(fs.begin(), fs.end(), [&](const Finding& f) { return f.id == id; });
}

const Finding& get(const std::vector<Finding>& fs, const std::string& id) {
  for (const auto& f : fs)
    if (f.id == id) return f;
  throw std::runtime_error("no finding " + id);
}

// Two GPUs of `device` on one switch, everything healthy unless a test changes it.
struct Pair {
  TopologyBuilder b;
  Pair(uint16_t device = kA100, uint16_t acs = 0) {
    int up = b.switch_up(b.root_port(b.host_bridge()), 4, 16);
    b.gpu(b.switch_down(up, acs), device, 4, 16);
    b.gpu(b.switch_down(up, acs), device, 4, 16);
  }
  topology::Topology build() {
    auto t = b.build();
    for (auto& g : t.gpus) {
      const auto* m = topology::find_gpu_model(g.device_id);
      if (m) g.name = m->name, g.compute_capability = m->compute_capability, g.memory_bytes = uint64_t(m->memory_gib) << 30;
      g.bar1_bytes = 64ull << 30;
    }
    t.system.iommu = topology::IommuMode::off;
    t.system.nvidia_driver = "580.82.07";
    t.system.nccl_version = 22809;
    return t;
  }
};

std::vector<Finding> doctor(const topology::Topology& t) { return diagnosis::static_findings(t, cuda13()); }

}  // namespace

TEST(Rules, HealthyPairRaisesNothing) {
  // Nothing but the info that the two GPUs share their switch's uplink to the host.
  auto t = Pair().build();
  EXPECT_EQ(ids(doctor(t)), std::vector<std::string>{"switch-uplink-shared"});
}

TEST(Rules, TwoGpusBehindOneSwitchShareItsUplinkAndTheReportSaysWhatItCosts) {
  auto fs = doctor(Pair().build());
  const auto& f = get(fs, "switch-uplink-shared");
  EXPECT_EQ(f.severity, Severity::info);
  EXPECT_EQ(f.gpus, (std::vector<int>{0, 1}));
  EXPECT_NE(f.title.find("2 GPUs share the uplink"), std::string::npos) << f.title;
  // Gen4 x16: 31.51 GB/s per direction, ~15.75 each when both copy to the host at once.
  EXPECT_NE(f.explanation.find("31.51 GB/s per direction"), std::string::npos) << f.explanation;
  EXPECT_NE(f.explanation.find("about 15.75 GB/s each"), std::string::npos) << f.explanation;
  // One GPU per root port shares nothing.
  TopologyBuilder b;
  b.gpu(b.root_port(b.host_bridge()), kA100, 4, 16);
  b.gpu(b.root_port(b.host_bridge()), kA100, 4, 16);
  EXPECT_FALSE(has(doctor(b.build()), "switch-uplink-shared"));
}

TEST(Rules, ASwitchUplinkNarrowerThanItsEndsOrInASplitSlotIsAFault) {
  auto uplink_of = [](topology::Topology& t) -> topology::PciLink& {
    for (auto& n : t.pci)
      if (n.kind == topology::PciKind::switch_upstream) return *n.link;
    throw std::runtime_error("no switch");
  };
  // Trained x8 of x16: a fault, at rest or not (widths do not change with power saving).
  auto narrow = Pair().build();
  narrow.source.kind = "live";
  uplink_of(narrow).current = {4, 8};
  auto fs = doctor(narrow);
  ASSERT_TRUE(has(fs, "switch-uplink-degraded")) << ::testing::PrintToString(ids(fs));
  EXPECT_EQ(get(fs, "switch-uplink-degraded").severity, Severity::warning);
  EXPECT_EQ(get(fs, "switch-uplink-degraded").gpus, (std::vector<int>{0, 1}));
  EXPECT_NE(get(fs, "switch-uplink-degraded").title.find("runs at Gen4 x8, below its Gen4 x16"), std::string::npos)
      << get(fs, "switch-uplink-degraded").title;
  // Gen1 read at rest is power saving; the same state in a rig file (under load) is a fault.
  auto slow = Pair().build();
  slow.source.kind = "live";
  uplink_of(slow).current = {1, 16};
  EXPECT_FALSE(has(doctor(slow), "switch-uplink-degraded"));
  slow.source.kind = "json";
  EXPECT_TRUE(has(doctor(slow), "switch-uplink-degraded"));
  // The slot above the switch offers x4 of its x16 (a BIOS bifurcation split).
  auto split = Pair().build();
  uplink_of(split).port_max = {4, 4};
  uplink_of(split).max = uplink_of(split).current = {4, 4};
  fs = doctor(split);
  ASSERT_TRUE(has(fs, "switch-uplink-degraded"));
  EXPECT_NE(get(fs, "switch-uplink-degraded").fix.find("bifurcation"), std::string::npos);
  EXPECT_NE(get(fs, "switch-uplink-degraded").title.find("in an x4 slot, its uplink can do x16"), std::string::npos)
      << get(fs, "switch-uplink-degraded").title;
}

TEST(Rules, AcsRedirectNamesTheBridgeAndTheCommand) {
  auto bad = Pair(kA100, 0x001d).build();
  auto fs = doctor(bad);
  ASSERT_TRUE(has(fs, "acs-redirect"));
  const Finding& f = get(fs, "acs-redirect");
  EXPECT_EQ(f.severity, Severity::critical);
  EXPECT_EQ(f.evidence.size(), 2u);  // both downstream ports
  EXPECT_NE(f.fix.find("sudo setpci -s " + bad.pci[bad.pci[bad.gpus[0].node].parent].address->str() + " ECAP_ACS+0x6.w=0000"),
            std::string::npos)
      << f.fix;
  EXPECT_NE(f.fix.find("pci=disable_acs_redir="), std::string::npos);
  // Source validation and upstream forwarding alone do not redirect P2P.
  EXPECT_FALSE(has(doctor(Pair(kA100, 0x0011).build()), "acs-redirect"));
}

TEST(Rules, IommuTranslating) {
  auto t = Pair().build();
  t.system.iommu = topology::IommuMode::translated;
  EXPECT_TRUE(has(doctor(t), "iommu-translating"));
  t.system.iommu = topology::IommuMode::passthrough;
  EXPECT_FALSE(has(doctor(t), "iommu-translating"));
}

TEST(Rules, SlotLimitsWidthAndGeneration) {
  auto t = Pair().build();
  auto& link = *t.pci[t.gpus[0].node].link;
  link.port_max = {3, 8};
  link.max = link.current = {3, 8};
  auto fs = doctor(t);
  EXPECT_TRUE(has(fs, "pcie-slot-limits-width"));
  EXPECT_TRUE(has(fs, "pcie-slot-limits-gen"));
  EXPECT_EQ(get(fs, "pcie-slot-limits-width").gpus, std::vector<int>{0});
}

TEST(Rules, AGen4CardOnAGen3OnlyPlatformIsThePlatformsNatureNotAWarning) {
  // GPU1's port is Gen4, so GPU0's Gen3 port holds its card back: a warning.
  auto mixed = Pair().build();
  mixed.pci[mixed.gpus[0].node].link->port_max = {3, 16};
  mixed.pci[mixed.gpus[0].node].link->max = {3, 16};
  EXPECT_EQ(get(doctor(mixed), "pcie-slot-limits-gen").severity, Severity::warning);
  // Every GPU port is Gen3 (a Gen3 platform or switch): info, and it says it is the platform.
  auto gen3 = Pair().build();
  for (const auto& g : gen3.gpus) {
    gen3.pci[g.node].link->port_max = {3, 16};
    gen3.pci[g.node].link->max = {3, 16};
  }
  const auto fs = doctor(gen3);
  const auto& f = get(fs, "pcie-slot-limits-gen");
  EXPECT_EQ(f.severity, Severity::info);
  EXPECT_EQ(f.gpus, (std::vector<int>{0, 1})) << "one finding for both GPUs";
  EXPECT_NE(f.explanation.find("no GPU port of this machine does more"), std::string::npos) << f.explanation;
  EXPECT_EQ(diagnosis::worst(fs), Severity::info) << ::testing::PrintToString(ids(fs));
}

TEST(Rules, WidthBelowMaxIsAFaultGenBelowMaxAtRestIsNot) {
  auto t = Pair().build();
  t.pci[t.gpus[0].node].link->current = {4, 8};
  t.pci[t.gpus[1].node].link->current = {1, 16};
  auto fs = doctor(t);
  EXPECT_EQ(get(fs, "pcie-width-below-max").severity, Severity::warning);
  EXPECT_EQ(get(fs, "pcie-width-below-max").gpus, std::vector<int>{0});
  EXPECT_EQ(get(fs, "pcie-gen-below-max-at-rest").severity, Severity::info);
  EXPECT_EQ(get(fs, "pcie-gen-below-max-at-rest").gpus, std::vector<int>{1});
}

TEST(Rules, ChipsetSlotSmallBar1MixedGpusSockets) {
  rigcheck::testing::TempDir dir;
  rigcheck::testing::write_fake_sysfs(rigcheck::testing::reference_machine(), dir.path());
  topology::DiscoveryOptions o;
  o.fsroot = dir.path().string();
  auto fs = doctor(topology::discover(o));
  EXPECT_EQ(get(fs, "chipset-attached-gpu").gpus, std::vector<int>{3});
  EXPECT_EQ(get(fs, "small-bar1").gpus, (std::vector<int>{0}));  // 256 MiB on a 24 GiB card; the 1060 has 6 GiB
  EXPECT_TRUE(has(fs, "mixed-gpus"));
  EXPECT_TRUE(has(fs, "gpus-split-across-sockets"));
  EXPECT_EQ(get(fs, "pcie-aer-errors").gpus, std::vector<int>{2});
  EXPECT_TRUE(has(fs, "acs-redirect"));
  EXPECT_TRUE(has(fs, "cuda-build-cannot-run-gpu"));  // the GTX 1060 on a CUDA 13 build
  // The healthy pair has none of these.
  auto twin = doctor(Pair().build());
  for (const char* id : {"chipset-attached-gpu", "small-bar1", "mixed-gpus", "gpus-split-across-sockets", "pcie-aer-errors"})
    EXPECT_FALSE(has(twin, id)) << id;
}

TEST(Rules, GeforcePairWithoutP2P) {
  auto t = Pair(kRtx3090).build();
  EXPECT_TRUE(has(doctor(t), "p2p-unsupported"));
  t.pairs[0].p2p.cuda = true;  // an NVLink bridge or a driver that allows it
  EXPECT_FALSE(has(doctor(t), "p2p-unsupported"));
  auto dc = Pair().build();
  dc.pairs[0].p2p.nvml_read = "CHIPSET_NOT_SUPPORTED";
  auto fs = doctor(dc);
  ASSERT_TRUE(has(fs, "p2p-unsupported"));
  EXPECT_NE(get(fs, "p2p-unsupported").evidence[0].find("CHIPSET_NOT_SUPPORTED"), std::string::npos);
}

TEST(Rules, DatacenterPairsAcrossTheSocketsWithoutP2PAreThePlatformsPolicy) {
  // Two A100 PCIe, one per socket, no NVLink: CUDA grants no peer access across the sockets.
  auto across = [](const std::string& nvml) {
    TopologyBuilder b(2);
    b.gpu(b.root_port(b.host_bridge(0)), kA100, 4, 16);
    b.gpu(b.root_port(b.host_bridge(1)), kA100, 4, 16);
    b.set_p2p(0, 1, false);
    auto t = b.build();
    t.pairs[0].p2p.nvml_read = nvml;
    return t;
  };
  for (const char* nvml : {"", "IOH_TOPOLOGY_NOT_SUPPORTED"}) {
    const auto fs = doctor(across(nvml));
    ASSERT_TRUE(has(fs, "p2p-unsupported")) << nvml;
    EXPECT_EQ(get(fs, "p2p-unsupported").severity, Severity::info) << nvml;
    EXPECT_NE(get(fs, "p2p-unsupported").title.find("platform policy"), std::string::npos);
  }
  // The driver refusing the card itself is not the platform's policy.
  EXPECT_EQ(get(doctor(across("GPU_NOT_SUPPORTED")), "p2p-unsupported").severity, Severity::warning);
  // Nor is a pair on one socket.
  auto same = Pair().build();
  same.pairs[0].p2p.cuda = false;
  EXPECT_EQ(get(doctor(same), "p2p-unsupported").severity, Severity::warning);
}

TEST(Rules, AnUnstatedPairAcrossIntelSocketsIsThePlatformsPolicyNotAcrossEpycOnes) {
  // Nothing states P2P (a rig's stock grant): the platform decides (platforms.json). Two A100 PCIe
  // on two Xeon sockets get none, and the static rule names the policy; on two EPYC sockets they do.
  auto across = [](const std::string& cpu) {
    TopologyBuilder b(2);
    b.gpu(b.root_port(b.host_bridge(0)), kA100, 4, 16);
    b.gpu(b.root_port(b.host_bridge(1)), kA100, 4, 16);
    auto t = b.build();
    for (auto& p : t.packages) p.model = cpu;
    return t;
  };
  const auto intel = doctor(across("Intel(R) Xeon(R) Gold 6338 CPU @ 2.00GHz"));
  ASSERT_TRUE(has(intel, "p2p-unsupported"));
  const Finding& f = get(intel, "p2p-unsupported");
  EXPECT_EQ(f.severity, Severity::info);
  EXPECT_NE(f.title.find("platform policy"), std::string::npos);
  ASSERT_FALSE(f.evidence.empty());
  EXPECT_NE(f.evidence[0].find("no P2P across the sockets of Intel Xeon Scalable 3rd gen"), std::string::npos) << f.evidence[0];
  EXPECT_FALSE(has(doctor(across("AMD EPYC 9124 16-Core Processor")), "p2p-unsupported"));
  // A grant that is stated (measured, or a rig's "p2p": "all") wins over the policy.
  auto stated = across("Intel(R) Xeon(R) Gold 6338 CPU @ 2.00GHz");
  stated.pairs[0].p2p.cuda = true;
  EXPECT_FALSE(has(doctor(stated), "p2p-unsupported"));
}

TEST(Rules, AGpuTheModelTableLacksIsNamedAsSuchNotAFault) {
  // 10de:2fff is in no pci.ids and not in the table: judged on its own LnkCap, with an info.
  TopologyBuilder b;
  b.gpu(b.root_port(b.host_bridge()), 0x2fff, 5, 16);
  auto t = b.build();
  t.gpus[0].name = "NVIDIA device 10de:2fff";
  const auto fs = doctor(t);
  ASSERT_TRUE(has(fs, "gpu-model-not-in-table")) << ::testing::PrintToString(ids(fs));
  const auto& f = get(fs, "gpu-model-not-in-table");
  EXPECT_EQ(f.severity, Severity::info);
  EXPECT_NE(f.evidence[0].find("PCIe capability (its LnkCap) Gen5 x16"), std::string::npos) << f.evidence[0];
  EXPECT_EQ(diagnosis::worst(fs), Severity::info);
  EXPECT_FALSE(has(doctor(Pair().build()), "gpu-model-not-in-table"));
}

TEST(Rules, NvlinkFewerLinksThanTheModel) {
  Pair p(kV100Sxm2);
  p.b.nvlink(0, 1, 4, 2, 25.0);
  auto t = p.build();
  auto fs = doctor(t);
  ASSERT_TRUE(has(fs, "nvlink-fewer-links"));
  EXPECT_NE(get(fs, "nvlink-fewer-links").title.find("4 active NVLink links of 6"), std::string::npos);
  Pair full(kV100Sxm2);
  full.b.nvlink(0, 1, 6, 2, 25.0);
  EXPECT_FALSE(has(doctor(full.build()), "nvlink-fewer-links"));
}

TEST(Rules, KnownBadDriverAndNccl) {
  auto t = Pair(kRtx3090).build();
  t.system.nvidia_driver = "545.29.06";
  EXPECT_EQ(get(doctor(t), "driver-545-geforce-p2p").severity, Severity::critical);
  t.system.nvidia_driver = "535.183.01";
  EXPECT_FALSE(has(doctor(t), "driver-545-geforce-p2p"));
  auto a100 = Pair().build();
  a100.system.nvidia_driver = "545.29.06";
  EXPECT_FALSE(has(doctor(a100), "driver-545-geforce-p2p"));  // not a GeForce

  auto b = Pair(kRtx5090).build();
  b.system.nccl_version = 22405;  // 2.24.5
  EXPECT_TRUE(has(doctor(b), "nccl-too-old-for-blackwell-geforce"));
  b.system.nccl_version = 22809;
  EXPECT_FALSE(has(doctor(b), "nccl-too-old-for-blackwell-geforce"));
}

TEST(Rules, BuildCannotRunOnVoltaWithCuda13) {
  auto t = Pair(kV100Sxm2).build();
  auto fs = diagnosis::static_findings(t, cuda13());
  ASSERT_TRUE(has(fs, "cuda-build-cannot-run-gpu"));
  EXPECT_NE(get(fs, "cuda-build-cannot-run-gpu").fix.find("CUDA 12"), std::string::npos);
  diagnosis::BuildInfo cuda12{{60, 61, 70, 75, 80}, 12};
  EXPECT_FALSE(has(diagnosis::static_findings(t, cuda12), "cuda-build-cannot-run-gpu"));
  EXPECT_FALSE(has(diagnosis::static_findings(t, diagnosis::BuildInfo{}), "cuda-build-cannot-run-gpu"));  // no CUDA: no kernels to run
}

TEST(Rules, ABuildWithoutTheGpusArchitectureSaysToAddItNotToChangeToolkits) {
  // A Turing card and a CUDA 13 build made for Hopper only: the toolkit supports the card, the
  // build left it out.
  auto t = Pair(kRtx3090).build();
  t.gpus[0].compute_capability = t.gpus[1].compute_capability = "7.5";
  diagnosis::BuildInfo hopper_only{{90}, 13};
  auto fs = diagnosis::static_findings(t, hopper_only);
  ASSERT_TRUE(has(fs, "cuda-build-cannot-run-gpu"));
  const auto& f = get(fs, "cuda-build-cannot-run-gpu");
  EXPECT_NE(f.fix.find("-DCMAKE_CUDA_ARCHITECTURES=75;90"), std::string::npos) << f.fix;
  EXPECT_EQ(f.fix.find("CUDA 12"), std::string::npos) << f.fix;
  EXPECT_EQ(f.explanation.find("dropped"), std::string::npos) << f.explanation;
}

TEST(Rules, NoGpu) {
  topology::Topology t;
  auto fs = doctor(t);
  ASSERT_EQ(fs.size(), 1u);
  EXPECT_EQ(fs[0].id, "no-gpu");
  EXPECT_EQ(diagnosis::worst(fs), Severity::info);
}

// ---- measured -------------------------------------------------------------------------------

namespace {

bench::CellResult cell_of(const topology::Topology& t, const char* test, int index, double value,
                          bench::CellStatus status = bench::CellStatus::ok) {
  bench::SimBackend sim(t, fabric::default_fabric_constants());
  bench::CellResult r;
  r.plan = bench::plan_cells(*bench::find_test(test), t, sim, {}).at(index);
  r.unit = "GB/s";
  r.status = status;
  if (status == bench::CellStatus::ok) {
    r.sampling.samples = {value};
    r.sampling.stats = bench::summarize(r.sampling.samples);
  } else {
    r.detail = "detail";
  }
  return r;
}

std::vector<Finding> measured(const topology::Topology& t, std::vector<bench::CellResult> cells) {
  bench::BenchRun run;
  run.cells = std::move(cells);
  run.repetitions = 8;
  return diagnosis::measured_findings(t, run, diagnosis::judge_run(t, run));
}

}  // namespace

TEST(MeasuredRules, HealthyNumbersRaiseNothing) {
  auto t = Pair().build();
  EXPECT_TRUE(measured(t, {cell_of(t, "host_to_device_ce", 0, 26.7), cell_of(t, "device_to_device_write_ce", 0, 26.7)}).empty());
}

TEST(MeasuredRules, BelowExpectationNamesTheCauseOnThePath) {
  auto t = Pair(kA100, 0x001d).build();
  auto fs = measured(t, {cell_of(t, "device_to_device_write_ce", 0, 12.0)});
  ASSERT_TRUE(has(fs, "below-expectation"));
  EXPECT_NE(get(fs, "below-expectation").evidence[0].find("ACS redirect on"), std::string::npos)
      << get(fs, "below-expectation").evidence[0];
}

TEST(MeasuredRules, P2PSlowerThanHostStaged) {
  auto t = Pair().build();
  // Host-staged would give ~31.5 x 0.85 x 0.80 (Gen4 staging) = 21.4 GB/s; flagged below 90 % of it.
  auto fs = measured(t, {cell_of(t, "device_to_device_write_ce", 0, 9.9)});
  EXPECT_EQ(get(fs, "p2p-slower-than-host-staged").severity, Severity::critical);
  EXPECT_FALSE(has(measured(t, {cell_of(t, "device_to_device_write_ce", 0, 20.0)}), "p2p-slower-than-host-staged"));
}

// A healthy cell: the value is the expectation the judge gives it.
bench::CellResult healthy_cell(const topology::Topology& t, const char* test, int index) {
  auto c = cell_of(t, test, index, 1.0);
  bench::BenchRun run;
  run.cells = {c};
  run.repetitions = 8;
  const double expected = diagnosis::judge_run(t, run).at(0).expected.value;
  c.sampling.samples = {expected};
  c.sampling.stats = bench::summarize(c.sampling.samples);
  return c;
}

TEST(MeasuredRules, CrossSocketP2PIsComparedWithAStagedPathThatCrossesTheSocketsToo) {
  // Dual-socket Gen5, one H100 PCIe per socket, no NVLink: P2P crosses the socket link, and so
  // does a copy staged through host memory. A staged estimate from the GPUs' own links alone
  // (63 x 0.85 x 0.65 = 34.8 GB/s) called the healthy 33.9 GB/s P2P "slower than host-staged".
  TopologyBuilder b(2);
  b.gpu(b.root_port(b.host_bridge(0)), 0x2331, 5, 16);
  b.gpu(b.root_port(b.host_bridge(1)), 0x2331, 5, 16);
  auto t = b.build();
  for (const char* test : {"device_to_device_write_ce", "device_to_device_read_ce", "device_to_device_write_sm"}) {
    auto fs = measured(t, {healthy_cell(t, test, 0), healthy_cell(t, test, 1)});
    EXPECT_FALSE(has(fs, "p2p-slower-than-host-staged")) << test << ": " << ::testing::PrintToString(ids(fs));
  }
  // A real shortfall is still found: far below what staging across the sockets gives.
  EXPECT_TRUE(has(measured(t, {cell_of(t, "device_to_device_write_ce", 0, 5.0)}), "p2p-slower-than-host-staged"));
}

TEST(MeasuredRules, AStagedCopyCrossesTheSameNarrowLinkAsP2P) {
  // GPU1's link trained x8: P2P and the staged path both cross it, so P2P at the x8 rate is not
  // "slower than host-staged" (the staged estimate used the link's x16 maximum).
  Pair p;
  auto t = p.build();
  t.source.kind = "live";
  t.pci[t.gpus[1].node].link->current = {4, 8};
  for (const char* test : {"device_to_device_write_ce", "device_to_device_read_ce"}) {
    auto fs = measured(t, {healthy_cell(t, test, 0), healthy_cell(t, test, 1)});
    EXPECT_FALSE(has(fs, "p2p-slower-than-host-staged")) << test << ": " << ::testing::PrintToString(ids(fs));
  }
  // x8 Gen4 staged: 15.75 x 0.85 x 0.80 = 10.7 GB/s; a P2P figure well below it is still flagged.
  EXPECT_TRUE(has(measured(t, {cell_of(t, "device_to_device_write_ce", 0, 4.0)}), "p2p-slower-than-host-staged"));
}

TEST(MeasuredRules, ALinkDowntrainedInALaterCellIsFoundToo) {
  // GPU0 held its link in the first cell and fell to Gen1 in the second: the first observation
  // must not decide for the whole run.
  auto t = Pair().build();
  auto first = cell_of(t, "host_to_device_ce", 0, 26.7);
  first.observations = {bench::LinkObservation{0, {4, 16}, {4, 16}, 1700, 1700, 0x1, 0u, 10}};
  auto later = cell_of(t, "device_to_host_ce", 0, 26.7);
  later.observations = {bench::LinkObservation{0, {1, 16}, {1, 16}, 1700, 1700, 0x1, 0u, 10}};
  auto fs = measured(t, {first, later});
  ASSERT_TRUE(has(fs, "link-downtrained-under-load")) << ::testing::PrintToString(ids(fs));
  EXPECT_EQ(get(fs, "link-downtrained-under-load").evidence.size(), 1u) << "once per GPU";
}

TEST(MeasuredRules, CorruptionAndHangAreCritical) {
  auto t = Pair().build();
  auto fs = measured(t, {cell_of(t, "device_to_device_read_ce", 0, 0, bench::CellStatus::corrupt),
                         cell_of(t, "device_to_device_read_ce", 1, 0, bench::CellStatus::hang)});
  EXPECT_EQ(get(fs, "p2p-data-corruption").severity, Severity::critical);
  EXPECT_EQ(get(fs, "transfer-hang").severity, Severity::critical);
}

TEST(MeasuredRules, LinkDowntrainedUnderLoadReplaysThrottlingNuma) {
  auto t = Pair().build();
  auto c = cell_of(t, "host_to_device_ce", 0, 26.7);
  c.observations = {bench::LinkObservation{0, {1, 16}, {1, 16}, 1400, 1700, 0x40, 12u, 10}};
  c.host_numa_node = 1;
  auto fs = measured(t, {c});
  EXPECT_TRUE(has(fs, "link-downtrained-under-load"));
  EXPECT_TRUE(has(fs, "pcie-replays-during-test"));
  EXPECT_NE(get(fs, "throttling-during-test").evidence[0].find("hw_thermal_slowdown"), std::string::npos);
  EXPECT_TRUE(has(fs, "remote-numa-host-memory"));
  // The healthy twin: full link under load, no replays, only the idle reason, local memory.
  auto ok = cell_of(t, "host_to_device_ce", 0, 26.7);
  ok.observations = {bench::LinkObservation{0, {4, 16}, {4, 16}, 1700, 1700, 0x1, 0u, 10}};
  ok.host_numa_node = 0;
  EXPECT_TRUE(measured(t, {ok}).empty()) << ::testing::PrintToString(ids(measured(t, {ok})));
}

TEST(MeasuredRules, ManyCellsShortForOneCauseAreOneLineWithTheirCountRangeAndWorst) {
  // Both directions of a pair behind a redirecting switch port: one summary line for the test,
  // pointing to the finding that states the cause; every cell in the details.
  auto t = Pair(kA100, 0x001d).build();
  auto fs = measured(t, {cell_of(t, "device_to_device_write_ce", 0, 12.0), cell_of(t, "device_to_device_write_ce", 1, 10.5)});
  ASSERT_TRUE(has(fs, "below-expectation"));
  const auto& f = get(fs, "below-expectation");
  ASSERT_EQ(f.evidence.size(), 1u);
  const std::string& e = f.evidence[0];
  EXPECT_EQ(e.rfind("device_to_device_write_ce: 2 of 2 cells below expectation, ", 0), 0u) << e;
  EXPECT_NE(e.find("(10.50-12.00 GB/s)"), std::string::npos) << e;
  EXPECT_NE(e.find("; worst gpu1-gpu0 10.50, gpu0-gpu1 12.00"), std::string::npos) << e;
  EXPECT_NE(e.find("on their paths: ACS redirect on "), std::string::npos) << e;
  EXPECT_NE(e.find("(see acs-redirect)"), std::string::npos) << e;
  ASSERT_EQ(f.details.size(), 2u);
  EXPECT_EQ(f.details[0].rfind("device_to_device_write_ce/gpu0-gpu1: 12.00 GB/s = ", 0), 0u) << f.details[0];
}

TEST(MeasuredRules, PlatformLimitsAreNotCausesOfAShortfall) {
  // A Gen4 card in a Gen3 slot: the expectation assumes the slot, so a cell short of it names no
  // slot limit as its cause (the report states the platform's limits once, in its header).
  auto t = Pair().build();
  for (auto& n : t.pci)
    if (n.link) n.link->port_max = {3, 16};
  ASSERT_TRUE(t.pci[t.gpus[0].node].link && t.pci[t.gpus[0].node].link->device_max.gen > 3) << "the card must be held back";
  auto fs = measured(t, {cell_of(t, "device_to_device_write_ce", 0, 2.0)});
  ASSERT_TRUE(has(fs, "below-expectation"));
  EXPECT_EQ(get(fs, "below-expectation").evidence[0].find("slot is limited"), std::string::npos)
      << get(fs, "below-expectation").evidence[0];
}

// ---- switch uplinks under load (bench/uplink_monitor.h) ---------------------------------------

namespace {

topology::PciNode& uplink_node(topology::Topology& t) {
  for (auto& n : t.pci)
    if (n.kind == topology::PciKind::switch_upstream) return n;
  throw std::runtime_error("no switch");
}

bench::UplinkObservation seen(const topology::PciNode& n, topology::LinkState best, int samples = 40) {
  bench::UplinkObservation u;
  u.pci_node = n.id;
  u.address = n.address->str();
  u.min_link = {1, best.width};
  u.max_link = best;
  u.samples = samples;
  return u;
}

}  // namespace

TEST(MeasuredRules, ASwitchUplinkThatStaysBelowItsGenerationUnderLoadIsAFault) {
  // Read at rest (a live discovery): the uplink idles at Gen1, which the doctor rightly ignores.
  auto t = Pair().build();
  t.source.kind = "live";
  uplink_node(t).link->current = {1, 16};
  ASSERT_FALSE(has(doctor(t), "switch-uplink-degraded"));
  // While the copies ran it never got above Gen3 x16 of Gen4 x16.
  auto cell = cell_of(t, "host_to_device_ce", 0, 11.0);
  cell.uplinks = {seen(uplink_node(t), {3, 16})};
  auto fs = measured(t, {cell});
  ASSERT_TRUE(has(fs, "switch-uplink-degraded")) << ::testing::PrintToString(ids(fs));
  const Finding& f = get(fs, "switch-uplink-degraded");
  EXPECT_EQ(f.severity, Severity::warning);
  EXPECT_EQ(f.gpus, (std::vector<int>{0, 1}));
  EXPECT_NE(f.title.find("stayed at Gen3 x16 under load, below its Gen4 x16"), std::string::npos) << f.title;
  ASSERT_EQ(f.evidence.size(), 1u);
  EXPECT_NE(f.evidence[0].find("best Gen3 x16 (15.75 GB/s) in 40 sample(s)"), std::string::npos) << f.evidence[0];
  EXPECT_NE(f.evidence[0].find("host_to_device_ce/gpu0"), std::string::npos) << f.evidence[0];
  // Samples of several cells are merged: one that reached Gen4 x16 clears it.
  auto other = cell_of(t, "host_to_device_ce", 1, 26.0);
  other.uplinks = {seen(uplink_node(t), {4, 16}, 3)};
  EXPECT_FALSE(has(measured(t, {cell, other}), "switch-uplink-degraded"));
  // A rig file states the loaded state itself; the doctor judges it, this rule does not repeat it.
  t.source.kind = "json";
  EXPECT_FALSE(has(measured(t, {cell}), "switch-uplink-degraded"));
}

TEST(UplinkMonitor, SamplesTheSwitchUplinksAboveTheGpusFromSysfs) {
  auto t = Pair().build();
  const topology::PciNode& up = uplink_node(t);
  ASSERT_EQ(bench::switch_uplinks_above(t, {0, 1}), (std::vector<int>{up.id}));
  EXPECT_TRUE(bench::switch_uplinks_above(t, {}).empty());
  // The kernel's files for the upstream port (Documentation/ABI/testing/sysfs-bus-pci).
  const auto root = std::filesystem::temp_directory_path() / ("rigcheck-uplink-" + std::to_string(::getpid()));
  const auto dir = root / "sys/bus/pci/devices" / up.address->str();
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "current_link_speed") << "8.0 GT/s PCIe\n";
  std::ofstream(dir / "current_link_width") << "16\n";
  const topology::RootedFs fs(root.string());
  bench::UplinkMonitor m(fs, t, {up.id}, 1000);
  m.start();
  const auto obs = m.stop();
  ASSERT_EQ(obs.size(), 1u);
  EXPECT_EQ(obs[0].pci_node, up.id);
  EXPECT_EQ(obs[0].address, up.address->str());
  EXPECT_EQ(obs[0].max_link, (topology::LinkState{3, 16}));
  EXPECT_GE(obs[0].samples, 1);
  // A port whose files cannot be read, or read nonsense, gives no observation rather than a guess.
  std::ofstream(dir / "current_link_width") << "255\n";
  bench::UplinkMonitor bad(fs, t, {up.id}, 1000);
  EXPECT_TRUE(bad.stop().empty());
  std::filesystem::remove_all(root);
  bench::UplinkMonitor gone(fs, t, {up.id}, 1000);
  EXPECT_TRUE(gone.stop().empty());
}

TEST(UplinkMonitor, OnlyTheUplinksACopyCrossesAreSampled) {
  // Two GPUs below one switch: a copy between them never crosses its uplink; a host copy does.
  auto t = Pair().build();
  const int up = uplink_node(t).id;
  using fabric::Endpoint;
  fabric::Transfer peer{Endpoint::device(0), Endpoint::device(1)};
  fabric::Transfer to_host{Endpoint::device(1), Endpoint::host()};
  EXPECT_TRUE(bench::switch_uplinks_crossed(t, {peer}).empty());
  EXPECT_EQ(bench::switch_uplinks_crossed(t, {to_host}), (std::vector<int>{up}));
  EXPECT_EQ(bench::switch_uplinks_crossed(t, {peer, to_host}), (std::vector<int>{up}));
  // Across two switches each copy crosses both uplinks.
  TopologyBuilder b;
  const int hb = b.host_bridge();
  const int up0 = b.switch_up(b.root_port(hb), 4, 16), up1 = b.switch_up(b.root_port(hb), 4, 16);
  b.gpu(b.switch_down(up0), kA100, 4, 16);
  b.gpu(b.switch_down(up1), kA100, 4, 16);
  const auto two = b.build();
  EXPECT_EQ(bench::switch_uplinks_crossed(two, {peer}), (std::vector<int>{up0, up1}));
}
