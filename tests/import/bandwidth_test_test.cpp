// bandwidthTest (CUDA 10.1+ GB/s format, Quick mode): pinned host<->device figures onto
// rigcheck's copy-engine host tests, the device-to-device figure kept as bandwidthTest's own.

#include <gtest/gtest.h>

#include "support.h"

namespace rigcheck::import_test {
namespace {

TEST(ImportBandwidthTest, QuickModePinned) {
  const auto m = import_fixture("bandwidthtest-2080ti-quick.md");
  ASSERT_EQ(m.inputs[0].blocks.size(), 1u);
  EXPECT_EQ(m.inputs[0].blocks[0].tool, "bandwidthTest");
  EXPECT_EQ(m.inputs[0].blocks[0].version, "CUDA 10.1+ (GB/s)");
  ASSERT_EQ(m.gpus.size(), 1u);
  EXPECT_EQ(m.gpus[0].name, "NVIDIA GeForce RTX 2080 Ti");
  const auto* h2d = cell(m, "host_to_device_ce", -1, 0);
  ASSERT_NE(h2d, nullptr);
  EXPECT_DOUBLE_EQ(h2d->value, 12.2);
  EXPECT_EQ(h2d->from.bytes, 32000000u);
  EXPECT_EQ(h2d->from.line, 12);
  EXPECT_DOUBLE_EQ(cell(m, "device_to_host_ce", -1, 0)->value, 13.2);
  EXPECT_DOUBLE_EQ(cell(m, "bandwidthTest.d2d_pinned", -1, 0)->value, 518.9);
  EXPECT_FALSE(cell(m, "bandwidthTest.d2d_pinned", -1, 0)->mapped);
}

TEST(ImportBandwidthTest, TwoMachinesInOneFileAreSaid) {
  const auto m = import_fixture("bandwidthtest-t4-and-v100-two-runs.md");
  ASSERT_EQ(m.inputs[0].blocks.size(), 2u);
  ASSERT_EQ(m.conflicts.size(), 1u);
  EXPECT_NE(m.conflicts[0].find("GPU0 is Tesla T4"), std::string::npos) << m.conflicts[0];
  EXPECT_NE(m.conflicts[0].find("but Tesla V100-SXM2-16GB"), std::string::npos) << m.conflicts[0];
  EXPECT_EQ(count_cells(m, "host_to_device_ce"), 2u);
}

TEST(ImportBandwidthTest, OneRunOfTheFileAlone) {
  // The second run of the same file on its own: a V100 at 9.6 GB/s host-to-device.
  const std::string text = fixture_text("bandwidthtest-t4-and-v100-two-runs.md");
  const auto m = import_string(text.substr(text.rfind("[CUDA Bandwidth Test]")));
  EXPECT_TRUE(m.conflicts.empty());
  EXPECT_EQ(m.gpus[0].name, "Tesla V100-SXM2-16GB");
  EXPECT_DOUBLE_EQ(cell(m, "host_to_device_ce", -1, 0)->value, 9.6);
  const auto ids = finding_ids(m);
  EXPECT_TRUE(ids.count("below-expectation"));  // 9.6 of a Gen3 x16 card's ~13 GB/s
  EXPECT_FALSE(ids.count("host-link-class-inferred"));  // fits no narrower class: an inefficient path
}

}  // namespace
}  // namespace rigcheck::import_test

namespace rigcheck::import_test {
namespace {

TEST(ImportBandwidthTest, CsvShmooThreeRuns) {
  // --csv prints one "bandwidthTest-H2D-Pinned, Bandwidth = …" line per size: the largest is kept.
  const auto m = import_fixture("bandwidthtest-csv-shmoo-v100-pcie-h2d-d2h-d2d.txt");
  ASSERT_EQ(m.inputs[0].blocks.size(), 3u);
  for (const auto& b : m.inputs[0].blocks) {
    EXPECT_EQ(b.tool, "bandwidthTest");
    EXPECT_EQ(b.version, "CUDA 10.1+ (--csv)");
  }
  ASSERT_EQ(m.gpus.size(), 1u);
  EXPECT_EQ(m.gpus[0].name, "Tesla V100-PCIE-32GB");
  EXPECT_TRUE(m.conflicts.empty());
  EXPECT_EQ(count_cells(m, "host_to_device_ce"), 1u);
  const auto* h2d = cell(m, "host_to_device_ce", -1, 0);
  ASSERT_NE(h2d, nullptr);
  EXPECT_DOUBLE_EQ(h2d->value, 12.4);
  EXPECT_EQ(h2d->from.bytes, 68000000u);
  EXPECT_EQ(h2d->from.line, 88);
  EXPECT_TRUE(h2d->mapped);
  const auto* d2h = cell(m, "device_to_host_ce", -1, 0);
  ASSERT_NE(d2h, nullptr);
  EXPECT_DOUBLE_EQ(d2h->value, 13.1);
  EXPECT_EQ(d2h->from.line, 177);
  const auto* d2d = cell(m, "bandwidthTest.d2d_pinned", -1, 0);
  ASSERT_NE(d2d, nullptr);
  EXPECT_DOUBLE_EQ(d2d->value, 762.8);
  EXPECT_EQ(d2d->from.line, 266);
  EXPECT_FALSE(d2d->mapped);
  EXPECT_TRUE(m.events.empty());
  const auto ids = finding_ids(m);
  // 12.4 / 13.1 GB/s is a healthy Gen3 x16 V100.
  for (const char* id : {"below-expectation", "host-link-class-inferred", "import-output-truncated", "import-tool-error"})
    EXPECT_FALSE(ids.count(id)) << id;
}

}  // namespace
}  // namespace rigcheck::import_test
