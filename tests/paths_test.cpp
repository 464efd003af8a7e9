// The lowest-common-ancestor walk and the path classes on hand-built trees.

#include <gtest/gtest.h>

#include "rigcheck/topology/paths.h"

using namespace rigcheck::topology;

namespace {

int add(Topology& t, int parent, PciKind kind, std::optional<LinkState> max = std::nullopt) {
  PciNode n;
  n.id = static_cast<int>(t.pci.size());
  n.parent = parent;
  n.kind = kind;
  n.address = PciAddress{0, static_cast<uint8_t>(n.id), 0, 0};
  if (max) n.link = PciLink{*max, *max, *max, *max, 0, "config"};
  t.pci.push_back(n);
  return n.id;
}

}  // namespace

TEST(Paths, UnevenDepthsMeetAtTheHostBridge) {
  Topology t;
  int hb = add(t, -1, PciKind::host_bridge);
  t.pci[hb].numa_nodes = {0};
  int rp1 = add(t, hb, PciKind::root_port);
  int up = add(t, rp1, PciKind::switch_upstream, LinkState{3, 16});
  int dn = add(t, up, PciKind::switch_downstream);
  int deep = add(t, dn, PciKind::endpoint, LinkState{4, 16});
  int rp2 = add(t, hb, PciKind::root_port);
  int shallow = add(t, rp2, PciKind::endpoint, LinkState{4, 8});
  EXPECT_EQ(lowest_common_ancestor(t, deep, shallow), hb);
  EXPECT_EQ(lowest_common_ancestor(t, shallow, deep), hb);
  EXPECT_EQ(bridges_between(t, deep, hb), 3);
  EXPECT_EQ(bridges_between(t, shallow, hb), 1);
  EXPECT_EQ(classify_path(t, deep, shallow), PathClass::phb);
  EXPECT_EQ(classify_path(t, deep, deep), PathClass::same);
  // Host path of the deep GPU: the Gen3 x16 switch uplink is slower than its own Gen4 x16 link.
  Bottleneck b = host_path_bottleneck(t, deep);
  EXPECT_EQ(b.node, up);
  EXPECT_NEAR(b.gbps, pcie_gbps(3, 16), 1e-9);
  EXPECT_EQ(host_path_bottleneck(t, shallow).node, shallow);
}

TEST(Paths, OneSwitchIsPixTwoLevelsArePxb) {
  Topology t;
  int hb = add(t, -1, PciKind::host_bridge);
  int rp = add(t, hb, PciKind::root_port);
  int up = add(t, rp, PciKind::switch_upstream);
  int d1 = add(t, up, PciKind::switch_downstream);
  int d2 = add(t, up, PciKind::switch_downstream);
  int g1 = add(t, d1, PciKind::endpoint);
  int g2 = add(t, d2, PciKind::endpoint);
  int up2 = add(t, d2, PciKind::switch_upstream);  // a second-level switch under d2
  int d3 = add(t, up2, PciKind::switch_downstream);
  int g3 = add(t, d3, PciKind::endpoint);
  EXPECT_EQ(classify_path(t, g1, g2), PathClass::pix);
  EXPECT_EQ(classify_path(t, g1, g3), PathClass::pxb);
  EXPECT_EQ(classify_path(t, g2, g3), PathClass::pxb);
}

TEST(Paths, AcrossRootBusesNodeOrSys) {
  Topology t;
  int hb0 = add(t, -1, PciKind::host_bridge);
  t.pci[hb0].package = 0;
  t.pci[hb0].numa_nodes = {0};
  int hb1 = add(t, -1, PciKind::host_bridge);
  t.pci[hb1].package = 0;
  t.pci[hb1].numa_nodes = {0};
  int hb2 = add(t, -1, PciKind::host_bridge);
  t.pci[hb2].package = 1;
  t.pci[hb2].numa_nodes = {1};
  int hb3 = add(t, -1, PciKind::host_bridge);  // same package, another NUMA node (SNC / NPS)
  t.pci[hb3].package = 0;
  t.pci[hb3].numa_nodes = {2};
  int g0 = add(t, add(t, hb0, PciKind::root_port), PciKind::endpoint);
  int g1 = add(t, add(t, hb1, PciKind::root_port), PciKind::endpoint);
  int g2 = add(t, add(t, hb2, PciKind::root_port), PciKind::endpoint);
  int g3 = add(t, add(t, hb3, PciKind::root_port), PciKind::endpoint);
  EXPECT_EQ(lowest_common_ancestor(t, g0, g1), -1);
  EXPECT_EQ(classify_path(t, g0, g1), PathClass::node);
  EXPECT_EQ(classify_path(t, g0, g2), PathClass::sys);
  EXPECT_EQ(classify_path(t, g0, g3), PathClass::sys);
}

TEST(Paths, UnknownLinkSpeedsGiveAnUnknownBottleneck) {
  Topology t;
  int hb = add(t, -1, PciKind::host_bridge);
  int rp = add(t, hb, PciKind::root_port);
  int g = add(t, rp, PciKind::endpoint);
  Bottleneck b = host_path_bottleneck(t, g);
  EXPECT_EQ(b.gbps, 0);
  EXPECT_EQ(b.kind, "unknown");
}

TEST(Paths, IntelChipsetRootPortAddsTheDmiUplink) {
  Topology t;
  int hb = add(t, -1, PciKind::host_bridge);
  int rp = add(t, hb, PciKind::root_port);
  t.pci[rp].vendor_id = 0x8086;
  t.pci[rp].chipset = true;
  t.pci[rp].name = "Intel Corporation 100 Series/C230 Series Chipset Family PCI Express Root Port #5";
  int g = add(t, rp, PciKind::endpoint, LinkState{3, 16});
  Bottleneck b = host_path_bottleneck(t, g);
  EXPECT_EQ(b.kind, "dmi");
  EXPECT_NEAR(b.gbps, pcie_gbps(3, 4), 1e-9);  // DMI 3.0 is a Gen3 x4 link
}
