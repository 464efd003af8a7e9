// No input crashes or hangs the importer: random bytes, shuffled lines of real outputs, lines
// mixing the tools' tokens, a single enormous line, and a large paste read in bounded time.

#include <gtest/gtest.h>

#include <chrono>
#include <random>

#include "rigcheck/app/import_job.h"
#include "rigcheck/ingest/lines.h"
#include "support.h"

namespace rigcheck::import_test {
namespace {

// Imports `text` through the whole pipeline; only "no known format" may be thrown.
void survive(const std::string& text) {
  try {
    const auto m = import_string(text);
    (void)findings_of(m);
  } catch (const topology::InputError&) {
  }
}

const char* kTokens[] = {"Running ", "device_to_device_memcpy_read_ce.", "memcpy CE GPU(row) -> GPU(column) bandwidth (GB/s)",
                         "N/A", "0", "1", "7", "4096", "-1", "26.34", "1e+00", "nThread 1 nGpus 8", "# Using devices",
                         "Rank  0 Group  0 Pid 1 on h device  0 [0x1b] X", "size count type redop root time algbw busbw #wrong",
                         "Avg bus bandwidth : 3", "GPU0", "GPU1", "X", "NV12", "PIX", "SYS", "CPU Affinity", "Device=0 CAN Access Peer Device=1",
                         "Device: 0, NAME, pciBusID: zz, pciDeviceID: 0, pciDomainID:0", "P2P Connectivity Matrix", "D\\D",
                         "Unidirectional P2P=Enabled Bandwidth (P2P Writes) Matrix (GB/s)", "{", "\"nvbandwidth\": {", "}", "[",
                         "SUM x 1", "Waived:", "Invalid value when checking the pattern", "ASSERT in expression", "\t", "\x1b[", "> ",
                         "[1,0]<stdout>:", "(Worker pid=", "99999999999999999999", "nan", "inf", "1e400", "GPU4096", "Device 4097: X",
                         "[CUDA Bandwidth Test]", "Host to Device Bandwidth", "PINNED Memory Transfers",
                         "Transfer Size (Bytes) Bandwidth(MB/s)", "bandwidthTest-H2D-Pinned, Bandwidth = ", "Size = ",
                         "available PCIe bandwidth, limited by ", " link at ", "(capable of ", "PCIe Bus Error: ",
                         "NVRM: Xid (PCI:", "): ", "NCCL INFO Channel 00/0 : 0[0] -> 1[1] via ", "SHM", "NCCL INFO NCCL version ",
                         "LnkCap:", "LnkSta:", "Speed 16GT/s", "Width x", "(downgraded)", "01:00.0 VGA compatible controller: ",
                         "Custom allreduce is disabled because your platform lacks GPU P2P capability or P2P test failed",
                         "reading GPU P2P access cache from ",
                         // lspci -t trees and -vvv details, NCCL's topology XML, the JSON documents
                         "-[0000:00]-+-", " +-[0000:40]-+-", "+-01.1-[01]--+-00.0", "\\-00.1", "----00.0", "-[05-10]--", "|", "  ",
                         "ACSCap:\tSrcValid+ ReqRedir+", "ACSCtl:\tReqRedir- CmpltRedir+", "NUMA node: 1", "NUMA node: 99999999999",
                         "<system version=\"1\">", "<cpu numaid=\"0\" affinity=\"ff\">", "<pci busid=\"0000:01:00.0\" class=\"0x060400\" link_speed=\"16.0 GT/s PCIe\" link_width=\"16\">",
                         "<gpu dev=\"0\" sm=\"90\" gdr=\"1\">", "<nvlink target=\"fffffff:ff:ff.0\" count=\"18\" tclass=\"0x068000\"/>", "</pci>", "</gpu>",
                         "</cpu>", "<nic><net name=\"mlx5_0\" speed=\"400000\"/></nic>", "{\"version\":3,\"start_time\":\"x\",\"results\":[",
                         "{\"size\":8,\"count\":2,\"out_of_place\":{\"time\":1,\"alg_bw\":2,\"bus_bw\":3,\"nwrong\":null}}",
                         "{\"identifier\": \"nccl-tests structured output\", \"benchmark\": [{\"8\": {", "\"schema\": \"rigcheck.report/1\"",
                         "{\n  \"backend\": \"x\",\n  \"command_line\": [\n    \"rigcheck\",", "\"measurements\": [", "<p>", "<br>",
                         // cuda-samples simpleP2P and conjugateGradientMultiDeviceCG, IOMMU kernel lines, command lines
                         "[./simpleP2P] - Starting...", "> Peer access from X (GPU0) -> Y (GPU1) : Yes", "> Peer access from  (GPU) ->  : No",
                         "Enabling peer access between GPU", " and GPU", "Allocating buffers (", "MB on GPU0",
                         "cudaMemcpyPeer / cudaMemcpy between GPU0 and GPU1: ", "GB/s", "Copy data back to host from GPU0 and verify results...",
                         "Verification error @ element 1: val = nan, ref = 4.000000", "Test failed!", "Test passed",
                         "Starting [conjugateGradientMultiDeviceCG]...", "GPU Device 0: \"", "\" with compute capability 8.9",
                         "Device=", " CANNOT Access Peer Device=", "Launching kernel", "GPU Final, residual = ",
                         "&&&& conjugateGradientMultiDeviceCG FAILED", "iommu: Default domain type: ", "Translated", "Passthrough",
                         "DMAR: IOMMU enabled", "AMD-Vi: Interrupt remapping enabled", "Adding to iommu group 3", "Kernel command line: ",
                         "BOOT_IMAGE=/x", "cat /proc/cmdline", "intel_iommu=off", "iommu=pt", "iommu.passthrough=0", "amd_iommu=off"};

TEST(ImportFuzz, RandomBytesAndTokenSoup) {
  std::mt19937_64 rng(11);
  for (int round = 0; round < 300; ++round) {
    std::string text;
    const int n = static_cast<int>(rng() % 400);
    for (int i = 0; i < n; ++i) {
      switch (rng() % 4) {
        case 0: text += static_cast<char>(rng() % 256); break;
        case 1: text += kTokens[rng() % (sizeof kTokens / sizeof *kTokens)]; break;
        case 2: text += '\n'; break;
        default: text += "   "; break;
      }
    }
    survive(text);
  }
}

TEST(ImportFuzz, ShuffledLinesOfRealOutputs) {
  std::vector<std::string> lines;
  for (const char* f : {"autodl-2x2080ti-forum-post.md", "nvbandwidth-v0.10-7gpu-three-matrix-bidir.txt",
                        "nccl-tests-2022-8xa100-sxm4-two-runs.txt", "smi-topo-nic-columns-8gpu-cut.txt",
                        "bandwidthtest-t4-and-v100-two-runs.md", "kernel-log-5090-egpu-uncorrectable-xid31.txt",
                        "nccl-info-8x4090-shm.txt", "lspci-4090-riser-lnksta-ok-wording.txt", "vllm-p2p-test-failed-cache.txt",
                        "lspci-tv-puget-wrx90-2x-rtx6000ada.md", "nccl-topo-xml-ibm-8xh100-vsi.xml", "nccl-tests-json-patch318-8gpu-alltoall-cut.txt",
                        "nvbandwidth-json-v0.8-4xgb200-multinode-annotated-cut.txt", "smi-topo-soc-legend-4gpu-ompi-archive.html",
                        "simplep2p-cg-2x4090-xeon-w3365-wrong-data.md", "simplep2p-cg-2x-rtx6000ada-trpro-passed.md",
                        "kernel-log-intel-iommu-on-pt-cmdline-rocm361-cut.txt", "lspci-grep-acsctl-headerless-redirect-on-nccl523-cut.txt"}) {
    std::string t = fixture_text(f);
    size_t b = 0;
    for (size_t e; (e = t.find('\n', b)) != std::string::npos; b = e + 1) lines.push_back(t.substr(b, e - b));
  }
  std::mt19937_64 rng(7);
  for (int round = 0; round < 200; ++round) {
    std::shuffle(lines.begin(), lines.end(), rng);
    std::string text;
    const size_t n = 1 + rng() % lines.size();
    for (size_t i = 0; i < n; ++i) text += lines[i] + "\n";
    survive(text);
  }
}

TEST(ImportFuzz, EnormousLineIsCutNotHeld) {
  std::string text = "nvbandwidth Version: v0.8\nDevice 0: " + std::string(8 << 20, 'A') + "\n";
  const auto m = import_string(text);
  ASSERT_EQ(m.gpus.size(), 1u);
  EXPECT_LE(m.gpus[0].name.size(), ingest::kMaxLineChars);
}

TEST(ImportFuzz, LargePasteInBoundedTime) {
  // About 25 MB: the 7-GPU nvbandwidth output repeated; a 100 MB paste scales linearly.
  const std::string one = fixture_text("nvbandwidth-v0.10-7gpu-three-matrix-bidir.txt");
  std::string big;
  while (big.size() < (25u << 20)) big += one;
  const auto start = std::chrono::steady_clock::now();
  const auto m = import_string(big);
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  // Thousands of runs: the figures stop at the cap, and the skipped rest is said.
  // The block that crosses the cap is read whole (one run has 238 figures).
  EXPECT_GE(m.cells.size(), ingest::kMaxCells);
  EXPECT_LT(m.cells.size(), ingest::kMaxCells + 238);
  EXPECT_EQ(count_events(m, ingest::Event::Kind::unparsed), 1u);
  EXPECT_LT(s, 30.0) << "import of 25 MB took " << s << " s";
}

TEST(ImportFuzz, LargeTreeXmlAndJsonPastesInBoundedTimeAndMemory) {
  // About 8 MB each of a repeated lspci -tv paste, a repeated topology dump and a repeated
  // one-line JSON document: the node, GPU and row counts stay capped and the time linear.
  for (const char* f : {"lspci-tv-puget-wrx90-2x-rtx6000ada.md", "nccl-topo-xml-ibm-8xh100-vsi.xml", "nccl-tests-json-patch318-8gpu-alltoall-cut.txt"}) {
    SCOPED_TRACE(f);
    const std::string one = fixture_text(f);
    std::string big;
    while (big.size() < (8u << 20)) big += one;
    const auto start = std::chrono::steady_clock::now();
    const auto m = import_string(big);
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    EXPECT_LE(m.pci_tree.size(), 4096u);
    EXPECT_LE(m.xml_gpus.size(), 1024u);
    EXPECT_LE(m.lspci_functions.size(), 4096u);
    EXPECT_LT(s, 30.0) << "import of 8 MB took " << s << " s";
  }
}

TEST(ImportFuzz, CutAnywhereInTheNewFormatsNeverThrowsOtherThanUnknown) {
  for (const char* f : {"nccl-topo-xml-ibm-8xh100-vsi.xml", "lspci-tv-asus-esc8000a-4x-rtx6000ada.md", "nccl-tests-json-patch318-8gpu-alltoall-cut.txt",
                        "nvbandwidth-json-v0.8-4xgb200-multinode-annotated-cut.txt"}) {
    const std::string text = fixture_text(f);
    for (size_t cut = 1; cut < text.size(); cut += 1 + text.size() / 97) survive(text.substr(0, cut));
  }
  // A rigcheck report cut anywhere.
  std::ifstream in(std::string(RIGCHECK_EXAMPLES) + "/dell-t1700-gtx1660--healthy.json");
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string report = ss.str();
  for (size_t cut = 1; cut < report.size(); cut += 1 + report.size() / 61) survive(report.substr(0, cut));
}

// Found by fuzz_import (tests/fuzz): a paste with bytes that are not UTF-8 (here 0xB5 inside an
// nccl-tests header line) reached the report verbatim, and writing the report threw nlohmann's
// "invalid UTF-8 byte": an internal error, whatever the format. Pastes from terminals in other
// encodings are common; the text is made valid UTF-8 where it enters the importer.
TEST(ImportFuzz, BytesThatAreNotUtf8ReachTheReportAsReplacementCharacters) {
  const std::string path = std::string(RIGCHECK_FIXTURES) + "/bad/import-invalid-utf8-fuzz.md";
  std::istringstream no_stdin;
  const app::ImportOutcome out = app::run_import({{path}, {"rigcheck", "import", path}}, no_stdin);
  std::string json;
  ASSERT_NO_THROW(json = out.report.dump());
  EXPECT_NE(json.find("\xef\xbf\xbd"), std::string::npos);  // U+FFFD, which dump() writes as its UTF-8 bytes
}

// Found by fuzz_import: nccl-tests and nvbandwidth outputs spliced together (the all_to_one and
// host_to_all matrices of nvbandwidth among them) gave a judged GPU-to-GPU cell whose plan row is
// -1 ("all GPUs"), and the path lookup indexed the GPU table with it: out of bounds (UBSan; a
// normal build read whatever lay before the table). Every finding must come out of it.
TEST(ImportFuzz, CellOfAllGpusToOneIsNotLookedUpAsAPair) {
  const std::string path = std::string(RIGCHECK_FIXTURES) + "/bad/import-all-gpus-row-fuzz.txt";
  std::istringstream no_stdin;
  app::ImportOutcome out;
  ASSERT_NO_THROW(out = app::run_import({{path}, {"rigcheck", "import", path}}, no_stdin));
  EXPECT_FALSE(out.report.at("findings").empty());
}

// A file name that is not UTF-8 (Linux names are bytes) is kept in the report the same way.
TEST(ImportFuzz, FileNameThatIsNotUtf8IsReportedAsValidUtf8) {
  ingest::PartialMachine m;
  ingest::import_text({"paste-\xff\xfe.txt", fixture_text("nccl-tests-2024-headerless-ring.txt"), ""}, m);
  ASSERT_FALSE(m.inputs.empty());
  EXPECT_NO_THROW((void)nlohmann::json(m.inputs.back().name).dump());
  EXPECT_NE(m.inputs.back().name.find("\xef\xbf\xbd"), std::string::npos);
}

}  // namespace
}  // namespace rigcheck::import_test
