// Config space decoding on bytes built by the fake-machine generator and by hand.

#include <gtest/gtest.h>

#include "fake_machine.h"
#include "rigcheck/topology/config_space.h"

using namespace rigcheck::topology;

TEST(ConfigSpace, DecodesPcieLinkAcsAndAer) {
  rigcheck::testing::FakeFunction f;
  f.vendor = 0x10b5;
  f.device = 0x8747;
  f.class_code = 0x060400;
  f.pcie_type = 6;
  f.cap = {4, 16};
  f.sta = {1, 8};
  f.acs = std::pair<uint16_t, uint16_t>{0x005f, 0x001d};
  f.secondary_bus = 3;
  f.subordinate_bus = 3;
  f.bdf = "0000:02:08.0";
  f.aer_correctable = 0x40;
  auto bytes = rigcheck::testing::config_space(f);
  ConfigSpaceInfo info = parse_config_space(bytes);
  EXPECT_EQ(info.vendor_id, 0x10b5);
  EXPECT_EQ(info.device_id, 0x8747);
  EXPECT_EQ(info.header_type, 1);
  ASSERT_TRUE(info.pcie_type);
  EXPECT_EQ(*info.pcie_type, PcieType::switch_downstream);
  EXPECT_EQ(info.link_capability, (LinkState{4, 16}));
  EXPECT_EQ(info.link_status, (LinkState{1, 8}));
  ASSERT_TRUE(info.acs);
  EXPECT_EQ(info.acs->capability, 0x005f);
  EXPECT_EQ(info.acs->control, 0x001d);
  EXPECT_EQ(info.aer_correctable_status, std::optional<uint32_t>(0x40));
}

TEST(ConfigSpace, SixtyFourBytesHaveNoCapabilities) {
  rigcheck::testing::FakeFunction f;
  f.vendor = 0x10de;
  f.device = 0x2204;
  f.class_code = 0x030000;
  f.cap = {4, 16};
  f.sta = {4, 16};
  f.bdf = "0000:03:00.0";
  auto bytes = rigcheck::testing::config_space(f);
  ConfigSpaceInfo info = parse_config_space(std::span<const uint8_t>(bytes.data(), 64));
  EXPECT_EQ(info.vendor_id, 0x10de);
  EXPECT_FALSE(info.pcie_type.has_value());
  EXPECT_FALSE(info.acs.has_value());
}

TEST(ConfigSpace, CapabilityLoopsTerminate) {
  std::vector<uint8_t> b(4096, 0);
  b[0x06] = 0x10;  // capability list present
  b[0x34] = 0x40;
  b[0x40] = 0x01;  // PM capability pointing at itself
  b[0x41] = 0x40;
  ConfigSpaceInfo info = parse_config_space(b);
  EXPECT_FALSE(info.pcie_type.has_value());
}

TEST(ConfigSpace, ExtendedCapabilityLoopTerminates) {
  std::vector<uint8_t> b(4096, 0);
  b[0x06] = 0x10;
  b[0x34] = 0x40;
  b[0x40] = 0x10;  // PCIe capability, last in the list
  // Extended capability at 0x100 whose next pointer is 0x100 again.
  b[0x100] = 0x0b;  // vendor-specific id
  b[0x102] = 0x01;
  b[0x103] = 0x10;  // next = 0x100
  ConfigSpaceInfo info = parse_config_space(b);
  EXPECT_TRUE(info.pcie_type.has_value());
  EXPECT_FALSE(info.acs.has_value());
}

TEST(ConfigSpace, TruncatedInputIsSafe) {
  std::vector<uint8_t> b(10, 0xff);
  ConfigSpaceInfo info = parse_config_space(b);
  EXPECT_EQ(info.bytes, 10u);
  EXPECT_EQ(info.vendor_id, 0);
}
