// nccl-tests tables of every era onto collective rows: columns located by name, time units,
// the error column vs #wrong, rank lines (Pid, Group, [0x1b] and [0000:1b:00] brackets), the
// footer, and the launch signatures.

#include <gtest/gtest.h>

#include "support.h"

namespace rigcheck::import_test {
namespace {

using ingest::Event;

const ingest::CollectiveRow* row(const ingest::ImportedCollective& c, uint64_t bytes, bool in_place) {
  for (const auto& r : c.rows)
    if (r.bytes == bytes && r.in_place == in_place) return &r;
  return nullptr;
}

TEST(ImportNcclTests, TwoRunsOneFileEightA100) {
  const auto m = import_fixture("nccl-tests-2022-8xa100-sxm4-two-runs.txt");
  ASSERT_EQ(m.collectives.size(), 2u);
  const auto& a = m.collectives[0];
  const auto& b = m.collectives[1];
  EXPECT_EQ(a.op, "all_reduce");  // from the command line above the header
  EXPECT_EQ(b.op, "all_reduce");
  EXPECT_EQ(a.from.version, "2022-09 or later format (#wrong, Group)");
  EXPECT_EQ(a.ranks, 8);
  EXPECT_TRUE(a.one_process);   // -g 8: one Pid
  EXPECT_FALSE(b.one_process);  // mpirun -np 8: eight Pids
  EXPECT_EQ(a.hosts, 1);
  EXPECT_EQ(a.headers, 1);
  EXPECT_TRUE(a.complete);
  EXPECT_DOUBLE_EQ(*a.avg_busbw, 66.2058);
  EXPECT_DOUBLE_EQ(*b.avg_busbw, 72.7724);
  EXPECT_EQ(a.rows.size(), 60u);  // 30 sizes, out of place and in place
  EXPECT_EQ(b.rows.size(), 60u);  // Open MPI's help-message lines inside the table are skipped
  const auto* big = row(a, 4294967296ull, false);
  ASSERT_NE(big, nullptr);
  EXPECT_EQ(big->count, 1073741824u);
  EXPECT_EQ(big->type, "float");
  EXPECT_DOUBLE_EQ(big->time_us, 32336);
  EXPECT_DOUBLE_EQ(big->algbw, 132.82);
  EXPECT_DOUBLE_EQ(big->busbw, 232.44);
  EXPECT_EQ(big->wrong, 0);
  EXPECT_EQ(big->line, 46);
  EXPECT_DOUBLE_EQ(row(b, 2097152, true)->busbw, 66.34);
  ASSERT_EQ(m.gpus.size(), 8u);
  EXPECT_EQ(m.gpus[3].address->str(), "0000:4b:00.0");
  EXPECT_EQ(m.gpus[3].name, "NVIDIA A100-SXM4-80GB");
  EXPECT_TRUE(m.events.empty());
}

TEST(ImportNcclTests, ErrorColumnEraWithRoundingErrors) {
  const auto m = import_fixture("nccl-tests-2020-4x2080ti-error-column-cut.txt");
  ASSERT_EQ(m.collectives.size(), 1u);
  const auto& c = m.collectives[0];
  EXPECT_EQ(c.from.version, "2019-2022 format (error column)");
  EXPECT_EQ(c.ranks, 4);
  EXPECT_FALSE(c.one_process);
  ASSERT_EQ(c.rows.size(), 6u);
  EXPECT_DOUBLE_EQ(row(c, 8, false)->time_us, 40.17);
  EXPECT_DOUBLE_EQ(row(c, 8, true)->time_us, 62.08);
  EXPECT_EQ(row(c, 8, false)->wrong, 0);  // 1e-07 is rounding, not a wrong element
  EXPECT_EQ(m.gpus[2].address->str(), "0000:b1:00.0");
  EXPECT_FALSE(c.complete);
  EXPECT_EQ(count_events(m, Event::Kind::truncated), 1u);
}

TEST(ImportNcclTests, MpiTagOutputPrefixes) {
  const auto m = import_fixture("nccl-tests-2024-mpi-tag-output-cut.txt");
  ASSERT_EQ(m.collectives.size(), 1u);
  const auto& c = m.collectives[0];
  ASSERT_EQ(c.rows.size(), 6u);
  EXPECT_DOUBLE_EQ(row(c, 32, false)->time_us, 22.25);
  EXPECT_DOUBLE_EQ(row(c, 32, true)->time_us, 13.34);
}

TEST(ImportNcclTests, HeaderlessTableWithFooter) {
  const auto m = import_fixture("nccl-tests-2024-headerless-ring.txt");
  ASSERT_EQ(m.collectives.size(), 1u);
  const auto& c = m.collectives[0];
  EXPECT_EQ(c.headers, 0);
  EXPECT_EQ(c.ranks, 0);
  EXPECT_TRUE(c.complete);
  EXPECT_DOUBLE_EQ(*c.avg_busbw, 95.3009);
  EXPECT_DOUBLE_EQ(row(c, 8589934592ull, false)->busbw, 95.10);
  EXPECT_DOUBLE_EQ(row(c, 8589934592ull, true)->time_us, 158561);
  EXPECT_TRUE(m.events.empty());
}

TEST(ImportNcclTests, DuplicateHeadersOfANonMpiBuild) {
  const auto m = import_fixture("nccl-tests-2022-non-mpi-duplicate-headers.txt");
  ASSERT_EQ(m.collectives.size(), 1u);
  const auto& c = m.collectives[0];
  EXPECT_EQ(c.op, "all_reduce");
  EXPECT_EQ(c.headers, 2);
  EXPECT_EQ(c.ranks, 2);
  EXPECT_EQ(c.hosts, 2);
  EXPECT_TRUE(c.rows.empty());
  // [0x00] is what old nccl-tests print when the bus is unknown: no address invented.
  EXPECT_FALSE(m.gpus[0].address);
  EXPECT_EQ(m.gpus[0].name, "Tesla V100-SXM2-16GB");
}

TEST(ImportNcclTests, StrippedHashes) {
  const auto m = import_fixture("nccl-tests-2021-8xa100-stripped-hash.txt");
  ASSERT_EQ(m.collectives.size(), 1u);
  EXPECT_EQ(m.collectives[0].headers, 1);
  EXPECT_EQ(m.collectives[0].ranks, 8);
  EXPECT_EQ(m.collectives[0].op, "all_reduce");
  EXPECT_EQ(m.gpus.size(), 8u);
  EXPECT_EQ(m.gpus[7].name, "NVIDIA A100-SXM4-40GB");
}

TEST(ImportNcclTests, Brackets2025AndCommandAboveTheHeader) {
  const auto m = import_fixture("autodl-2x2080ti-forum-post.md");
  ASSERT_EQ(m.collectives.size(), 1u);
  const auto& c = m.collectives[0];
  EXPECT_EQ(c.op, "all_reduce");
  EXPECT_EQ(c.from.version, "2022-09 or later format (#wrong, Group), 2025 device brackets");
  EXPECT_EQ(c.rows.size(), 56u);
  EXPECT_DOUBLE_EQ(row(c, 1073741824, false)->busbw, 4.00);
  EXPECT_DOUBLE_EQ(*c.avg_busbw, 2.05774);
}

}  // namespace
}  // namespace rigcheck::import_test

namespace rigcheck::import_test {
namespace {

TEST(ImportNcclTests, TwoHostsEachModelledPerHost) {
  const auto m = import_fixture("nccl-tests-2024-2x8xh100-gcp-a3mega-two-hosts.md");
  ASSERT_EQ(m.collectives.size(), 1u);
  const auto& c = m.collectives[0];
  EXPECT_EQ(c.ranks, 16);
  EXPECT_EQ(c.hosts, 2);
  EXPECT_FALSE(c.one_process);
  EXPECT_TRUE(c.complete);
  EXPECT_EQ(c.rows.size(), 62u);  // 31 sizes from 8 B to 8 GiB
  EXPECT_DOUBLE_EQ(row(c, 8589934592ull, false)->busbw, 338.82);
  EXPECT_DOUBLE_EQ(row(c, 8589934592ull, true)->time_us, 47743);
  EXPECT_DOUBLE_EQ(*c.avg_busbw, 70.742);
  // The machine model is the first host's eight GPUs; both hosts are kept, per host.
  ASSERT_EQ(m.gpus.size(), 8u);
  EXPECT_EQ(m.gpus[4].address->str(), "0000:84:00.0");
  ASSERT_EQ(m.hosts.size(), 2u);
  EXPECT_EQ(m.hosts[0].name, "ztan-mig-235z");
  EXPECT_EQ(m.hosts[1].name, "ztan-mig-gq73");
  ASSERT_EQ(m.hosts[1].gpus.size(), 8u);
  EXPECT_EQ(m.hosts[1].gpus[7].index, 7);
  EXPECT_EQ(m.hosts[1].gpus[7].address->str(), "0000:8c:00.0");
  EXPECT_EQ(m.hosts[1].gpus[7].name, "NVIDIA H100 80GB HBM3");
  ASSERT_EQ(c.rank_devices.size(), 16u);
  EXPECT_EQ(c.rank_devices[8].rank, 8);
  EXPECT_EQ(c.rank_devices[8].host, "ztan-mig-gq73");
  EXPECT_EQ(c.rank_devices[8].device, 0);
  EXPECT_EQ(c.rank_devices[8].bus, "0000:04:00");
  const auto fs = findings_of(m);
  std::set<std::string> ids;
  for (const auto& f : fs) ids.insert(f.id);
  EXPECT_TRUE(ids.count("import-collective-multi-host"));
  // Inter-node figures are not judged against one node's model.
  for (const char* id : {"import-collective-judged", "collective-below-expectation", "nccl-tests-not-mpi", "import-output-truncated", "nccl-busbw-collapse"})
    EXPECT_FALSE(ids.count(id)) << id;
  for (const auto& f : fs)
    if (f.id == "import-collective-multi-host") {
      ASSERT_EQ(f.evidence.size(), 1u);
      EXPECT_NE(f.evidence[0].find("16 ranks on 2 hosts"), std::string::npos) << f.evidence[0];
      EXPECT_NE(f.evidence[0].find("ztan-mig-gq73: 8x NVIDIA H100 80GB HBM3 (0000:04:00.0 0000:05:00.0"), std::string::npos) << f.evidence[0];
    }
}

TEST(ImportNcclTests, SingleHostCollectiveJudgedAgainstTheModel) {
  // 8x A100-SXM4 with no topo -m: the model assumes PCIe only, so 232 GB/s is far above it.
  const auto fs = findings_of(import_fixture("nccl-tests-2022-8xa100-sxm4-two-runs.txt"));
  const diagnosis::Finding* judged = nullptr;
  for (const auto& f : fs)
    if (f.id == "import-collective-judged") judged = &f;
  ASSERT_NE(judged, nullptr);
  ASSERT_EQ(judged->evidence.size(), 2u);  // both runs
  EXPECT_NE(judged->evidence[0].find("busbw 232.44 GB/s at 4294967296 bytes"), std::string::npos) << judged->evidence[0];
  EXPECT_NE(judged->evidence[0].find("faster than the model"), std::string::npos) << judged->evidence[0];
  EXPECT_NE(judged->evidence[1].find("busbw 232.81 GB/s"), std::string::npos) << judged->evidence[1];
  for (const auto& f : fs) EXPECT_NE(f.id, "collective-below-expectation");
}

}  // namespace
}  // namespace rigcheck::import_test
