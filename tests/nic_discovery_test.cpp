// NIC discovery on generated sysfs trees (support/fake_machine.h): /sys/class/infiniband,
// /sys/class/net, /sys/module, read through the same discovery the live machine takes, and the
// network findings of the doctor on what it found. The file contents are what the kernel writes
// (tests/fixtures/rigs/SOURCES.md says where each string comes from).

#include <gtest/gtest.h>
#include <hwloc.h>

#include <algorithm>
#include <fstream>
#include <set>

#include "fake_machine.h"
#include "rigcheck/diagnosis/network_rules.h"
#include "rigcheck/diagnosis/static_rules.h"
#include "rigcheck/topology/discover.h"
#include "rigcheck/topology/json.h"
#include "rigcheck/topology/nic_text.h"
#include "rigcheck/topology/rig.h"

using namespace rigcheck;
using namespace rigcheck::topology;
using rigcheck::testing::FakeFunction;
using rigcheck::testing::FakeMachine;
using rigcheck::testing::hgx_node;
using rigcheck::testing::TempDir;

namespace {

Topology discover_fake(const FakeMachine& m) {
  TempDir dir;
  rigcheck::testing::write_fake_sysfs(m, dir.path() / "root");
  DiscoveryOptions o;
  o.fsroot = (dir.path() / "root").string();
  o.query_nvml = false;
  return discover(o);
}

const Nic& nic(const Topology& t, const std::string& name) {
  for (const auto& n : t.nics)
    if (n.name == name) return n;
  throw std::runtime_error("no NIC " + name);
}

std::vector<std::string> ids(const std::vector<diagnosis::Finding>& fs) {
  std::vector<std::string> out;
  for (const auto& f : fs) out.push_back(f.id);
  std::sort(out.begin(), out.end());
  return out;
}

const diagnosis::Finding* find_id(const std::vector<diagnosis::Finding>& fs, const std::string& id) {
  for (const auto& f : fs)
    if (f.id == id) return &f;
  return nullptr;
}

bool evidence_has(const diagnosis::Finding& f, const std::string& text) {
  return std::any_of(f.evidence.begin(), f.evidence.end(), [&](const std::string& e) { return e.find(text) != std::string::npos; });
}

FakeFunction& function(FakeMachine& m, const std::string& bdf) {
  for (auto& f : m.functions)
    if (f.bdf == bdf) return f;
  throw std::runtime_error("no function " + bdf);
}

rigcheck::testing::FakeRdmaDevice& rdma(FakeMachine& m, const std::string& name) {
  for (auto& d : m.rdma)
    if (d.name == name) return d;
  throw std::runtime_error("no RDMA device " + name);
}

}  // namespace

// ---- the kernel's strings ------------------------------------------------------------------------

TEST(NicText, RatesAsTheKernelWritesThem) {
  // drivers/infiniband/core/sysfs.c rate_show: "%d%s Gb/sec (%dX%s)" with the lane speed's name.
  auto r = parse_ib_rate("200 Gb/sec (4X HDR)\n");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->gbit, 200);
  EXPECT_EQ(r->width, 4);
  EXPECT_EQ(r->speed, "HDR");
  EXPECT_EQ(parse_ib_rate("100 Gb/sec (4X EDR)")->gbit, 100);
  EXPECT_EQ(parse_ib_rate("56 Gb/sec (4X FDR)")->gbit, 56);
  EXPECT_EQ(parse_ib_rate("400 Gb/sec (4X NDR)")->speed, "NDR");
  EXPECT_EQ(parse_ib_rate("200 Gb/sec (2X NDR)")->width, 2);  // NDR200 ports: two NDR lanes
  EXPECT_EQ(parse_ib_rate("2.5 Gb/sec (1X SDR)")->gbit, 2.5);
  EXPECT_EQ(parse_ib_rate("25 Gb/sec (1X EDR)")->width, 1);  // a 25GbE RoCE port
  EXPECT_EQ(parse_ib_rate("10 Gb/sec (4X)")->speed, "");    // no speed name
  for (const char* bad : {"", "Gb/sec (4X HDR)", "200 Gb/sec", "200 Gb/sec (HDR)", "200 Gb/sec (0X HDR)", "200 Gb/s (4X HDR)",
                          "200 Gb/sec (4X HDR", "200 Gb/sec (4X H-R)", ".5 Gb/sec (1X SDR)"})
    EXPECT_FALSE(parse_ib_rate(bad)) << bad;
}

TEST(NicText, PortStatesAndSpeeds) {
  EXPECT_EQ(port_state_name("4: ACTIVE\n"), "ACTIVE");
  EXPECT_EQ(port_state_name("5: LinkUp"), "LinkUp");
  EXPECT_EQ(port_state_name("2: Polling"), "Polling");
  EXPECT_EQ(port_state_name("ACTIVE"), "ACTIVE");
  EXPECT_EQ(port_state_name(""), "");
  EXPECT_EQ(netdev_speed_gbit("100000\n"), 100);
  EXPECT_EQ(netdev_speed_gbit("25000"), 25);
  EXPECT_FALSE(netdev_speed_gbit("-1"));
  EXPECT_FALSE(netdev_speed_gbit(""));
  EXPECT_FALSE(netdev_speed_gbit("10G"));
  EXPECT_EQ(kernel_at_least("6.8.0-45-generic", 5, 12), true);
  EXPECT_EQ(kernel_at_least("5.12.0", 5, 12), true);
  EXPECT_EQ(kernel_at_least("5.4.0-216-generic", 5, 12), false);
  EXPECT_FALSE(kernel_at_least("fake", 5, 12));
}

// ---- discovery -------------------------------------------------------------------------------------

TEST(NicDiscovery, HgxNodeHasFourHcasNextToTheirGpus) {
  const Topology t = discover_fake(hgx_node());
  ASSERT_EQ(t.gpus.size(), 8u);
  ASSERT_EQ(t.nics.size(), 5u);  // four HCAs and the management port; lo and docker0 are virtual
  for (int s = 0; s < 4; ++s) {
    const Nic& n = nic(t, "mlx5_" + std::to_string(s));
    EXPECT_EQ(n.kind, NicKind::infiniband);
    EXPECT_EQ(n.vendor_id, 0x15b3);
    EXPECT_EQ(n.device_id, 0x101b);
    ASSERT_GE(n.node, 0);
    EXPECT_EQ(n.numa_node, s / 2);
    ASSERT_EQ(n.ports.size(), 1u);
    EXPECT_EQ(n.ports[0].state, "ACTIVE");
    EXPECT_EQ(n.ports[0].phys_state, "LinkUp");
    EXPECT_EQ(n.ports[0].link_layer, "InfiniBand");
    EXPECT_EQ(n.ports[0].rate_gbit, 200);
    EXPECT_EQ(n.ports[0].width, 4);
    EXPECT_EQ(n.ports[0].rate_text, "200 Gb/sec (4X HDR)");
    EXPECT_EQ(n.ports[0].netdev, "ib" + std::to_string(s));
    EXPECT_EQ(n.netdevs, std::vector<std::string>{"ib" + std::to_string(s)});
    ASSERT_TRUE(n.pcie_max && n.pcie_current);
    EXPECT_EQ(*n.pcie_max, (LinkState{4, 16}));
    EXPECT_EQ(*n.pcie_current, (LinkState{4, 16}));
    // Its two GPUs share its switch; the other switch of its socket is PHB, the other socket SYS.
    ASSERT_EQ(n.gpu_paths.size(), 8u);
    for (int g = 0; g < 8; ++g) {
      const PathClass want = g / 2 == s ? PathClass::pix : g / 4 == s / 2 ? PathClass::phb : PathClass::sys;
      EXPECT_EQ(n.gpu_paths[g], want) << "mlx5_" << s << " GPU" << g;
    }
  }
  const Nic& eth = nic(t, "eno1");
  EXPECT_EQ(eth.kind, NicKind::ethernet);
  EXPECT_EQ(eth.address.str(), "0000:60:00.0");
  ASSERT_EQ(eth.ports.size(), 1u);
  EXPECT_EQ(eth.ports[0].state, "UP");
  EXPECT_EQ(eth.ports[0].rate_gbit, 10);
  EXPECT_EQ(t.system.gpudirect_rdma.peer_module, "nvidia_peermem");
  EXPECT_EQ(t.system.gpudirect_rdma.dmabuf, false);  // proprietary kernel module
  // A fake root is not this machine: the test's own NCCL_* variables are not recorded.
  EXPECT_TRUE(t.system.nccl_network_env.empty());
  // NICs in PCI address order, indexes matching.
  for (size_t i = 0; i < t.nics.size(); ++i) {
    EXPECT_EQ(t.nics[i].index, static_cast<int>(i));
    if (i > 0) {
      EXPECT_LT(t.nics[i - 1].address, t.nics[i].address);
    }
  }
}

TEST(NicDiscovery, HealthyHgxNodeRaisesNoNetworkFinding) {
  const Topology t = discover_fake(hgx_node());
  EXPECT_EQ(ids(diagnosis::network_findings(t)), std::vector<std::string>{});
}

TEST(NicDiscovery, RoceNicOnTheOtherSocketIsFarFromTheGpus) {
  // Two GPUs on socket 0; a ConnectX-6 Dx (RoCE, 15b3:101d, Ethernet class) on socket 1, as on
  // NVIDIA/l2fwd-nv#6 (MT4125, link layer Ethernet, rate 100).
  FakeMachine m;
  m.kernel = "6.1.0-fake";
  m.nvidia_version_line = "NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  580.82.07  Release Build  (dvs-builder@U22)  Wed Sep 10 2025";
  m.functions = {
      {"0000:00:01.0", "", 0, 0x8086, 0x2030, 0x060400, 4, {4, 16}, {4, 16}, std::nullopt, 1, 1, "pcieport", 1},
      {"0000:01:00.0", "0000:00:01.0", 0, 0x10de, 0x2204, 0x030000, 0, {4, 16}, {4, 16}, std::nullopt, -1, -1, "nvidia", 2, 32ull << 30},
      {"0000:00:03.0", "", 0, 0x8086, 0x2032, 0x060400, 4, {4, 16}, {4, 16}, std::nullopt, 2, 2, "pcieport", 3},
      {"0000:02:00.0", "0000:00:03.0", 0, 0x10de, 0x2204, 0x030000, 0, {4, 16}, {4, 16}, std::nullopt, -1, -1, "nvidia", 4, 32ull << 30},
      {"0000:80:01.0", "", 1, 0x8086, 0x352a, 0x060400, 4, {4, 16}, {4, 16}, std::nullopt, 0x81, 0x81, "pcieport", 5},
      {"0000:81:00.0", "0000:80:01.0", 1, 0x15b3, 0x101d, 0x020000, 0, {4, 16}, {4, 16}, std::nullopt, -1, -1, "mlx5_core", 6}};
  m.rdma = {{"mlx5_0", "0000:81:00.0", {{"4: ACTIVE", "5: LinkUp", "100 Gb/sec (4X EDR)", "Ethernet"}}}};
  m.netdevs = {{"ens1f0np0", "0000:81:00.0", "up", "100000", 1, 0}};
  const Topology t = discover_fake(m);
  ASSERT_EQ(t.nics.size(), 1u);
  const Nic& n = t.nics[0];
  EXPECT_EQ(n.kind, NicKind::roce);
  EXPECT_EQ(n.ports[0].link_layer, "Ethernet");
  EXPECT_EQ(n.ports[0].netdev, "ens1f0np0");
  EXPECT_EQ(n.numa_node, 1);
  EXPECT_EQ(n.gpu_paths, (std::vector<PathClass>{PathClass::sys, PathClass::sys}));
  // No peer-memory module, but a 6.1 kernel with the open module: the dma-buf path works.
  EXPECT_EQ(t.system.gpudirect_rdma.peer_module, "");
  EXPECT_EQ(t.system.gpudirect_rdma.dmabuf, true);
  const auto fs = diagnosis::network_findings(t);
  EXPECT_EQ(ids(fs), std::vector<std::string>{"nic-far-from-gpus"});
  EXPECT_TRUE(evidence_has(*find_id(fs, "nic-far-from-gpus"), "mlx5_0 (0000:81:00.0, RoCE): nearest GPU is GPU0 at SYS"));
  // And the doctor carries it.
  EXPECT_TRUE(find_id(diagnosis::static_findings(t, diagnosis::BuildInfo{}), "nic-far-from-gpus"));
}

TEST(NicDiscovery, PortDownIsFoundWithItsPhysicalState) {
  FakeMachine m = hgx_node();
  rdma(m, "mlx5_2").ports[0] = {"1: DOWN", "2: Polling", "10 Gb/sec (4X SDR)", "InfiniBand"};
  rdma(m, "mlx5_3").ports[0] = {"2: INIT", "5: LinkUp", "200 Gb/sec (4X HDR)", "InfiniBand"};
  const Topology t = discover_fake(m);
  EXPECT_EQ(nic(t, "mlx5_2").ports[0].state, "DOWN");
  const auto fs = diagnosis::network_findings(t);
  EXPECT_EQ(ids(fs), (std::vector<std::string>{"nic-port-down", "nic-port-down"}));
  EXPECT_TRUE(evidence_has(fs[0], "mlx5_2 port 1 state DOWN, physical state Polling: nothing answers"));
  EXPECT_TRUE(evidence_has(fs[1], "mlx5_3 port 1 state INIT, physical state LinkUp: the link is up but no subnet manager"));
  for (const auto& f : fs) EXPECT_EQ(f.severity, diagnosis::Severity::warning);
  // A down port's rate file (SDR) is not a slow port: no rate finding for it.
}

TEST(NicDiscovery, DisabledPortIsOnlyAnInfo) {
  FakeMachine m = hgx_node();
  rdma(m, "mlx5_1").ports[0] = {"1: DOWN", "3: Disabled", "10 Gb/sec (4X SDR)", "InfiniBand"};
  const auto fs = diagnosis::network_findings(discover_fake(m));
  ASSERT_EQ(ids(fs), std::vector<std::string>{"nic-port-down"});
  EXPECT_EQ(fs[0].severity, diagnosis::Severity::info);
}

TEST(NicDiscovery, Gen4HcaTrainedX8) {
  FakeMachine m = hgx_node();
  function(m, "0000:15:00.0").sta = {4, 8};  // mlx5_1, on socket 0's second switch
  const Topology t = discover_fake(m);
  EXPECT_EQ(*nic(t, "mlx5_1").pcie_current, (LinkState{4, 8}));
  const auto fs = diagnosis::network_findings(t);
  ASSERT_EQ(ids(fs), std::vector<std::string>{"nic-pcie-link-downtrained"});
  EXPECT_EQ(fs[0].title, "mlx5_1 (0000:15:00.0, InfiniBand) PCIe link trained at Gen4 x8 of Gen4 x16");
  EXPECT_TRUE(evidence_has(fs[0], "current Gen4 x8 (126.031 Gb/s), maximum Gen4 x16 (252.062 Gb/s)"));
}

TEST(NicDiscovery, HdrHcaInAGen3SlotCannotCarryItsPort) {
  FakeMachine m = hgx_node();
  function(m, "0000:02:02.0").cap = {3, 16};  // the switch port above mlx5_0 is Gen3
  function(m, "0000:02:02.0").sta = {3, 16};
  function(m, "0000:05:00.0").sta = {3, 16};
  const auto fs = diagnosis::network_findings(discover_fake(m));
  ASSERT_EQ(ids(fs), std::vector<std::string>{"nic-pcie-slower-than-port"});
  EXPECT_EQ(fs[0].title, "mlx5_0 (0000:05:00.0, InfiniBand): its PCIe Gen3 x16 link (126.031 Gb/s) cannot carry its network ports (200 Gb/s)");
}

TEST(NicDiscovery, PortBelowItsPeers) {
  FakeMachine m = hgx_node();
  rdma(m, "mlx5_3").ports[0].rate = "100 Gb/sec (4X EDR)";  // an EDR cable on an HDR HCA
  const auto fs = diagnosis::network_findings(discover_fake(m));
  ASSERT_EQ(ids(fs), std::vector<std::string>{"nic-port-rate-below"});
  EXPECT_EQ(fs[0].title, "mlx5_3 (0000:95:00.0, InfiniBand) port 1 runs at 100 Gb/s, below 200 Gb/s");
  EXPECT_TRUE(evidence_has(fs[0], "100 Gb/sec (4X EDR); other ports of the same adapter model on this node run at 200 Gb/s"));
}

TEST(NicDiscovery, NoPeerMemoryModuleAndNoDmabuf) {
  FakeMachine m = hgx_node();
  m.modules = {"nvidia"};  // nvidia_peermem not loaded; proprietary module: no dma-buf either
  const Topology t = discover_fake(m);
  EXPECT_EQ(t.system.gpudirect_rdma.peer_module, "");
  const auto fs = diagnosis::network_findings(t);
  ASSERT_EQ(ids(fs), std::vector<std::string>{"gpudirect-rdma-unavailable"});
  EXPECT_TRUE(evidence_has(fs[0], "RDMA adapters: mlx5_0, mlx5_1, mlx5_2, mlx5_3"));
  EXPECT_TRUE(evidence_has(fs[0], "neither nvidia_peermem nor nv_peer_mem loaded"));
  EXPECT_TRUE(evidence_has(fs[0], "NVIDIA proprietary kernel module"));
  // The legacy module counts.
  m.modules = {"nvidia", "nv_peer_mem"};
  EXPECT_EQ(discover_fake(m).system.gpudirect_rdma.peer_module, "nv_peer_mem");
  EXPECT_TRUE(diagnosis::network_findings(discover_fake(m)).empty());
}

TEST(NicDiscovery, AcsRedirectBetweenAnHcaAndItsGpus) {
  FakeMachine m = hgx_node();
  function(m, "0000:02:02.0").acs = std::pair<uint16_t, uint16_t>{0x005f, 0x001d};  // above mlx5_0
  const Topology t = discover_fake(m);
  const auto fs = diagnosis::network_findings(t);
  ASSERT_EQ(ids(fs), std::vector<std::string>{"nic-gpu-path-acs-redirect"});
  EXPECT_TRUE(evidence_has(fs[0], "0000:02:02.0 (switch_downstream): ACS SV RR CR UF (redirects P2P); carries mlx5_0-GPU0, mlx5_0-GPU1"));
  // The GPUs' own path does not cross that port: no GPU-GPU ACS finding.
  EXPECT_FALSE(find_id(diagnosis::static_findings(t, diagnosis::BuildInfo{}), "acs-redirect"));
}

TEST(NicDiscovery, IommuTranslatingOnTheNicGpuPath) {
  // GPUDirect RDMA is NIC-GPU peer traffic: with the IOMMU translating, every access is remapped.
  Topology t = discover_fake(hgx_node());
  t.system.iommu = topology::IommuMode::translated;
  t.system.iommu_evidence = {"intel_iommu=on without iommu=pt"};
  const auto fs = diagnosis::network_findings(t);
  ASSERT_EQ(ids(fs), std::vector<std::string>{"nic-gpu-path-iommu-translated"});
  EXPECT_EQ(fs[0].severity, diagnosis::Severity::warning);
  EXPECT_TRUE(evidence_has(fs[0], "intel_iommu=on without iommu=pt"));
  EXPECT_TRUE(evidence_has(fs[0], "mlx5_0: GPU0, GPU1 within PXB"));
  // Pass-through (iommu=pt) leaves peer DMA untranslated.
  t.system.iommu = topology::IommuMode::passthrough;
  EXPECT_TRUE(diagnosis::network_findings(t).empty());
}

TEST(NicDiscovery, UnboundNetworkControllerIsListedWithANote) {
  FakeMachine m = hgx_node();
  m.rdma.erase(m.rdma.begin());  // mlx5_0's driver is not loaded: no RDMA device, no ib0
  m.netdevs.erase(m.netdevs.begin());
  function(m, "0000:05:00.0").driver = "";
  const Topology t = discover_fake(m);
  const Nic& n = nic(t, "0000:05:00.0");
  EXPECT_EQ(n.kind, NicKind::infiniband);  // class 0x0207
  EXPECT_TRUE(n.ports.empty());
  EXPECT_TRUE(std::any_of(t.notes.begin(), t.notes.end(), [](const Note& note) {
    return note.source == "network" && note.message == "network controller 0000:05:00.0 has no network interface or RDMA device (no driver bound)";
  }));
}

// ---- hwloc's view: an XML exported on the node ------------------------------------------------------

TEST(NicDiscovery, FromAnHwlocXmlOfTheNode) {
  TempDir dir;
  const FakeMachine m = hgx_node();
  rigcheck::testing::write_fake_sysfs(m, dir.path() / "root");
  // What `lstopo --of xml --whole-io` writes on that machine: hwloc's own export of the tree.
  setenv("HWLOC_FSROOT", (dir.path() / "root").c_str(), 1);
  setenv("HWLOC_COMPONENTS", "linux,stop", 1);
  hwloc_topology_t h;
  hwloc_topology_init(&h);
  hwloc_topology_set_io_types_filter(h, HWLOC_TYPE_FILTER_KEEP_ALL);
  ASSERT_EQ(hwloc_topology_load(h), 0);
  const std::string xml = (dir.path() / "node.xml").string();
  ASSERT_EQ(hwloc_topology_export_xml(h, xml.c_str(), 0), 0);
  hwloc_topology_destroy(h);
  unsetenv("HWLOC_FSROOT");
  unsetenv("HWLOC_COMPONENTS");
  std::ifstream in(xml);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_NE(text.find("mlx5_0"), std::string::npos);

  DiscoveryOptions o;
  o.xml = xml;
  o.query_nvml = false;
  const Topology t = discover(o);
  ASSERT_EQ(t.nics.size(), 5u);
  const Nic& n = nic(t, "mlx5_2");
  EXPECT_EQ(n.kind, NicKind::infiniband);
  EXPECT_EQ(n.netdevs, std::vector<std::string>{"ib2"});
  ASSERT_EQ(n.ports.size(), 1u);
  EXPECT_EQ(n.ports[0].state, "ACTIVE");
  EXPECT_EQ(n.ports[0].netdev, "ib2");
  EXPECT_EQ(n.gpu_paths[4], PathClass::pix);
  EXPECT_EQ(nic(t, "eno1").kind, NicKind::ethernet);
  EXPECT_EQ(t.system.gpudirect_rdma.peer_module, "?");  // not in an XML
  // hwloc keeps the GUID and the MAC; the topology does not.
  ASSERT_NE(text.find(m.rdma[0].node_guid), std::string::npos);
  ASSERT_NE(text.find(m.netdevs[0].address), std::string::npos);
  const std::string json = to_json(t).dump();
  EXPECT_EQ(json.find(m.rdma[0].node_guid), std::string::npos);
  EXPECT_EQ(json.find(m.netdevs[0].address), std::string::npos);
}

// ---- the rig fixture: each variant raises its network finding and no other ----------------------

TEST(NicRig, EveryVariantRaisesExactlyItsNetworkFinding) {
  std::ifstream in(std::string(RIGCHECK_FIXTURES) + "/rigs/pcie-8gpu-4hca-node.json");
  const Rig rig = parse_rig(nlohmann::json::parse(in));
  const std::set<std::string> network = {"nic-far-from-gpus",     "nic-pcie-link-downtrained",  "nic-pcie-slower-than-port",
                                         "nic-port-rate-below",   "nic-port-down",              "gpudirect-rdma-unavailable",
                                         "nic-gpu-path-acs-redirect", "nccl-env-disables-rdma"};
  ASSERT_EQ(rig.variants.size(), 9u);
  for (const auto& v : rig.variants) {
    const Topology t = expand_rig(rig, v.name);
    std::vector<std::string> got;
    for (const auto& f : diagnosis::static_findings(t, diagnosis::BuildInfo{}))
      if (network.count(f.id)) got.push_back(f.id);
    EXPECT_EQ(got, v.expect) << v.name;
  }
}
