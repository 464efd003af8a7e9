// nvbandwidth text (v0.2, v0.4, v0.7, v0.8, v0.10 and an unversioned quote) onto rigcheck's
// catalogue cells, with the versions, devices and events each output states.

#include <gtest/gtest.h>

#include "support.h"

namespace rigcheck::import_test {
namespace {

using ingest::Event;

TEST(ImportNvbandwidth, V02EightH800AllTestsMapped) {
  const auto m = import_fixture("nvbandwidth-v0.2-8xh800.txt");
  ASSERT_EQ(m.inputs.size(), 1u);
  ASSERT_EQ(m.inputs[0].blocks.size(), 1u);
  EXPECT_EQ(m.inputs[0].blocks[0].tool, "nvbandwidth");
  EXPECT_EQ(m.inputs[0].blocks[0].version, "v0.2");
  EXPECT_EQ(m.versions.cuda_runtime, 11080);
  EXPECT_EQ(m.versions.cuda_driver, 12000);
  EXPECT_EQ(m.versions.nvidia_driver, "525.105.17");
  ASSERT_EQ(m.gpus.size(), 8u);
  EXPECT_EQ(m.gpus[7].name, "NVIDIA H800");
  EXPECT_FALSE(m.gpus[0].address);  // v0.2 prints no bus ids
  EXPECT_EQ(count_cells(m, "host_to_device_ce"), 8u);
  EXPECT_DOUBLE_EQ(cell(m, "host_to_device_ce", -1, 0)->value, 55.28);
  EXPECT_DOUBLE_EQ(cell(m, "host_to_device_ce", -1, 7)->value, 55.34);
  EXPECT_DOUBLE_EQ(cell(m, "device_to_host_bidir_ce", -1, 1)->value, 50.50);
  EXPECT_EQ(count_cells(m, "device_to_device_read_ce"), 56u);  // the N/A diagonal is not a pair
  EXPECT_DOUBLE_EQ(cell(m, "device_to_device_read_ce", 5, 6)->value, 172.54);  // nvbandwidth's (6, 5): GPU6 reads GPU5
  EXPECT_DOUBLE_EQ(cell(m, "device_to_device_write_ce", 5, 2)->value, 175.99);
  // One direction measured while the other runs: rigcheck's bidirectional cell.
  EXPECT_EQ(count_cells(m, "device_to_device_bidir_ce"), 56u);
  EXPECT_DOUBLE_EQ(cell(m, "device_to_device_bidir_ce", 0, 2)->value, 170.81);  // nvbandwidth's (2, 0), transposed
  EXPECT_DOUBLE_EQ(cell(m, "all_to_one_write_ce", -1, 1)->value, 177.63);
  EXPECT_DOUBLE_EQ(cell(m, "host_to_device_sm", -1, 1)->value, 51.49);
  EXPECT_EQ(cell(m, "host_to_device_sm", -1, 1)->from.method, "sm");
  EXPECT_EQ(cell(m, "host_to_device_ce", -1, 0)->from.line, 26);
  EXPECT_TRUE(m.events.empty());
  // Every pair was measured by a CE device-to-device test: peer access was granted.
  ASSERT_NE(ingest::find_pair(m, 0, 7), nullptr);
  EXPECT_EQ(ingest::find_pair(m, 0, 7)->p2p_granted, true);
}

TEST(ImportNvbandwidth, V07PatternFailureIsCorruptionWithBdfs) {
  const auto m = import_fixture("nvbandwidth-v0.7-8xa100-pattern-failure.txt");
  EXPECT_EQ(m.inputs[0].blocks[0].version, "v0.7");
  ASSERT_EQ(m.gpus.size(), 8u);
  EXPECT_EQ(m.gpus[0].name, "NVIDIA A100-SXM4-80GB");
  ASSERT_TRUE(m.gpus[4].address);
  EXPECT_EQ(m.gpus[4].address->str(), "0000:9b:00.0");
  ASSERT_EQ(count_events(m, Event::Kind::corrupt), 1u);
  EXPECT_EQ(count_events(m, Event::Kind::truncated), 0u);  // the test failed; it did not stop silently
  EXPECT_EQ(count_events(m, Event::Kind::crash), 0u);      // the ASSERT is the pattern check's own abort
  for (const auto& e : m.events) {
    EXPECT_EQ(e.test, "device_to_device_memcpy_read_ce");
    EXPECT_NE(e.text.find("Current offset : 11136"), std::string::npos);
    EXPECT_EQ(e.from.line, 18);
  }
  EXPECT_TRUE(m.cells.empty());
}

TEST(ImportNvbandwidth, V04PatternFailureThenAbort) {
  const auto m = import_fixture("nvbandwidth-v0.4-8xl40s-pattern-abort.txt");
  EXPECT_EQ(m.inputs[0].blocks[0].version, "v0.4");
  EXPECT_EQ(m.gpus.size(), 8u);
  EXPECT_EQ(count_events(m, Event::Kind::corrupt), 1u);
  EXPECT_EQ(count_events(m, Event::Kind::crash), 1u);  // "Aborted (core dumped)"
  EXPECT_EQ(count_events(m, Event::Kind::truncated), 0u);
}

TEST(ImportNvbandwidth, V08ElidedRunningLineTakesTheTestFromSum) {
  const auto m = import_fixture("nvbandwidth-v0.8-6xa6000-d2d-read-elided.txt");
  EXPECT_EQ(m.inputs[0].blocks[0].version, "v0.8");
  EXPECT_EQ(m.versions.cuda_runtime, 13000);
  EXPECT_EQ(count_cells(m, "device_to_device_read_ce"), 30u);
  EXPECT_DOUBLE_EQ(cell(m, "device_to_device_read_ce", 5, 0)->value, 21.80);  // nvbandwidth's (0, 5), transposed
  EXPECT_DOUBLE_EQ(cell(m, "device_to_device_read_ce", 5, 3)->value, 26.35);
  EXPECT_TRUE(m.events.empty());
}

TEST(ImportNvbandwidth, V08SmHostToDeviceWithNote) {
  const auto m = import_fixture("nvbandwidth-v0.8-a100-h2d-sm.txt");
  ASSERT_EQ(m.gpus.size(), 1u);
  EXPECT_EQ(m.gpus[0].address->str(), "0000:99:00.0");
  EXPECT_EQ(m.versions.nvidia_driver, "560.35.05");
  ASSERT_EQ(m.cells.size(), 1u);
  EXPECT_EQ(m.cells[0].test, "host_to_device_sm");
  EXPECT_DOUBLE_EQ(m.cells[0].value, 25.13);
}

TEST(ImportNvbandwidth, V010ThreeMatrixBidirectionalMapsTheMeasuredDirection) {
  const auto m = import_fixture("nvbandwidth-v0.10-7gpu-three-matrix-bidir.txt");
  EXPECT_EQ(m.inputs[0].blocks[0].version, "v0.10.0");
  EXPECT_EQ(m.versions.cuda_runtime, 13030);  // "13.3 (13030)"
  EXPECT_EQ(m.versions.cuda_driver, 13030);   // "CUDA Driver Version (API): 13.3 (13030)"
  EXPECT_EQ(m.gpus.size(), 7u);               // no device lines: GPUs from the matrices
  EXPECT_TRUE(m.gpus[0].name.empty());
  EXPECT_DOUBLE_EQ(cell(m, "device_to_host_ce", -1, 6)->value, 56.92);
  EXPECT_EQ(count_cells(m, "device_to_device_bidir_ce"), 42u);
  EXPECT_DOUBLE_EQ(cell(m, "device_to_device_bidir_ce", 1, 6)->value, 759.23);  // Read1
  EXPECT_DOUBLE_EQ(cell(m, "nvbandwidth.device_to_device_bidirectional_memcpy_read_ce.read2", 1, 6)->value, 758.63);
  EXPECT_DOUBLE_EQ(cell(m, "nvbandwidth.device_to_device_bidirectional_memcpy_read_ce.total", 1, 6)->value, 1517.86);
  EXPECT_DOUBLE_EQ(cell(m, "device_to_device_write_ce", 5, 0)->value, 774.15);
  EXPECT_TRUE(m.events.empty());
}

TEST(ImportNvbandwidth, QuotedPasteWithoutHeader) {
  const auto m = import_fixture("nvbandwidth-h100-sm-quoted.txt");
  EXPECT_EQ(m.inputs[0].blocks[0].version, "");
  EXPECT_EQ(count_cells(m, "host_to_device_sm"), 8u);
  EXPECT_DOUBLE_EQ(cell(m, "host_to_device_sm", -1, 3)->value, 35.03);
  EXPECT_DOUBLE_EQ(cell(m, "device_to_host_sm", -1, 7)->value, 52.77);
}

TEST(ImportNvbandwidth, CutRowDropsItsLastValueAndSaysTruncated) {
  const auto m = import_fixture("nvbandwidth-v0.2-8x4090-cut.txt");
  EXPECT_EQ(m.gpus[3].name, "NVIDIA GeForce RTX 4090");
  EXPECT_EQ(count_cells(m, "host_to_device_ce"), 8u);
  EXPECT_DOUBLE_EQ(cell(m, "host_to_device_ce", -1, 2)->value, 23.90);
  // "0     11.24     14.42     16." : 16. may be the start of 16.xx, so it is not kept.
  EXPECT_EQ(count_cells(m, "host_to_device_bidir_ce"), 2u);
  EXPECT_DOUBLE_EQ(cell(m, "host_to_device_bidir_ce", -1, 1)->value, 14.42);
  EXPECT_EQ(count_events(m, Event::Kind::truncated), 1u);
}

}  // namespace
}  // namespace rigcheck::import_test

namespace rigcheck::import_test {
namespace {

TEST(ImportNvbandwidth, V05TwoRunsOfOneGpu) {
  const auto m = import_fixture("nvbandwidth-v0.5-a10-ce-and-sm.md");
  ASSERT_EQ(m.inputs[0].blocks.size(), 2u);
  EXPECT_EQ(m.inputs[0].blocks[1].version, "v0.5");
  ASSERT_EQ(m.gpus.size(), 1u);
  EXPECT_EQ(m.gpus[0].name, "NVIDIA A10");
  EXPECT_TRUE(m.conflicts.empty());  // the same card twice
  EXPECT_DOUBLE_EQ(cell(m, "host_to_device_ce", -1, 0)->value, 25.17);
  EXPECT_DOUBLE_EQ(cell(m, "host_to_device_sm", -1, 0)->value, 25.25);
  EXPECT_TRUE(m.events.empty());
}

}  // namespace
}  // namespace rigcheck::import_test
