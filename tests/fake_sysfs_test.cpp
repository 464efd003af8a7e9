// Discovery on generated sysfs trees and lspci dumps (support/fake_machine.h): the same code
// paths live hardware takes, on machines with switches, ACS, downtrained links and a chipset slot.

#include <gtest/gtest.h>
#include <hwloc.h>

#include <fstream>

#include "fake_machine.h"
#include "rigcheck/topology/discover.h"
#include "rigcheck/topology/errors.h"
#include "rigcheck/topology/paths.h"

using namespace rigcheck::topology;
using rigcheck::testing::FakeMachine;
using rigcheck::testing::reference_machine;
using rigcheck::testing::TempDir;

namespace {

Topology discover_fake(const FakeMachine& m, const TempDir& dir) {
  rigcheck::testing::write_fake_sysfs(m, dir.path() / "root");
  DiscoveryOptions o;
  o.fsroot = (dir.path() / "root").string();
  return discover(o);
}

const Gpu& gpu(const Topology& t, const std::string& bdf) {
  for (const auto& g : t.gpus)
    if (g.address.str() == bdf) return g;
  throw std::runtime_error("no GPU " + bdf);
}

const PciNode& node(const Topology& t, const std::string& bdf) {
  for (const auto& n : t.pci)
    if (n.address && n.address->str() == bdf) return n;
  throw std::runtime_error("no PCI node " + bdf);
}

PathClass cls(const Topology& t, const std::string& a, const std::string& b) {
  return t.pair(gpu(t, a).index, gpu(t, b).index)->pcie;
}

bool has_note(const Topology& t, const std::string& source, const std::string& text) {
  for (const auto& n : t.notes)
    if (n.source == source && n.message.find(text) != std::string::npos) return true;
  return false;
}

// hwloc's own XML export of a fake root, as `lstopo --of xml` would write it on that machine.
std::string export_xml(const std::filesystem::path& root, const std::filesystem::path& out) {
  setenv("HWLOC_FSROOT", root.c_str(), 1);
  setenv("HWLOC_COMPONENTS", "linux,stop", 1);
  hwloc_topology_t t;
  hwloc_topology_init(&t);
  hwloc_topology_set_io_types_filter(t, HWLOC_TYPE_FILTER_KEEP_ALL);
  EXPECT_EQ(hwloc_topology_load(t), 0);
  EXPECT_EQ(hwloc_topology_export_xml(t, out.c_str(), 0), 0);
  hwloc_topology_destroy(t);
  unsetenv("HWLOC_FSROOT");
  unsetenv("HWLOC_COMPONENTS");
  return out.string();
}

}  // namespace

class ReferenceMachine : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir;
    topo_ = new Topology(discover_fake(reference_machine(), *dir_));
  }
  static void TearDownTestSuite() {
    delete topo_;
    delete dir_;
  }
  static TempDir* dir_;
  static Topology* topo_;
};
TempDir* ReferenceMachine::dir_ = nullptr;
Topology* ReferenceMachine::topo_ = nullptr;

TEST_F(ReferenceMachine, FindsEveryGpuInBusOrder) {
  const Topology& t = *topo_;
  ASSERT_EQ(t.gpus.size(), 6u);
  std::vector<std::string> bdfs;
  for (const auto& g : t.gpus) bdfs.push_back(g.address.str());
  EXPECT_EQ(bdfs, (std::vector<std::string>{"0000:03:00.0", "0000:04:00.0", "0000:05:00.0", "0000:06:00.0",
                                            "0000:41:00.0", "0000:81:00.0"}));
  EXPECT_EQ(gpu(t, "0000:03:00.0").name, "GeForce RTX 3090");
  EXPECT_EQ(gpu(t, "0000:81:00.0").name, "H100 SXM5 80GB");
  EXPECT_EQ(gpu(t, "0000:81:00.0").compute_capability, "9.0");
}

TEST_F(ReferenceMachine, NumaNodesAndLocalCpus) {
  const Topology& t = *topo_;
  EXPECT_EQ(t.packages.size(), 2u);
  EXPECT_EQ(t.numa_nodes.size(), 2u);
  EXPECT_EQ(gpu(t, "0000:03:00.0").numa_node, 0);
  EXPECT_EQ(gpu(t, "0000:03:00.0").local_cpus, "0-3");
  EXPECT_EQ(gpu(t, "0000:81:00.0").numa_node, 1);
  EXPECT_EQ(gpu(t, "0000:81:00.0").local_cpus, "4-7");
}

TEST_F(ReferenceMachine, BridgeKindsFromConfigSpace) {
  const Topology& t = *topo_;
  EXPECT_EQ(node(t, "0000:00:01.0").kind, PciKind::root_port);
  EXPECT_EQ(node(t, "0000:01:00.0").kind, PciKind::switch_upstream);
  EXPECT_EQ(node(t, "0000:02:08.0").kind, PciKind::switch_downstream);
  EXPECT_EQ(node(t, "0000:02:10.0").kind, PciKind::switch_downstream);
  EXPECT_EQ(node(t, "0000:03:00.0").kind, PciKind::endpoint);
  EXPECT_EQ(t.pci[node(t, "0000:00:01.0").parent].kind, PciKind::host_bridge);
}

TEST_F(ReferenceMachine, AcsRedirectOnOneDownstreamPortOffOnTheOther) {
  const Topology& t = *topo_;
  const PciNode& on = node(t, "0000:02:08.0");
  const PciNode& off = node(t, "0000:02:10.0");
  ASSERT_TRUE(on.acs && off.acs);
  EXPECT_EQ(on.acs->control, 0x001d);
  EXPECT_TRUE(on.acs->redirects_p2p());
  EXPECT_EQ(off.acs->control, 0x0000);
  EXPECT_FALSE(off.acs->redirects_p2p());
  EXPECT_EQ(off.acs->capability, 0x005f);
  EXPECT_FALSE(node(t, "0000:01:00.0").acs.has_value());  // the upstream port has no ACS capability
}

TEST_F(ReferenceMachine, IdleGen1LinkKeepsItsMaximum) {
  const PciNode& n = node(*topo_, "0000:03:00.0");
  ASSERT_TRUE(n.link);
  EXPECT_EQ(n.link->source, "config");
  EXPECT_EQ(n.link->current, (LinkState{1, 16}));
  EXPECT_EQ(n.link->max, (LinkState{4, 16}));
  // The host path is judged on the maximum, not on the idle Gen1 value.
  EXPECT_NEAR(gpu(*topo_, "0000:03:00.0").host_path.gbps, pcie_gbps(4, 16), 1e-9);
}

TEST_F(ReferenceMachine, GpuTrainedX8InAnX16Slot) {
  const PciNode& n = node(*topo_, "0000:04:00.0");
  ASSERT_TRUE(n.link);
  EXPECT_EQ(n.link->device_max, (LinkState{4, 16}));
  EXPECT_EQ(n.link->port_max, (LinkState{4, 16}));
  EXPECT_EQ(n.link->current, (LinkState{4, 8}));
}

TEST_F(ReferenceMachine, SlotLimitsTheGen4GpuToGen3) {
  // RTX 3090 (Gen4) on a Gen3 root port: max is the slot's.
  const PciNode& n = node(*topo_, "0000:05:00.0");
  EXPECT_EQ(n.link->device_max, (LinkState{4, 16}));
  EXPECT_EQ(n.link->port_max, (LinkState{3, 16}));
  EXPECT_EQ(n.link->max, (LinkState{3, 16}));
  EXPECT_NEAR(gpu(*topo_, "0000:05:00.0").host_path.gbps, 15.7538, 1e-3);
}

TEST_F(ReferenceMachine, ChipsetAttachedGpu) {
  const Topology& t = *topo_;
  const Gpu& g = gpu(t, "0000:06:00.0");
  EXPECT_TRUE(g.chipset_attached);
  EXPECT_TRUE(node(t, "0000:00:1c.4").chipset);
  EXPECT_FALSE(gpu(t, "0000:03:00.0").chipset_attached);
  // The x1 slot is slower than Alder Lake's assumed DMI 4.0 x4, so the slot is the bottleneck.
  EXPECT_EQ(g.host_path.kind, "pcie");
  EXPECT_NEAR(g.host_path.gbps, pcie_gbps(3, 1), 1e-9);
}

TEST_F(ReferenceMachine, PathClassesIncludingUnevenPaths) {
  const Topology& t = *topo_;
  EXPECT_EQ(cls(t, "0000:03:00.0", "0000:04:00.0"), PathClass::pix);
  // Three bridges on one side, one on the other, meeting at the host bridge (hwloc's own
  // common-ancestor helper crashes here).
  EXPECT_EQ(cls(t, "0000:03:00.0", "0000:05:00.0"), PathClass::phb);
  EXPECT_EQ(cls(t, "0000:05:00.0", "0000:04:00.0"), PathClass::phb);
  EXPECT_EQ(cls(t, "0000:03:00.0", "0000:06:00.0"), PathClass::phb);
  EXPECT_EQ(cls(t, "0000:03:00.0", "0000:41:00.0"), PathClass::node);
  EXPECT_EQ(cls(t, "0000:03:00.0", "0000:81:00.0"), PathClass::sys);
  EXPECT_EQ(cls(t, "0000:41:00.0", "0000:81:00.0"), PathClass::sys);
}

TEST_F(ReferenceMachine, PairBottleneckIsTheSlowestLinkOnThePath) {
  const Topology& t = *topo_;
  const GpuPair* p = t.pair(gpu(t, "0000:03:00.0").index, gpu(t, "0000:05:00.0").index);
  EXPECT_NEAR(p->bottleneck.gbps, pcie_gbps(3, 16), 1e-9);
  EXPECT_EQ(t.pci[p->bottleneck.node].address->str(), "0000:05:00.0");
}

TEST_F(ReferenceMachine, Bar1DriverAndIommuGroup) {
  const Topology& t = *topo_;
  EXPECT_EQ(gpu(t, "0000:03:00.0").bar1_bytes, 256ull << 20);
  EXPECT_EQ(gpu(t, "0000:04:00.0").bar1_bytes, 32ull << 30);
  EXPECT_EQ(node(t, "0000:03:00.0").driver, "nvidia");
  EXPECT_EQ(node(t, "0000:03:00.0").iommu_group, 14);
  EXPECT_EQ(node(t, "0000:01:00.0").driver, "pcieport");
}

TEST_F(ReferenceMachine, SystemStateFromTheFakeRoot) {
  const SystemState& s = topo_->system;
  EXPECT_EQ(s.kernel, "6.1.0-fake");
  EXPECT_EQ(s.nvidia_driver, "580.82.07");
  EXPECT_EQ(s.nvidia_params.at("EnableResizableBar"), "0");
  EXPECT_EQ(s.iommu, IommuMode::passthrough);  // units present, GPU groups "identity"
  EXPECT_EQ(s.config_space_restricted, std::optional<bool>(false));
  EXPECT_FALSE(s.root.has_value());  // a fake root says nothing about who ran rigcheck
  EXPECT_TRUE(has_note(*topo_, "cuda", "not queried"));
}

TEST(FakeSysfs, TranslatedIommuFromGroupType) {
  TempDir dir;
  FakeMachine m = reference_machine();
  m.cmdline = "BOOT_IMAGE=/vmlinuz ro intel_iommu=on";
  for (auto& [group, type] : m.iommu_group_types) type = "DMA-FQ";
  EXPECT_EQ(discover_fake(m, dir).system.iommu, IommuMode::translated);
}

TEST(FakeSysfs, NoIommuUnitMeansOff) {
  TempDir dir;
  FakeMachine m = reference_machine();
  m.iommu_units = false;
  m.iommu_group_types.clear();
  EXPECT_EQ(discover_fake(m, dir).system.iommu, IommuMode::off);
}

TEST(FakeSysfs, NonRootReadSeesOnly64BytesAndFallsBackToSysfsLinks) {
  TempDir dir;
  FakeMachine m = reference_machine();
  m.config_bytes = 64;
  Topology t = discover_fake(m, dir);
  ASSERT_EQ(t.gpus.size(), 6u);
  EXPECT_EQ(t.system.config_space_restricted, std::optional<bool>(true));
  EXPECT_TRUE(has_note(t, "pci", "only 64 bytes"));
  for (const auto& n : t.pci) EXPECT_FALSE(n.acs.has_value()) << "ACS cannot be read without root";
  const PciNode& idle = node(t, "0000:03:00.0");
  EXPECT_EQ(idle.config_bytes, 64);
  ASSERT_TRUE(idle.link);
  EXPECT_EQ(idle.link->source, "sysfs");
  EXPECT_EQ(idle.link->max, (LinkState{4, 16}));
  EXPECT_EQ(idle.link->current, (LinkState{1, 16}));
  // Bridge kinds cannot come from config space; the tree position gives the same answer.
  EXPECT_EQ(node(t, "0000:01:00.0").kind, PciKind::switch_upstream);
  EXPECT_EQ(node(t, "0000:02:08.0").kind, PciKind::switch_downstream);
  EXPECT_EQ(cls(t, "0000:03:00.0", "0000:04:00.0"), PathClass::pix);
}

TEST(FakeSysfs, XmlPlusLspciDumpGivesTheSameLinksAndAcs) {
  TempDir dir;
  FakeMachine m = reference_machine();
  Topology live = discover_fake(m, dir);
  std::string xml = export_xml(dir.path() / "root", dir.path() / "topo.xml");
  std::ofstream(dir.path() / "lspci.txt") << rigcheck::testing::lspci_dump(m);

  DiscoveryOptions o;
  o.xml = xml;
  o.pci_dump = (dir.path() / "lspci.txt").string();
  Topology t = discover(o);
  ASSERT_EQ(t.gpus.size(), live.gpus.size());
  for (size_t i = 0; i < t.gpus.size(); ++i) {
    EXPECT_EQ(t.gpus[i].address, live.gpus[i].address);
    EXPECT_EQ(t.pci[t.gpus[i].node].link->max, live.pci[live.gpus[i].node].link->max);
    EXPECT_EQ(t.pci[t.gpus[i].node].link->current, live.pci[live.gpus[i].node].link->current);
  }
  EXPECT_TRUE(node(t, "0000:02:08.0").acs->redirects_p2p());
  EXPECT_FALSE(node(t, "0000:02:10.0").acs->redirects_p2p());
  for (const auto& p : live.pairs) EXPECT_EQ(t.pair(p.a, p.b)->pcie, p.pcie);
  // Without the dump the same XML knows no generation or width.
  DiscoveryOptions bare;
  bare.xml = xml;
  Topology no_dump = discover(bare);
  EXPECT_FALSE(no_dump.pci[no_dump.gpus[0].node].link->max.known());
  EXPECT_TRUE(has_note(no_dump, "pci", "without a PCI dump"));
}

TEST(FakeSysfs, MalformedDumpIsAnInputError) {
  TempDir dir;
  DiscoveryOptions o;
  o.xml = std::string(RIGCHECK_FIXTURES) + "/hwloc/nvidiaDGX2.xml";
  o.pci_dump = (dir.path() / "bad.txt").string();
  std::ofstream(o.pci_dump) << "0000:34:00.0 GPU\n00: 10 de zz\nthis is not a dump\n";
  EXPECT_THROW(discover(o), InputError);
  o.pci_dump = (dir.path() / "missing.txt").string();
  EXPECT_THROW(discover(o), InputError);
}

TEST(FakeSysfs, EmptyFakeRootIsAnInputError) {
  TempDir dir;
  DiscoveryOptions o;
  o.fsroot = dir.path().string();
  EXPECT_THROW(discover(o), InputError);
}
