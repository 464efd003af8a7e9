// GPU names as the tools print them, looked up in rigcheck's model table: the names seen in the
// import fixtures (nvbandwidth, nccl-tests, bandwidthTest device lines) and the figures the table
// gives them.

#include <gtest/gtest.h>

#include "rigcheck/ingest/gpu_names.h"
#include "support.h"

namespace rigcheck::import_test {
namespace {

struct Want {
  const char* printed;
  uint16_t device_id;
  int gen, width, nvlink_version, nvlink_links;
};

TEST(ImportGpuNames, NamesFromTheFixtures) {
  const Want wants[] = {
      {"NVIDIA H800", 0x2324, 5, 16, 4, 8},              // nvbandwidth-v0.2-8xh800.txt
      {"NVIDIA L40S", 0x26b9, 4, 16, 0, 0},              // nvbandwidth-v0.4-8xl40s-pattern-abort.txt
      {"NVIDIA A10", 0x2236, 4, 16, 0, 0},               // nvbandwidth-v0.5-a10-ce-and-sm.md
      {"Tesla T4", 0x1eb8, 3, 16, 0, 0},                 // bandwidthtest-t4-and-v100-two-runs.md
      {"NVIDIA H100 80GB HBM3", 0x2330, 5, 16, 4, 18},   // nvidia-smi's name of the H100 SXM5 (HGX)
      {"NVIDIA RTX 6000 Ada Generation", 0x26b1, 4, 16, 0, 0},
      {"Tesla P100-PCIE-16GB", 0x15f8, 3, 16, 0, 0},
      {"NVIDIA A100-SXM4-80GB", 0x20b2, 4, 16, 3, 12},
      // Names from the driver's supported-GPU list (open-gpu-kernel-modules README, 560.31.02).
      {"NVIDIA A800-SXM4-80GB", 0x20f3, 0, 0, 3, 8},     // hgx-8x-a800-sxm4-nvswitch (calibration)
      {"NVIDIA A800 40GB Active", 0x20f6, 0, 0, 0, 0},   // pci.ids: A800 40GB PCIe
      {"NVIDIA H800 NVL", 0x233a, 0, 0, 0, 0},           // pci.ids: H800L 94GB
      {"NVIDIA GH200 480GB", 0x2342, 0, 0, 0, 0},
      {"NVIDIA H800 PCIe", 0x2322, 0, 0, 0, 0},
  };
  for (const auto& w : wants) {
    SCOPED_TRACE(w.printed);
    const auto* m = ingest::model_for_name(w.printed);
    ASSERT_NE(m, nullptr);
    EXPECT_EQ(m->device_id, w.device_id);
    EXPECT_EQ(m->pcie_gen, w.gen);
    EXPECT_EQ(m->pcie_width, w.width);
    EXPECT_EQ(m->nvlink_version, w.nvlink_version);
    EXPECT_EQ(m->nvlink_links, w.nvlink_links);
  }
}

TEST(ImportGpuNames, NearNamesDoNotMatch) {
  // An A100 is no A10, a 40GB card no 80GB one, a printed name with an extra "Ti" no plain card.
  EXPECT_NE(ingest::model_for_name("NVIDIA A100-SXM4-40GB")->device_id, 0x2236);
  EXPECT_EQ(ingest::model_for_name("NVIDIA A10G"), nullptr);
  EXPECT_EQ(ingest::model_for_name("NVIDIA H100 94GB HBM3"), nullptr);
  EXPECT_EQ(ingest::model_for_name("NVIDIA GeForce RTX 4090 Ti"), nullptr);
}

TEST(ImportGpuNames, FixtureGpusGetExpectations) {
  // The H800 and L40S fixtures were judged without expectations before these rows existed.
  for (const char* f : {"nvbandwidth-v0.2-8xh800.txt", "nvbandwidth-v0.4-8xl40s-pattern-abort.txt", "nvbandwidth-v0.5-a10-ce-and-sm.md"}) {
    SCOPED_TRACE(f);
    const auto mm = ingest::machine_model(import_fixture(f));
    ASSERT_FALSE(mm.model_known.empty());
    for (bool known : mm.model_known) EXPECT_TRUE(known);
  }
}

}  // namespace
}  // namespace rigcheck::import_test
