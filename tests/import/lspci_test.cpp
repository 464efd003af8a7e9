// lspci -vv LnkCap/LnkSta lines: both wordings in the fixtures, and the link they give to the
// expectation of a GPU they name.

#include <gtest/gtest.h>

#include "support.h"

namespace rigcheck::import_test {
namespace {

TEST(ImportLspci, OkAndDowngradedWording) {
  const auto m = import_fixture("lspci-4090-riser-lnksta-ok-wording.txt");
  ASSERT_EQ(m.lspci.size(), 1u);
  const auto& k = m.lspci[0];
  EXPECT_EQ(k.device, "");
  EXPECT_EQ(k.cap, (topology::LinkState{4, 16}));
  EXPECT_EQ(k.sta, (topology::LinkState{1, 16}));
  EXPECT_TRUE(k.speed_downgraded);
  EXPECT_FALSE(k.width_downgraded);  // "(ok)"
  const auto ids = finding_ids(m);
  EXPECT_TRUE(ids.count("pcie-gen-below-max-at-rest"));  // an idle Gen1 link is not a fault
  EXPECT_FALSE(ids.count("pcie-width-below-max"));
}

TEST(ImportLspci, WidthDowngradedWithoutLnkCap) {
  const auto m = import_fixture("lspci-quadro-rtx8000-pi-x1-downgraded.txt");
  ASSERT_EQ(m.lspci.size(), 1u);
  EXPECT_EQ(m.lspci[0].sta, (topology::LinkState{2, 1}));
  EXPECT_FALSE(m.lspci[0].cap.known());
  EXPECT_TRUE(m.lspci[0].width_downgraded);
  EXPECT_TRUE(finding_ids(m).count("pcie-width-below-max"));
}

TEST(ImportLspci, LnkCapOfANamedGpuReplacesTheCardAssumption) {
  // nvbandwidth's A100 at 0000:99:00.0, then that device's header (the A100 header line of
  // open-mpi/hwloc#653 with its bus changed by the test to 99) over the LnkCap/LnkSta lines of
  // the fixture above with LnkCap set by the test to Gen3 x16, as a Gen3 platform would give.
  std::string text = fixture_text("nvbandwidth-v0.8-a100-h2d-sm.txt");
  text += "99:00.0 3D controller [0302]: NVIDIA Corporation GA100 [A100 SXM4 40GB] [10de:20b0] (rev a1)\n";
  std::string links = fixture_text("lspci-4090-riser-lnksta-ok-wording.txt");
  links.replace(links.find("Speed 16GT/s"), 12, "Speed 8GT/s");
  text += links;
  const auto m = import_string(text);
  ASSERT_EQ(m.lspci.size(), 1u);
  EXPECT_EQ(m.lspci[0].device, "0000:99:00.0");
  const auto mm = ingest::machine_model(m);
  const auto& link = mm.assumed.pci[mm.assumed.gpus[0].node].link;
  ASSERT_TRUE(link);
  EXPECT_EQ(link->max, (topology::LinkState{3, 16}));
  // No card assumption is left for GPU0: lspci gave its link.
  for (const auto& a : mm.assumptions) EXPECT_EQ(a.find("GPU0 "), std::string::npos) << a;
  // 25.13 GB/s through a Gen3 x16 link (15.75 theoretical) is not below expectation.
  EXPECT_FALSE(finding_ids(m).count("below-expectation"));
}

}  // namespace
}  // namespace rigcheck::import_test
