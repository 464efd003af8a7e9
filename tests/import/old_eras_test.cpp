// The oldest formats, from real pastes: bandwidthTest's MB/s era (before CUDA 10.1, 2^20-byte
// megabytes, 32 MiB copies), nccl-tests' ms-time era (2017-2019, "res" column), and nvidia-smi
// topo -m's SOC legend (~2015), the last pasted through an HTML mailing-list archive.

#include <gtest/gtest.h>

#include "support.h"

namespace rigcheck::import_test {
namespace {

using topology::PathClass;

std::vector<const ingest::ImportedCell*> cells_of(const ingest::PartialMachine& m, const std::string& test) {
  std::vector<const ingest::ImportedCell*> out;
  for (const auto& c : m.cells)
    if (c.test == test) out.push_back(&c);
  return out;
}

TEST(ImportOldEras, BandwidthTestMegabytesTwoNumaRuns) {
  const auto m = import_fixture("bandwidthtest-mbs-era-p100-numa-local-remote-cut.md");
  // Two runs of one GPU (numactl -m0 then -m1); the second run's banner lost its '[' in the
  // paste, so both are in one block and must not overwrite each other.
  const auto h2d = cells_of(m, "host_to_device_ce");
  const auto d2h = cells_of(m, "device_to_host_ce");
  ASSERT_EQ(h2d.size(), 2u);
  ASSERT_EQ(d2h.size(), 2u);
  EXPECT_DOUBLE_EQ(h2d[0]->value, 12150.7 * 1048576.0 / 1e9);  // MB/s were MiB/s
  EXPECT_DOUBLE_EQ(d2h[0]->value, 12890.6 * 1048576.0 / 1e9);
  EXPECT_DOUBLE_EQ(h2d[1]->value, 3783.4 * 1048576.0 / 1e9);   // the NUMA-remote run
  EXPECT_DOUBLE_EQ(d2h[1]->value, 2539.2 * 1048576.0 / 1e9);
  EXPECT_EQ(h2d[0]->from.bytes, 33554432u);
  EXPECT_EQ(h2d[0]->from.line, 21);
  EXPECT_EQ(h2d[1]->from.line, 44);
  EXPECT_EQ(h2d[0]->from.version, "before CUDA 10.1 (MB/s)");
  EXPECT_EQ(h2d[1]->from.version, "before CUDA 10.1 (MB/s)");  // the cut last header keeps the era
  // The first run's device-to-device figure; the second's is cut off.
  const auto d2d = cells_of(m, "bandwidthTest.d2d_pinned");
  ASSERT_EQ(d2d.size(), 1u);
  EXPECT_DOUBLE_EQ(d2d[0]->value, 443837.7 * 1048576.0 / 1e9);
  ASSERT_EQ(m.gpus.size(), 2u);  // and topo -m's two GPUs (SOC)
  EXPECT_EQ(m.gpus[0].name, "Tesla P100-PCIE-16GB");
  ASSERT_NE(ingest::find_pair(m, 0, 1), nullptr);
  EXPECT_EQ(ingest::find_pair(m, 0, 1)->path, PathClass::sys);
  EXPECT_EQ(m.gpus[1].cpu_affinity, "6-11");
  // The remote run is what the diagnosis must flag; the local one is fine.
  EXPECT_TRUE(finding_ids(m).count("below-expectation"));
}

TEST(ImportOldEras, NcclTestsMillisecondsWithEveryRowCommentedOut) {
  const auto m = import_fixture("nccl-tests-2019-ms-era-2x2080ti-hash-rows.txt");
  ASSERT_EQ(m.collectives.size(), 1u);
  const auto& c = m.collectives[0];
  EXPECT_EQ(c.from.version, "2017-2019 format (time in ms)");
  EXPECT_EQ(c.op, "all_reduce");
  EXPECT_EQ(c.ranks, 2);
  EXPECT_TRUE(c.one_process);
  EXPECT_TRUE(c.complete);
  EXPECT_DOUBLE_EQ(*c.avg_busbw, 0.778073);
  ASSERT_EQ(c.rows.size(), 42u);  // 21 sizes (0 twice), out of place and in place
  const auto& last = c.rows[40];
  EXPECT_EQ(last.bytes, 1048576u);
  EXPECT_EQ(last.count, 262144u);
  EXPECT_FALSE(last.in_place);
  EXPECT_DOUBLE_EQ(last.time_us, 293);  // 0.293 ms
  EXPECT_DOUBLE_EQ(last.busbw, 3.58);
  EXPECT_EQ(last.wrong, -1);            // "N/A": -c 0
  EXPECT_DOUBLE_EQ(c.rows[41].time_us, 294);
  ASSERT_EQ(m.gpus.size(), 2u);
  EXPECT_EQ(m.gpus[1].address->str(), "0000:06:00.0");
  EXPECT_EQ(m.gpus[1].name, "GeForce RTX 2080 Ti");
  EXPECT_EQ(count_events(m, ingest::Event::Kind::truncated), 0u);
}

TEST(ImportOldEras, SmiTopoSocLegendThroughAnHtmlArchive) {
  const auto m = import_fixture("smi-topo-soc-legend-4gpu-ompi-archive.html");
  ASSERT_EQ(m.inputs.size(), 1u);
  ASSERT_EQ(m.inputs[0].blocks.size(), 1u);
  EXPECT_EQ(m.inputs[0].blocks[0].version, "legacy legend (SOC, ~2016)");
  ASSERT_EQ(m.gpus.size(), 4u);
  EXPECT_EQ(ingest::find_pair(m, 0, 1)->path, PathClass::phb);
  EXPECT_EQ(ingest::find_pair(m, 0, 2)->path, PathClass::sys);  // SOC
  EXPECT_EQ(ingest::find_pair(m, 1, 3)->path, PathClass::sys);
  EXPECT_EQ(ingest::find_pair(m, 2, 3)->path, PathClass::phb);
  EXPECT_EQ(m.gpus[3].cpu_affinity, "0-23");
  EXPECT_EQ(count_events(m, ingest::Event::Kind::truncated), 0u);  // "<br>" lines between rows are not the end
}

}  // namespace
}  // namespace rigcheck::import_test
