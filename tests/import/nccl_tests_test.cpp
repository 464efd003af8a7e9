// nccl-tests tables of every era onto collective rows: columns located by name, time units,
// the error column vs #wrong, rank lines (Pid, Group, [0x1b] and [0000:1b:00] brackets), the
// footer, and the launch signatures.

#include <algorithm>

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

const diagnosis::Finding* find_id(const std::vector<diagnosis::Finding>& fs, const std::string& id) {
  for (const auto& f : fs)
    if (f.id == id) return &f;
  return nullptr;
}

std::string replaced(std::string text, const std::string& from, const std::string& to) {
  const size_t at = text.find(from);
  if (at == std::string::npos) throw std::runtime_error("not in fixture: " + from);
  return text.replace(at, from.size(), to);
}

TEST(ImportNcclTests, SxmCollectiveJudgedAgainstTheNvlinkTheModelImplies) {
  // 8x A100-SXM4 with no topo -m: an SXM part is always on NVLink, and the 8-GPU A100 boards put
  // all eight on NVSwitch, so the expectation is the ring over NVSwitch (not a host-staged PCIe
  // ring, against which 232 GB/s was thousands of percent), and says it assumed so.
  const auto m = import_fixture("nccl-tests-2022-8xa100-sxm4-two-runs.txt");
  const auto mm = ingest::machine_model(m);
  EXPECT_EQ(mm.nvlink_assumed, "NVLink 3, 12 links per GPU to NVSwitch, as on the 8-GPU HGX boards of the A100 SXM4 80GB; no input states the links");
  EXPECT_TRUE(mm.peer_links_unknown.empty());
  EXPECT_TRUE(mm.cannot_show.empty());
  EXPECT_NE(std::find(mm.assumptions.begin(), mm.assumptions.end(), "GPU0-GPU7: NVLink assumed from the GPU model (" + mm.nvlink_assumed + ")"),
            mm.assumptions.end());
  const auto fs = findings_of(m);
  const auto* judged = find_id(fs, "import-collective-judged");
  ASSERT_NE(judged, nullptr);
  ASSERT_EQ(judged->evidence.size(), 2u);  // both runs
  EXPECT_EQ(judged->evidence[0],
            "IMPORTED all_reduce_perf at nccl-tests-2022-8xa100-sxm4-two-runs.txt:2: busbw 232.44 GB/s at 4294967296 bytes = 101% of the model's "
            "229.61 GB/s (8 ranks; assuming the GPUs' NVLink (" + mm.nvlink_assumed + ")): as expected");
  EXPECT_NE(judged->evidence[1].find("busbw 232.81 GB/s at 4294967296 bytes = 101% of the model's 229.61 GB/s"), std::string::npos) << judged->evidence[1];
  EXPECT_EQ(find_id(fs, "collective-below-expectation"), nullptr);
}

TEST(ImportNcclTests, SlowSxmCollectiveIsFlaggedAgainstTheImpliedNvlink) {
  // The same paste with the -g 8 run's largest busbw changed from 232.44 to 23.24 GB/s, a tenth:
  // the PCIe-only model called such a machine faster than expected; NVSwitch's model flags it.
  const auto m = import_string(replaced(fixture_text("nccl-tests-2022-8xa100-sxm4-two-runs.txt"), "32336  132.82  232.44", "32336  132.82   23.24"));
  const auto fs = findings_of(m);
  const auto* below = find_id(fs, "collective-below-expectation");
  ASSERT_NE(below, nullptr);
  ASSERT_EQ(below->evidence.size(), 1u);
  EXPECT_NE(below->evidence[0].find("busbw 23.24 GB/s at 4294967296 bytes = 10% of the model's 229.61 GB/s (8 ranks; assuming the GPUs' NVLink (NVLink 3, 12 links"),
            std::string::npos)
      << below->evidence[0];
  EXPECT_EQ(below->gpus.size(), 8u);
}

TEST(ImportNcclTests, SxmSubsetWithoutLinksIsNotJudged) {
  // The -g 8 run with the rank lines of devices 4-7 taken out: four A100-SXM4 of a board the
  // paste does not name. 4-GPU boards link GPUs directly, 8-GPU ones through NVSwitch: no layout
  // is supported, so no percentage, and the report says why.
  std::string text = fixture_text("nccl-tests-2022-8xa100-sxm4-two-runs.txt");
  text = text.substr(0, text.find("mpirun --oversubscribe"));  // the -g 8 run alone
  for (const char* line : {"#  Rank  4 Group  0 Pid  54740 on     thanos device  4 [0x84] NVIDIA A100-SXM4-80GB\n",
                           "#  Rank  5 Group  0 Pid  54740 on     thanos device  5 [0x8a] NVIDIA A100-SXM4-80GB\n",
                           "#  Rank  6 Group  0 Pid  54740 on     thanos device  6 [0xc0] NVIDIA A100-SXM4-80GB\n",
                           "#  Rank  7 Group  0 Pid  54740 on     thanos device  7 [0xc3] NVIDIA A100-SXM4-80GB\n"})
    text = replaced(text, line, "");
  const auto m = import_string(text);
  ASSERT_EQ(m.gpus.size(), 4u);
  const auto mm = ingest::machine_model(m);
  EXPECT_TRUE(mm.nvlink_assumed.empty());
  const std::string why = "4x A100 SXM4 80GB: SXM parts are linked by NVLink, but no input shows how (only 8-GPU boards of NVLink 3 and later are all on NVSwitch)";
  EXPECT_EQ(mm.peer_links_unknown, why);
  EXPECT_EQ(mm.cannot_show, std::vector<std::string>{"links unknown: busbw not judged (" + why + ")"});
  const auto fs = findings_of(m);
  const auto* judged = find_id(fs, "import-collective-judged");
  ASSERT_NE(judged, nullptr);
  EXPECT_EQ(judged->evidence, std::vector<std::string>{"all_reduce_perf at paste:2: not judged (links unknown: " + why + ")"});
  EXPECT_EQ(find_id(fs, "collective-below-expectation"), nullptr);
}

TEST(ImportNcclTests, LowBusbwOnKnownPcieLinksIsStillFlagged) {
  // The AutoDL 2x RTX 2080 Ti post (topo -m: PIX, P2P not supported) with its busbw at 1 GiB
  // changed from 4.00 to 1.00 GB/s: the GPUs are PCIe cards whose paths topo -m gives, so the
  // PCIe model still applies and flags it. (The post's own 4.00 GB/s is 81% of that model.)
  const auto fs = findings_of(import_string(replaced(fixture_text("autodl-2x2080ti-forum-post.md"), "268588    4.00    4.00", "268588    4.00    1.00")));
  const auto* below = find_id(fs, "collective-below-expectation");
  ASSERT_NE(below, nullptr);
  ASSERT_EQ(below->evidence.size(), 1u);
  EXPECT_EQ(below->evidence[0],
            "IMPORTED all_reduce_perf at paste:86: busbw 1.00 GB/s at 1073741824 bytes = 20% of the model's 4.96 GB/s (2 ranks; assumed: PCIe paths from "
            "nvidia-smi topo -m, no NVLink, no input grants P2P, so every hop is staged through host memory as NCCL's SHM does)");
  EXPECT_EQ(find_id(fs, "import-collective-judged"), nullptr);
  EXPECT_TRUE(ingest::machine_model(import_fixture("autodl-2x2080ti-forum-post.md")).nvlink_assumed.empty());
}

TEST(ImportNcclTests, H800sAreSxmModulesThoughTheirNameDoesNotSayIt) {
  // The 8x A100 paste's -g 8 run with its devices named as nccl-tests prints an H800 ("NVIDIA
  // H800"): pci.ids names the id "H800", the table's form_factor says it is an SXM5 module, so the
  // 8-GPU board's NVSwitch is assumed rather than a PCIe ring.
  std::string text = fixture_text("nccl-tests-2022-8xa100-sxm4-two-runs.txt");
  text = text.substr(0, text.find("mpirun --oversubscribe"));
  for (size_t at = text.find("NVIDIA A100-SXM4-80GB"); at != std::string::npos; at = text.find("NVIDIA A100-SXM4-80GB", at))
    text.replace(at, std::string("NVIDIA A100-SXM4-80GB").size(), "NVIDIA H800");
  const auto m = import_string(text);
  ASSERT_EQ(m.gpus.size(), 8u);
  const auto mm = ingest::machine_model(m);
  EXPECT_NE(mm.nvlink_assumed.find("NVLink 4, 8 links per GPU to NVSwitch, as on the 8-GPU HGX boards of the H800"), std::string::npos)
      << mm.nvlink_assumed;
}

}  // namespace
}  // namespace rigcheck::import_test
