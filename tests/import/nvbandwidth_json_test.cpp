// nvbandwidth -j. The one public paste found (NVIDIA/nvbandwidth#54) is cut before its first
// test case and has the reporter's note written into the device list; the complete documents
// below are written from the key names of nvbandwidth's json_output.cpp (v0.5-v0.8): strings for
// cells, "N/A", a waived test, and v0.6-v0.8's three matrices appended into one bandwidth_matrix.

#include <gtest/gtest.h>

#include "support.h"

namespace rigcheck::import_test {
namespace {

const char* kDocument = R"json({
  "nvbandwidth": {
    "CUDA Runtime Version": 12040,
    "Driver Version": "550.54.15",
    "GPU Device list": ["0: NVIDIA A100-SXM4-80GB (PCI:0000:07:00.0): (node1)", "1: NVIDIA A100-SXM4-80GB (PCI:0000:0a:00.0): (node1)"],
    "git_version": "v0.7",
    "version": "v0.7",
    "testcases": [
      {"name": "host_to_device_memcpy_ce", "status": "Passed", "bandwidth_description": "memcpy CE CPU(row) -> GPU(column) bandwidth (GB/s)",
       "bandwidth_matrix": [["24.10", "25.02"]], "sum": 49.12},
      {"name": "device_to_device_memcpy_read_ce", "status": "Passed", "bandwidth_description": "memcpy CE GPU(row) -> GPU(column) bandwidth (GB/s)",
       "bandwidth_matrix": [["N/A", "276.07"], ["276.19", "N/A"]], "sum": 552.26},
      {"name": "device_to_device_bidirectional_memcpy_read_ce", "status": "Passed",
       "bandwidth_matrix": [["N/A", "260.1"], ["260.2", "N/A"], ["N/A", "259.9"], ["259.8", "N/A"], ["N/A", "520.0"], ["520.0", "N/A"]]},
      {"name": "device_local_copy", "status": "Waived"}
    ]
  }
})json";

TEST(ImportNvbandwidthJson, CellsDevicesAndTheBidirectionalTotal) {
  const auto m = import_string(std::string("```json\n") + kDocument + "\n```\n");
  ASSERT_EQ(m.inputs[0].blocks.size(), 1u);
  EXPECT_EQ(m.inputs[0].blocks[0].tool, "nvbandwidth");
  EXPECT_EQ(m.inputs[0].blocks[0].version, "v0.7 (JSON)");
  EXPECT_EQ(m.versions.cuda_runtime, 12040);
  ASSERT_EQ(m.gpus.size(), 2u);
  EXPECT_EQ(m.gpus[1].name, "NVIDIA A100-SXM4-80GB");
  EXPECT_EQ(m.gpus[1].address->str(), "0000:0a:00.0");
  EXPECT_DOUBLE_EQ(cell(m, "host_to_device_ce", -1, 1)->value, 25.02);
  // nvbandwidth's read (1, 0) is GPU1 reading GPU0: rigcheck's read cell gpu0 -> gpu1.
  EXPECT_DOUBLE_EQ(cell(m, "device_to_device_read_ce", 0, 1)->value, 276.19);
  EXPECT_EQ(count_cells(m, "device_to_device_read_ce"), 2u);
  // 3N rows: the measured direction, the other one, the total.
  // Read1 (0, 1) is GPU1 -> GPU0 while GPU0 -> GPU1 runs: rigcheck's bidir cell gpu1-gpu0.
  EXPECT_DOUBLE_EQ(cell(m, "device_to_device_bidir_ce", 1, 0)->value, 260.1);
  EXPECT_EQ(count_cells(m, "device_to_device_bidir_ce"), 2u);
  EXPECT_DOUBLE_EQ(cell(m, "nvbandwidth.device_to_device_bidirectional_memcpy_read_ce.read2", 1, 0)->value, 259.8);
  EXPECT_DOUBLE_EQ(cell(m, "nvbandwidth.device_to_device_bidirectional_memcpy_read_ce.total", 1, 0)->value, 520.0);
  EXPECT_EQ(count_events(m, ingest::Event::Kind::waived), 1u);
}

TEST(ImportNvbandwidthJson, CutJsonKeepsItsCompleteTestsAndTheRestImported) {
  std::string cut(kDocument);
  cut.resize(cut.find("device_to_device_bidirectional"));  // inside the third test case
  const auto m = import_string(cut + "\n" + fixture_text("nvbandwidth-v0.8-a100-h2d-sm.txt"));
  EXPECT_EQ(count_events(m, ingest::Event::Kind::truncated), 1u);
  EXPECT_EQ(count_events(m, ingest::Event::Kind::unparsed), 0u);
  EXPECT_DOUBLE_EQ(cell(m, "host_to_device_ce", -1, 1)->value, 25.02);  // the two complete test cases
  EXPECT_EQ(count_cells(m, "device_to_device_read_ce"), 2u);
  EXPECT_EQ(count_cells(m, "device_to_device_bidir_ce"), 0u);
  EXPECT_EQ(count_cells(m, "host_to_device_sm"), 1u);  // and the text output after it
}

TEST(ImportNvbandwidthJson, AnnotatedCutPasteStillGivesItsDevices) {
  const auto m = import_fixture("nvbandwidth-json-v0.8-4xgb200-multinode-annotated-cut.txt");
  ASSERT_EQ(m.inputs[0].blocks.size(), 1u);
  EXPECT_EQ(m.inputs[0].blocks[0].tool, "nvbandwidth");
  EXPECT_EQ(m.inputs[0].blocks[0].first_line, 2);
  ASSERT_EQ(m.gpus.size(), 4u);
  EXPECT_EQ(m.gpus[0].name, "NVIDIA GB200");  // the line with the reporter's "<== …" note too
  EXPECT_EQ(m.gpus[0].address->str(), "0008:06:00.0");
  EXPECT_EQ(m.gpus[3].address->str(), "0019:06:00.0");
  EXPECT_EQ(m.versions.cuda_runtime, 13000);
  EXPECT_EQ(m.versions.nvidia_driver, "580.105.08");
  EXPECT_TRUE(m.cells.empty());
  EXPECT_EQ(count_events(m, ingest::Event::Kind::unparsed), 1u);  // said, with its line
}

}  // namespace
}  // namespace rigcheck::import_test
