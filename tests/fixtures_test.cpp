// The hwloc XMLs of real machines (fixtures/hwloc/SOURCES.md): GPU counts, BDFs, NUMA nodes and
// path classes exactly as SOURCES.md states them.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "rigcheck/topology/discover.h"
#include "rigcheck/topology/paths.h"

using namespace rigcheck::topology;

namespace {

Topology load(const std::string& name) {
  DiscoveryOptions o;
  o.xml = std::string(RIGCHECK_FIXTURES) + "/hwloc/" + name;
  return discover(o);
}

std::vector<std::string> bdfs(const Topology& t) {
  std::vector<std::string> out;
  for (const auto& g : t.gpus) out.push_back(g.address.str());
  return out;
}

std::vector<int> numa(const Topology& t) {
  std::vector<int> out;
  for (const auto& g : t.gpus) out.push_back(g.numa_node);
  return out;
}

int gpu_at(const Topology& t, const std::string& bdf) {
  for (const auto& g : t.gpus)
    if (g.address.str() == bdf) return g.index;
  ADD_FAILURE() << "no GPU at " << bdf;
  return -1;
}

PathClass cls(const Topology& t, const std::string& a, const std::string& b) {
  const GpuPair* p = t.pair(gpu_at(t, a), gpu_at(t, b));
  EXPECT_NE(p, nullptr);
  return p ? p->pcie : PathClass::unknown;
}

}  // namespace

TEST(Fixtures, Dgx2GpusAndNuma) {
  Topology t = load("nvidiaDGX2.xml");
  EXPECT_EQ(t.machine, "NVIDIA DGX-2H");
  EXPECT_EQ(bdfs(t), (std::vector<std::string>{"0000:34:00.0", "0000:36:00.0", "0000:39:00.0", "0000:3b:00.0",
                                                 "0000:57:00.0", "0000:59:00.0", "0000:5c:00.0", "0000:5e:00.0",
                                                 "0000:b7:00.0", "0000:b9:00.0", "0000:bc:00.0", "0000:be:00.0",
                                                 "0000:e0:00.0", "0000:e2:00.0", "0000:e5:00.0", "0000:e7:00.0"}));
  EXPECT_EQ(numa(t), (std::vector<int>{0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1}));
  for (const auto& g : t.gpus) EXPECT_EQ(g.name, "Tesla V100 SXM3 32GB");
}

TEST(Fixtures, Dgx2PathClassesFromSources) {
  Topology t = load("nvidiaDGX2.xml");
  EXPECT_EQ(cls(t, "0000:34:00.0", "0000:36:00.0"), PathClass::pix);
  EXPECT_EQ(cls(t, "0000:34:00.0", "0000:39:00.0"), PathClass::pxb);
  EXPECT_EQ(cls(t, "0000:34:00.0", "0000:57:00.0"), PathClass::node);
  EXPECT_EQ(cls(t, "0000:34:00.0", "0000:b7:00.0"), PathClass::sys);
}

TEST(Fixtures, Dgx2WholeMatrixIsBlockStructured) {
  // Pairs (2k, 2k+1) share a second-level switch, quads share the first level, eights a socket
  // (two host bridges per socket).
  Topology t = load("nvidiaDGX2.xml");
  ASSERT_EQ(t.pairs.size(), 16u * 15u / 2u);
  for (const auto& p : t.pairs) {
    PathClass expected = p.a / 8 != p.b / 8 ? PathClass::sys
                         : p.a / 4 != p.b / 4 ? PathClass::node
                         : p.a / 2 != p.b / 2 ? PathClass::pxb
                                              : PathClass::pix;
    EXPECT_EQ(p.pcie, expected) << "GPU" << p.a << "-GPU" << p.b;
  }
}

TEST(Fixtures, Dgx2NvlinkThroughNvswitches) {
  Topology t = load("nvidiaDGX2.xml");
  for (const auto& g : t.gpus) {
    int links = 0;
    for (const auto& b : g.nvlink) {
      EXPECT_EQ(b.remote_kind, "nvswitch");
      EXPECT_EQ(b.links, 1);
      EXPECT_DOUBLE_EQ(b.gbps_per_link, 25.0);
      links += b.links;
    }
    EXPECT_EQ(links, 6) << "GPU" << g.index;
  }
  for (const auto& p : t.pairs) {
    EXPECT_EQ(p.nvlink_links, 6);
    EXPECT_TRUE(p.via_nvswitch);
    EXPECT_EQ(p.bottleneck.kind, "nvlink");
    EXPECT_DOUBLE_EQ(p.bottleneck.gbps, 150.0);
  }
}

TEST(Fixtures, Dgx2TreeHasTwoLevelSwitches) {
  Topology t = load("nvidiaDGX2.xml");
  const Gpu& g = t.gpus[0];
  std::vector<PciKind> chain;
  for (int p = t.pci[g.node].parent; p >= 0; p = t.pci[p].parent) chain.push_back(t.pci[p].kind);
  EXPECT_EQ(chain, (std::vector<PciKind>{PciKind::switch_downstream, PciKind::switch_upstream, PciKind::switch_downstream,
                                         PciKind::switch_upstream, PciKind::root_port, PciKind::host_bridge}));
  // hwloc keeps only the current speed of each link in XML: Gen3 x16 here.
  EXPECT_NEAR(g.host_path.gbps, 15.75, 0.01);
}

TEST(Fixtures, Power8) {
  Topology t = load("power8gpudistances.xml");
  EXPECT_EQ(bdfs(t), (std::vector<std::string>{"0002:01:00.0", "0003:01:00.0", "000a:01:00.0", "000b:01:00.0"}));
  EXPECT_EQ(numa(t), (std::vector<int>{0, 0, 1, 1}));
  EXPECT_EQ(cls(t, "0002:01:00.0", "0003:01:00.0"), PathClass::node);
  EXPECT_EQ(cls(t, "000a:01:00.0", "000b:01:00.0"), PathClass::node);
  for (auto [a, b] : {std::pair{0, 2}, {0, 3}, {1, 2}, {1, 3}}) EXPECT_EQ(t.pair(a, b)->pcie, PathClass::sys);
  // NVLink 1.0 at 20 GB/s per link: 40000 MB/s bundles are two links.
  EXPECT_EQ(t.pair(0, 1)->nvlink_links, 2);
  EXPECT_FALSE(t.pair(0, 1)->via_nvswitch);
  EXPECT_EQ(t.pair(2, 3)->nvlink_links, 2);
  EXPECT_EQ(t.pair(0, 2)->nvlink_links, 0);
  EXPECT_DOUBLE_EQ(t.pair(0, 1)->bottleneck.gbps, 40.0);
  ASSERT_EQ(t.gpus[0].nvlink.size(), 2u);
  EXPECT_EQ(t.gpus[0].nvlink[1].remote_kind, "cpu");
  EXPECT_EQ(t.gpus[0].nvlink[1].remote, "package 0");
}

TEST(Fixtures, HpSl390s) {
  Topology t = load("24em64t-2n6c2t-pci.xml");
  EXPECT_EQ(bdfs(t), (std::vector<std::string>{"0000:06:00.0", "0000:11:00.0", "0000:14:00.0"}));
  EXPECT_EQ(numa(t), (std::vector<int>{0, 1, 1}));
  EXPECT_EQ(cls(t, "0000:11:00.0", "0000:14:00.0"), PathClass::phb);
  EXPECT_EQ(cls(t, "0000:06:00.0", "0000:11:00.0"), PathClass::sys);
  EXPECT_EQ(cls(t, "0000:06:00.0", "0000:14:00.0"), PathClass::sys);
  EXPECT_NEAR(t.gpus[0].host_path.gbps, 4.0, 0.01);
}

class SupermicroFixture : public ::testing::TestWithParam<const char*> {};

TEST_P(SupermicroFixture, PhbAndSys) {
  Topology t = load(GetParam());
  EXPECT_EQ(bdfs(t), (std::vector<std::string>{"0000:03:00.0", "0000:83:00.0", "0000:84:00.0"}));
  EXPECT_EQ(numa(t), (std::vector<int>{0, 1, 1}));
  EXPECT_EQ(cls(t, "0000:83:00.0", "0000:84:00.0"), PathClass::phb);
  EXPECT_EQ(cls(t, "0000:03:00.0", "0000:83:00.0"), PathClass::sys);
  EXPECT_EQ(cls(t, "0000:03:00.0", "0000:84:00.0"), PathClass::sys);
}

INSTANTIATE_TEST_SUITE_P(WholeAndNormalIo, SupermicroFixture,
                         ::testing::Values("32em64t-2n8c2t-pci-wholeio.xml", "32em64t-2n8c2t-pci-normalio.xml"));

TEST(Fixtures, Uv2000VgaClassGpusAcrossGroups) {
  Topology t = load("64intel64-3g2n+2n-irregulargroups+pci.xml");
  EXPECT_EQ(bdfs(t), (std::vector<std::string>{"0002:01:00.0", "0004:01:00.0"}));
  EXPECT_EQ(t.pci[t.gpus[0].node].class_id, 0x0300);  // VGA class, not 3D: still a GPU
  EXPECT_EQ(t.pair(0, 1)->pcie, PathClass::sys);
  // With disallowed PUs included, the GPUs' local CPUs are known (empty otherwise).
  EXPECT_EQ(t.gpus[0].local_cpus, "32-39");
  EXPECT_EQ(t.gpus[1].local_cpus, "56-63");
}

TEST(Fixtures, GpuLessMachineReportsNoGpu) {
  Topology t = load("96em64t-4n4d3ca2co-pci.xml");
  EXPECT_TRUE(t.gpus.empty());
  EXPECT_TRUE(t.pairs.empty());
  EXPECT_FALSE(t.pci.empty());
  bool said = false;
  for (const auto& n : t.notes) said = said || (n.source == "gpu" && n.message.find("no NVIDIA GPU") != std::string::npos);
  EXPECT_TRUE(said);
}

TEST(Fixtures, XmlNeverReadsTheLiveSystem) {
  Topology t = load("nvidiaDGX2.xml");
  EXPECT_EQ(t.source.kind, "xml");
  EXPECT_TRUE(t.system.kernel.empty());
  EXPECT_FALSE(t.system.root.has_value());
  EXPECT_EQ(t.system.iommu, IommuMode::unknown);
}
