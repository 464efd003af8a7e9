// Kernel log lines (dmesg, journalctl -k) about PCIe devices, in every wording the fixtures have.

#include <gtest/gtest.h>

#include "support.h"

namespace rigcheck::import_test {
namespace {

using K = ingest::KernelEvent::Kind;

const diagnosis::Finding* find(const std::vector<diagnosis::Finding>& fs, const std::string& id) {
  for (const auto& f : fs)
    if (f.id == id) return &f;
  return nullptr;
}

TEST(ImportKernelLog, LinkLimitedAtEnumeration) {
  const auto m = import_fixture("kernel-log-pi5-vega56-limited-x1.txt");
  ASSERT_EQ(m.kernel.size(), 1u);
  const auto& e = m.kernel[0];
  EXPECT_EQ(e.kind, K::link_limited);
  EXPECT_EQ(e.device, "0000:01:00.0");
  EXPECT_EQ(e.limited_to, "8.0 GT/s PCIe x1");
  EXPECT_EQ(e.limited_at, "0000:00:00.0");
  EXPECT_EQ(e.capable_of, "8.0 GT/s PCIe x16");
  EXPECT_EQ(e.from.line, 6);
  ASSERT_EQ(m.inputs[0].blocks.size(), 1u);
  EXPECT_EQ(m.inputs[0].blocks[0].tool, "kernel log");
}

TEST(ImportKernelLog, CorrectableAerBehindJournalPrefixes) {
  const auto m = import_fixture("kernel-log-gtx1660-aer-corrected-journal.txt");
  ASSERT_EQ(m.kernel.size(), 2u);
  EXPECT_EQ(m.kernel[0].kind, K::aer_corrected);
  EXPECT_EQ(m.kernel[0].device, "0000:00:03.1");
  EXPECT_EQ(m.kernel[1].device, "0000:07:00.0");
  // The findings outlive the lookup: find() points into them (ASan caught a temporary here).
  const auto findings = findings_of(m);
  const auto* f = find(findings, "pcie-aer-errors");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->severity, diagnosis::Severity::warning);
}

TEST(ImportKernelLog, UncorrectableWithoutSeverityWordAndXid) {
  const auto m = import_fixture("kernel-log-5090-egpu-uncorrectable-xid31.txt");
  ASSERT_EQ(m.kernel.size(), 2u);
  EXPECT_EQ(m.kernel[0].kind, K::aer_uncorrected);
  EXPECT_EQ(m.kernel[1].kind, K::xid);
  EXPECT_EQ(m.kernel[1].xid, 31);
  EXPECT_EQ(m.kernel[1].device, "0000:63:00");
  const auto fs = findings_of(m);
  EXPECT_EQ(find(fs, "pcie-aer-errors")->severity, diagnosis::Severity::critical);
  EXPECT_EQ(find(fs, "gpu-xid")->severity, diagnosis::Severity::warning);  // 31 is an MMU fault, not 79
}

TEST(ImportKernelLog, XidOfAnImportedGpuNamesIt) {
  // The eGPU log after nvbandwidth output from a machine whose GPU0 is at 0000:63:00.0
  // (a v0.8 header with its bus id changed by the test to the log's).
  std::string nvb = fixture_text("nvbandwidth-v0.8-a100-h2d-sm.txt");
  nvb.replace(nvb.find("00000000:99:00"), 14, "00000000:63:00");
  const auto fs = findings_of(import_string(nvb + fixture_text("kernel-log-5090-egpu-uncorrectable-xid31.txt")));
  const auto* xid = find(fs, "gpu-xid");
  ASSERT_NE(xid, nullptr);
  EXPECT_EQ(xid->gpus, std::vector<int>{0});
}

}  // namespace
}  // namespace rigcheck::import_test
