// The simulated fabric against hand-computed answers (issue: measurement engine).
// Efficiencies come from fabric/data/fabric.json; expected values are written out from them.

#include <gtest/gtest.h>

#include "rigcheck/fabric/fabric.h"
#include "rigcheck/bench/sim_backend.h"
#include "rigcheck/topology/pcie_link.h"
#include "topology_builder.h"

using namespace rigcheck::bench;
using namespace rigcheck::fabric;
using rigcheck::testing::TopologyBuilder;
using rigcheck::topology::pcie_gbps;
using rigcheck::topology::PciKind;

namespace {

constexpr uint16_t kA100 = 0x20b2;   // datacenter: P2P over PCIe allowed
constexpr uint16_t kRtx3090 = 0x2204;  // GeForce: no P2P with the stock driver
constexpr uint16_t kRedirect = 0x001d;  // ACS SV RR CR UF

const FabricConstants& C() { return default_fabric_constants(); }

// GB/s of each transfer when run together once, from the backend's timings (no noise).
std::vector<double> rates(SimBackend& sim, const std::vector<Transfer>& ts) {
  CopyOutcome o = sim.run_copies(ts, 1, 1e9);
  EXPECT_TRUE(o.error.empty()) << o.error;
  std::vector<double> out;
  for (size_t i = 0; i < ts.size(); ++i) {
    double bytes = static_cast<double>(ts[i].bytes) * (ts[i].split_bidirectional ? 2 : 1);
    double seconds = o.timings[i].seconds - C().copy_overhead_us * 1e-6;
    out.push_back(bytes / seconds / 1e9);
  }
  return out;
}

FabricConstants quiet() {
  FabricConstants c = C();
  c.noise_sigma = 0;
  return c;
}

constexpr uint64_t kBytes = 1ull << 30;

Transfer copy(Endpoint src, Endpoint dst, Engine e = Engine::ce) { return Transfer{src, dst, e, Initiator::src, kBytes}; }

// Two A100s under one PCIe switch on socket 0; the switch uplink at `up_gen` x16.
struct SwitchPair {
  TopologyBuilder b;
  int g0, g1;
  SwitchPair(int up_gen, uint16_t acs = 0, uint16_t device = kA100) {
    int hb = b.host_bridge();
    int up = b.switch_up(b.root_port(hb), up_gen, 16);
    g0 = b.gpu(b.switch_down(up, acs), device, 4, 16);
    g1 = b.gpu(b.switch_down(up, acs), device, 4, 16);
  }
};

}  // namespace

TEST(Fabric, TwoGpusShareTheirSwitchUplinkForAllToHost) {
  SwitchPair rig(3);
  auto t = rig.b.build();
  SimBackend sim(t, quiet());
  const double uplink = pcie_gbps(3, 16);  // 15.75
  auto alone = rates(sim, {copy(Endpoint::device(0), Endpoint::host())});
  EXPECT_NEAR(alone[0], uplink * C().pcie_efficiency_ce, 1e-6);
  auto both = rates(sim, {copy(Endpoint::device(0), Endpoint::host()), copy(Endpoint::device(1), Endpoint::host())});
  EXPECT_NEAR(both[0], uplink / 2 * C().pcie_efficiency_ce, 1e-6);
  EXPECT_NEAR(both[1], uplink / 2 * C().pcie_efficiency_ce, 1e-6);
}

TEST(Fabric, AcsRedirectSendsASwitchLocalPairThroughTheRootComplex) {
  SwitchPair direct(4), redirected(4, kRedirect);
  auto td = direct.b.build(), tr = redirected.b.build();
  Fabric fd(td, quiet()), fr(tr, quiet());
  Route rd = fd.route(Endpoint::device(0), Endpoint::device(1), Engine::ce);
  Route rr = fr.route(Endpoint::device(0), Endpoint::device(1), Engine::ce);
  EXPECT_EQ(rd.edges.size(), 2u);  // GPU0 link up, GPU1 link down: the switch turns it around
  bool via_root = false;
  for (int e : rr.edges) via_root = via_root || fr.edge_name(e).find("root complex") != std::string::npos;
  EXPECT_TRUE(via_root);
  EXPECT_GT(rr.latency_ns, rd.latency_ns);

  // Bidirectional: without ACS each direction gets its full Gen4 x16 link; with redirect both
  // directions cross the uplink both ways and the root complex, and halve.
  SimBackend sd(td, quiet()), sr(tr, quiet());
  auto bidir = [](SimBackend& s) {
    return rates(s, {copy(Endpoint::device(0), Endpoint::device(1)), copy(Endpoint::device(1), Endpoint::device(0))});
  };
  const double link = pcie_gbps(4, 16);
  EXPECT_NEAR(bidir(sd)[0], link * C().pcie_efficiency_ce, 1e-6);
  EXPECT_NEAR(bidir(sr)[0], link / 2 * C().pcie_efficiency_ce, 1e-6);
}

TEST(Fabric, AGpuAtX8HalvesItsHostBandwidth) {
  TopologyBuilder b;
  int hb = b.host_bridge();
  b.gpu(b.root_port(hb), kA100, 4, 16);
  b.gpu(b.root_port(hb), kA100, 4, 8);
  auto t = b.build();
  SimBackend sim(t, quiet());
  double x16 = rates(sim, {copy(Endpoint::host(), Endpoint::device(0))})[0];
  double x8 = rates(sim, {copy(Endpoint::host(), Endpoint::device(1))})[0];
  EXPECT_NEAR(x16, pcie_gbps(4, 16) * C().pcie_efficiency_ce, 1e-6);
  EXPECT_NEAR(x8 / x16, 0.5, 1e-9);
}

TEST(Fabric, UnsupportedP2PBecomesHostStaged) {
  SwitchPair rig(4, 0, kRtx3090);
  auto t = rig.b.build();
  SimBackend sim(t, quiet());
  EXPECT_EQ(sim.peer_path(0, 1, Engine::ce), PeerPath::host_staged);
  EXPECT_EQ(sim.peer_path(0, 1, Engine::sm), PeerPath::unsupported);
  // Both legs cross the shared Gen4 x16 uplink (up, then down): the slower leg bounds it, and
  // staging costs its efficiency factor.
  double staged = rates(sim, {copy(Endpoint::device(0), Endpoint::device(1))})[0];
  EXPECT_NEAR(staged, pcie_gbps(4, 16) * C().pcie_efficiency_ce * C().host_staged_efficiency_gen4, 1e-6);
  CopyOutcome sm = sim.run_copies({copy(Endpoint::device(0), Endpoint::device(1), Engine::sm)}, 1, 1e9);
  EXPECT_FALSE(sm.error.empty());
  // A measured "yes" from CUDA overrides the model table's policy (a patched driver).
  SwitchPair patched(4, 0, kRtx3090);
  patched.b.set_p2p(0, 1, true);
  auto tp = patched.b.build();
  SimBackend sp(tp, quiet());
  EXPECT_EQ(sp.peer_path(0, 1, Engine::sm), PeerPath::direct);
}

TEST(Fabric, NvlinkPairsBeatPcieByTheLinkRatio) {
  TopologyBuilder b;
  int hb = b.host_bridge();
  for (int i = 0; i < 3; ++i) b.gpu(b.root_port(hb), 0x1db1, 3, 16);  // V100 SXM2
  b.nvlink(0, 1, 2, 2, 25.0);                                        // NV2: 50 GB/s per direction
  auto t = b.build();
  SimBackend sim(t, quiet());
  double nv = rates(sim, {copy(Endpoint::device(0), Endpoint::device(1))})[0];
  double pcie = rates(sim, {copy(Endpoint::device(0), Endpoint::device(2))})[0];
  // NVLink 2 (V100): its own copy-engine efficiency.
  EXPECT_NEAR(nv, 50.0 * C().nvlink_efficiency_ce_v2, 1e-6);
  // PHB pair across root ports: Gen3 x16 links, root complex forwarding not the limit.
  EXPECT_NEAR(pcie, pcie_gbps(3, 16) * C().pcie_efficiency_ce, 1e-6);
  EXPECT_NEAR(nv / pcie, (50.0 * C().nvlink_efficiency_ce_v2) / (pcie_gbps(3, 16) * C().pcie_efficiency_ce), 1e-9);
}

TEST(Fabric, RemoteNumaHostMemoryCrossesTheSocketLink) {
  TopologyBuilder b(2);
  int hb0 = b.host_bridge(0);
  b.gpu(b.root_port(hb0), 0x2330, 5, 16);  // H100 Gen5 x16: 63 GB/s > inter-socket 40
  auto t = b.build();
  SimBackend sim(t, quiet());
  double local = rates(sim, {copy(Endpoint::host(0), Endpoint::device(0))})[0];
  double remote = rates(sim, {copy(Endpoint::host(1), Endpoint::device(0))})[0];
  // "Test CPU" is no platform of the table: the stated default, two UPI links at 10.4 GT/s.
  Fabric f(t, quiet());
  EXPECT_FALSE(f.platform().known);
  EXPECT_EQ(f.platform().links, 2);
  const double socket = 10.4 * 2 * C().socket_link_efficiency;  // one link: 14.4 GB/s < Gen5 x16
  EXPECT_NEAR(local, pcie_gbps(5, 16) * C().pcie_efficiency_ce_gen5, 1e-6);
  EXPECT_NEAR(remote, socket * C().pcie_efficiency_ce_gen5, 1e-6);
}

TEST(Fabric, ChipsetGpusShareTheDmiUplink) {
  TopologyBuilder b;
  int hb = b.host_bridge();
  int rp = b.root_port(hb);
  auto& t0 = b.raw();
  t0.pci[rp].vendor_id = 0x8086;
  t0.pci[rp].chipset = true;
  t0.pci[rp].name = "Intel Corporation 200 Series PCH PCI Express Root Port #5";
  b.gpu(rp, kA100, 3, 16);
  auto t = b.build();
  SimBackend sim(t, quiet());
  double r = rates(sim, {copy(Endpoint::host(), Endpoint::device(0))})[0];
  EXPECT_NEAR(r, pcie_gbps(3, 4) * C().pcie_efficiency_ce, 1e-6);  // DMI 3.0 = Gen3 x4
}

TEST(Fabric, IommuTranslationPenalisesPeerTraffic) {
  SwitchPair rig(4);
  auto t = rig.b.build();
  t.system.iommu = rigcheck::topology::IommuMode::translated;
  SimBackend sim(t, quiet());
  double r = rates(sim, {copy(Endpoint::device(0), Endpoint::device(1))})[0];
  EXPECT_NEAR(r, pcie_gbps(4, 16) * C().pcie_efficiency_ce * C().iommu_translated_p2p_factor, 1e-6);
}

TEST(Fabric, MaxMinGivesLeftoverCapacityToTheUnconstrainedFlow) {
  // GPU0 at x4 and GPU1 at x16 behind one Gen4 x16 uplink: GPU0 is held by its own x4 link,
  // GPU1 takes the rest of the uplink (not just half).
  TopologyBuilder b;
  int up = b.switch_up(b.root_port(b.host_bridge()), 4, 16);
  b.gpu(b.switch_down(up), kA100, 4, 4);
  b.gpu(b.switch_down(up), kA100, 4, 16);
  auto t = b.build();
  SimBackend sim(t, quiet());
  auto r = rates(sim, {copy(Endpoint::device(0), Endpoint::host()), copy(Endpoint::device(1), Endpoint::host())});
  EXPECT_NEAR(r[0], pcie_gbps(4, 4) * C().pcie_efficiency_ce, 1e-6);
  EXPECT_NEAR(r[1], (pcie_gbps(4, 16) - pcie_gbps(4, 4)) * C().pcie_efficiency_ce, 1e-6);
}

TEST(Fabric, WhenOneFlowEndsTheOthersSpeedUp) {
  SwitchPair rig(3);
  auto t = rig.b.build();
  SimBackend sim(t, quiet());
  // GPU1 moves twice the bytes: shares the uplink until GPU0 is done, then has it alone.
  Transfer big = copy(Endpoint::device(1), Endpoint::host());
  big.bytes = 2 * kBytes;
  CopyOutcome o = sim.run_copies({copy(Endpoint::device(0), Endpoint::host()), big}, 1, 1e9);
  const double full = pcie_gbps(3, 16) * C().pcie_efficiency_ce * 1e9;
  const double t0 = kBytes / (full / 2);
  const double t1 = t0 + kBytes / full;  // the second GiB at full rate
  const double overhead = C().copy_overhead_us * 1e-6;
  EXPECT_NEAR(o.timings[0].seconds, t0 + overhead, 1e-9);
  EXPECT_NEAR(o.timings[1].seconds, t1 + overhead, 1e-9);
}

TEST(Fabric, NoiseIsSeededAndSmall) {
  SwitchPair rig(4);
  auto t = rig.b.build();
  SimBackend a(t, C(), 7), b(t, C(), 7), c(t, C(), 8);
  auto ta = a.run_copies({copy(Endpoint::host(), Endpoint::device(0))}, 1, 1e9).timings[0].seconds;
  auto tb = b.run_copies({copy(Endpoint::host(), Endpoint::device(0))}, 1, 1e9).timings[0].seconds;
  auto tc = c.run_copies({copy(Endpoint::host(), Endpoint::device(0))}, 1, 1e9).timings[0].seconds;
  EXPECT_EQ(ta, tb);
  EXPECT_NE(ta, tc);
  EXPECT_NEAR(ta / tc, 1.0, 0.05);
}

TEST(Fabric, LatencyGrowsWithHopsAndHostStagingIsMicroseconds) {
  SwitchPair rig(4);
  auto t = rig.b.build();
  SimBackend sim(t, quiet());
  auto peer = sim.run_latency(0, Endpoint::device(1), 1);
  auto host = sim.run_latency(0, Endpoint::host(), 1);
  ASSERT_TRUE(peer.ns && host.ns);
  EXPECT_NEAR(*peer.ns, C().base_access_ns + 2 * C().pcie_hop_ns, 1e-9);
  EXPECT_GT(*host.ns, *peer.ns);
  SwitchPair geforce(4, 0, kRtx3090);
  auto tg = geforce.b.build();
  SimBackend sg(tg, quiet());
  EXPECT_FALSE(sg.run_latency(0, Endpoint::device(1), 1).ns.has_value());
}

TEST(Fabric, ACaptureAtRestIsSimulatedAtMaxGenerationButItsWidthAsRead) {
  // A topology read from a machine at rest: GPU0 idles at Gen1 x16, GPU1 trained x8.
  TopologyBuilder b;
  int hb = b.host_bridge();
  b.gpu(b.root_port(hb), kA100, 4, 16);
  b.gpu(b.root_port(hb), kA100, 4, 16);
  auto t = b.build();
  t.pci[t.gpus[0].node].link->current = {1, 16};
  t.pci[t.gpus[1].node].link->current = {4, 8};
  t.source.kind = "live";
  SimBackend live(t, quiet());
  EXPECT_NEAR(rates(live, {copy(Endpoint::host(), Endpoint::device(0))})[0], pcie_gbps(4, 16) * C().pcie_efficiency_ce, 1e-6);
  EXPECT_NEAR(rates(live, {copy(Endpoint::host(), Endpoint::device(1))})[0], pcie_gbps(4, 8) * C().pcie_efficiency_ce, 1e-6);
  // The same numbers in a rig (loaded state): Gen1 is what the riser really does.
  t.source.kind = "json";
  SimBackend rig(t, quiet());
  EXPECT_NEAR(rates(rig, {copy(Endpoint::host(), Endpoint::device(0))})[0], pcie_gbps(1, 16) * C().pcie_efficiency_ce, 1e-6);
}

// Both directions of one GPU's host link at once (nvbandwidth's *_bidirectional_memcpy_ce): each
// copy keeps its architecture's published share (fabric.json host_duplex_share), which is not a
// fair split: an A100 loses H2D and keeps D2H, an H100 the other way round.
namespace {
std::vector<double> duplex_rates(uint16_t device, int gen, Engine engine = Engine::ce) {
  TopologyBuilder b;
  b.gpu(b.root_port(b.host_bridge()), device, gen, 16);
  auto t = b.build();
  Fabric f(t, quiet());
  // The rates while both run (the sim would let the faster one finish and the other speed up).
  const Route h2d = f.route(Endpoint::host(), Endpoint::device(0), engine);
  const Route d2h = f.route(Endpoint::device(0), Endpoint::host(), engine);
  return f.fair_rates({&h2d, &d2h});
}
}  // namespace

TEST(Fabric, HostCopiesBothWaysKeepTheArchitecturesDuplexShare) {
  const auto& ampere = C().host_duplex_share.at("Ampere");
  const auto& hopper = C().host_duplex_share.at("Hopper");
  ASSERT_LT(ampere.h2d, ampere.d2h);  // the published asymmetry this test is about
  ASSERT_GT(hopper.h2d, hopper.d2h);
  const double gen4 = pcie_gbps(4, 16) * C().pcie_efficiency_ce;
  auto a100 = duplex_rates(kA100, 4);
  EXPECT_NEAR(a100[0], gen4 * ampere.h2d, 1e-6);
  EXPECT_NEAR(a100[1], gen4 * ampere.d2h, 1e-6);
  const double gen5 = pcie_gbps(5, 16) * C().pcie_efficiency_ce_gen5;
  auto h100 = duplex_rates(0x2330, 5);
  EXPECT_NEAR(h100[0], gen5 * hopper.h2d, 1e-6);
  EXPECT_NEAR(h100[1], gen5 * hopper.d2h, 1e-6);
}

TEST(Fabric, DuplexShareNeedsTheOtherDirectionOnTheSameGpu) {
  // Two A100s on their own root ports: GPU0 reads host memory while GPU1 writes it. Different
  // links, so neither loses anything; one direction alone is the plain CE rate.
  TopologyBuilder b;
  const int hb = b.host_bridge();
  b.gpu(b.root_port(hb), kA100, 4, 16);
  b.gpu(b.root_port(hb), kA100, 4, 16);
  auto t = b.build();
  Fabric f(t, quiet());
  const double gen4 = pcie_gbps(4, 16) * C().pcie_efficiency_ce;
  const Route h2d0 = f.route(Endpoint::host(), Endpoint::device(0), Engine::ce);
  const Route d2h1 = f.route(Endpoint::device(1), Endpoint::host(), Engine::ce);
  const FairShare both = f.fair_share({&h2d0, &d2h1});
  EXPECT_NEAR(both.rates[0], gen4, 1e-6);
  EXPECT_NEAR(both.rates[1], gen4, 1e-6);
  EXPECT_EQ(both.duplex, (std::vector<double>{1, 1}));
  const Route d2h0 = f.route(Endpoint::device(0), Endpoint::host(), Engine::ce);
  EXPECT_EQ(f.fair_share({&h2d0, &d2h0}).duplex, (std::vector<double>{C().host_duplex_share.at("Ampere").h2d, C().host_duplex_share.at("Ampere").d2h}));
}

TEST(Fabric, ArchitecturesWithoutAPublishedDuplexShareAndSmCopiesKeepIndependentDirections) {
  ASSERT_EQ(C().host_duplex_share.count("Volta"), 0u);
  const double gen3 = pcie_gbps(3, 16) * C().pcie_efficiency_ce;
  auto v100 = duplex_rates(0x1db1, 3);
  EXPECT_NEAR(v100[0], gen3, 1e-6);
  EXPECT_NEAR(v100[1], gen3, 1e-6);
  const double sm = pcie_gbps(4, 16) * C().pcie_efficiency_sm;
  auto a100_sm = duplex_rates(kA100, 4, Engine::sm);
  EXPECT_NEAR(a100_sm[0], sm, 1e-6);
  EXPECT_NEAR(a100_sm[1], sm, 1e-6);
}
