// The IOMMU and ACS of an imported machine: the IOMMU mode from pasted kernel and command lines
// (translated only when the lines say so, passthrough and off never raise iommu-translating,
// unknown stays unknown), ACS redirect on bridges a pasted tree places above the GPUs
// (acs-redirect as the doctor raises it), and ACSCtl lines no tree places (its "unplaced" variant).

#include <gtest/gtest.h>

#include <sstream>

#include "support.h"

namespace rigcheck::import_test {
namespace {

using topology::IommuMode;

const diagnosis::Finding* find(const std::vector<diagnosis::Finding>& fs, const std::string& id) {
  for (const auto& f : fs)
    if (f.id == id) return &f;
  return nullptr;
}

std::vector<std::string> fenced_blocks(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string line, cur;
  bool inside = false;
  while (std::getline(in, line)) {
    if (line.rfind("```", 0) == 0) {
      if (inside) out.push_back(cur), cur.clear();
      inside = !inside;
      continue;
    }
    if (inside) cur += line + "\n";
  }
  return out;
}

// Two GPUs with peer access (a real simpleP2P paste) and kernel lines of the same paste.
ingest::PartialMachine two_gpus_and(const std::string& kernel_lines) {
  return import_string(fixture_text("simplep2p-cg-2x-rtx6000ada-trpro-passed.md") + kernel_lines, "paste");
}

TEST(ImportIommu, CommandLinePassthroughWithIntelIommuOn) {
  const auto m = import_fixture("kernel-log-intel-iommu-on-pt-cmdline-rocm361-cut.txt");
  EXPECT_EQ(m.iommu.mode, IommuMode::passthrough);
  EXPECT_EQ(m.iommu.cmdline, "intel_iommu=on iommu=pt");  // root=UUID=… and the rest left out
  EXPECT_FALSE(m.iommu.unit_active);                     // "DMAR: IOMMU enabled" is the parameter, not a unit
  ASSERT_EQ(m.iommu.lines.size(), 2u);
  EXPECT_EQ(m.iommu.lines[0], "kernel-log-intel-iommu-on-pt-cmdline-rocm361-cut.txt:12: kernel command line: intel_iommu=on iommu=pt (other words left out)");
  EXPECT_EQ(m.iommu.lines[1], "kernel-log-intel-iommu-on-pt-cmdline-rocm361-cut.txt:14: DMAR: IOMMU enabled");
  const auto mm = ingest::machine_model(m);
  EXPECT_EQ(mm.stated.system.iommu, IommuMode::passthrough);
  EXPECT_EQ(mm.stated.system.cmdline, "intel_iommu=on iommu=pt");
  EXPECT_FALSE(finding_ids(m).count("iommu-translating"));
  ASSERT_EQ(m.inputs[0].blocks.size(), 1u);
  EXPECT_EQ(m.inputs[0].blocks[0].version, "IOMMU and command lines");
}

TEST(ImportIommu, DefaultDomainTranslatedWithoutAUnitStaysUnknown) {
  // A Loongson board: the kernel prints the default domain type whether or not a unit comes up.
  const auto m = import_fixture("kernel-log-loongson-default-domain-translated-no-unit.txt");
  EXPECT_EQ(m.iommu.domain_type, "Translated");
  EXPECT_EQ(m.iommu.mode, IommuMode::unknown);
  EXPECT_NE(m.iommu.why.find("no line shows an IOMMU unit up"), std::string::npos) << m.iommu.why;
  const auto mm = ingest::machine_model(m);
  EXPECT_EQ(mm.stated.system.iommu, IommuMode::unknown);
  EXPECT_TRUE(mm.stated.system.iommu_evidence.empty());
  EXPECT_FALSE(finding_ids(m).count("iommu-translating"));
}

TEST(ImportIommu, TranslatedWithAUnitUpRaisesIommuTranslating) {
  // The kernel's own wording (drivers/iommu/iommu.c, intel-iommu.c) after a real two-GPU paste.
  const auto m = two_gpus_and(
      "[    0.000000] DMAR: IOMMU enabled\n"
      "[    1.402158] DMAR: Intel(R) Virtualization Technology for Directed I/O\n"
      "[    1.417345] iommu: Default domain type: Translated \n");
  EXPECT_EQ(m.iommu.mode, IommuMode::translated);
  const auto fs = findings_of(m);
  const auto* f = find(fs, "iommu-translating");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->severity, diagnosis::Severity::warning);
  ASSERT_GE(f->evidence.size(), 3u);
  for (const auto& e : f->evidence) EXPECT_EQ(e.rfind("IMPORTED ", 0), 0u) << e;
  EXPECT_NE(f->evidence[1].find("paste:43: DMAR: Intel(R) Virtualization Technology for Directed I/O"), std::string::npos) << f->evidence[1];
  EXPECT_NE(f->evidence[2].find("paste:44: iommu: Default domain type: Translated"), std::string::npos) << f->evidence[2];
}

TEST(ImportIommu, AGpuPageFaultIsTranslationSeen) {
  // A real paste: AMD-Vi page faults of a GTX 1080 Ti while CUDA's P2P samples hung (NVIDIA/cuda-samples#48).
  const auto m = import_fixture("kernel-log-1080ti-p2p-amdvi-io-page-fault-cut.txt");
  EXPECT_EQ(m.iommu.mode, IommuMode::translated);
  EXPECT_EQ(m.iommu.gpu_fault, "0000:07:00.0");
  EXPECT_TRUE(m.iommu.domain_type.empty());
  ASSERT_EQ(m.iommu.lines.size(), 1u);  // nine faults, the first quoted
  EXPECT_EQ(m.iommu.lines[0],
            "kernel-log-1080ti-p2p-amdvi-io-page-fault-cut.txt:2: nvidia 0000:07:00.0: AMD-Vi: Event logged [IO_PAGE_FAULT domain=0x0003 address=0x80000040 flags=0x0020]");
  EXPECT_EQ(m.iommu.why, "the IOMMU logged a page fault for the NVIDIA device 0000:07:00.0: only a translating (DMA-remapping) domain faults");
  ASSERT_EQ(m.inputs[0].blocks.size(), 1u);
  EXPECT_EQ(m.inputs[0].blocks[0].version, "IOMMU and command lines");
  EXPECT_EQ(m.inputs[0].blocks[0].first_line, 2);
  EXPECT_EQ(m.inputs[0].blocks[0].last_line, 10);
  const auto fs = findings_of(m);
  const auto* f = find(fs, "iommu-translating");
  ASSERT_NE(f, nullptr);
  EXPECT_NE(f->evidence.back().find("the pastes name no GPU"), std::string::npos) << f->evidence.back();
  // The fault beats a default domain that says otherwise: it is the GPU's own domain, seen faulting.
  const auto both = import_string(fixture_text("kernel-log-1080ti-p2p-amdvi-io-page-fault-cut.txt") +
                                  "\n[    1.417345] iommu: Default domain type: Passthrough (set via kernel command line)\n");
  EXPECT_EQ(both.iommu.mode, IommuMode::translated);
}

TEST(ImportIommu, PageFaultsOfOtherDriversOrWithoutOneDecideNothing) {
  // A Wi-Fi card's fault (the line from Dasharo/dasharo-issues#1134), and the kernel's older
  // wording that names no driver (pr_err "Event logged [IO_PAGE_FAULT device=…", written here).
  const auto nic = two_gpus_and("[ 57.392307] ath10k_pci 0000:01:00.0: AMD-Vi: Event logged [IO_PAGE_FAULT domain=0x000d address=0xcfd51ad0 flags=0x0070]\n");
  EXPECT_EQ(nic.iommu.mode, IommuMode::unknown);
  EXPECT_TRUE(nic.iommu.gpu_fault.empty());
  const auto old = two_gpus_and("[  104.528713] AMD-Vi: Event logged [IO_PAGE_FAULT device=07:00.0 domain=0x0003 address=0x80000040 flags=0x0020]\n");
  EXPECT_EQ(old.iommu.mode, IommuMode::unknown);
  // A host named after the driver is not the driver.
  const auto host = two_gpus_and("Sep 21 09:59:59 nvidia kernel: e1000e 0000:05:00.0: AMD-Vi: Event logged [IO_PAGE_FAULT domain=0x0003 address=0x1 flags=0x0020]\n");
  EXPECT_EQ(host.iommu.mode, IommuMode::unknown);
  EXPECT_FALSE(finding_ids(host).count("iommu-translating"));
}

TEST(ImportIommu, PassthroughOrOffNeverRaiseIt) {
  const std::string unit = "[    1.402158] DMAR: Intel(R) Virtualization Technology for Directed I/O\n";
  const auto pt = two_gpus_and(unit + "[    1.417345] iommu: Default domain type: Passthrough (set via kernel command line)\n");
  EXPECT_EQ(pt.iommu.mode, IommuMode::passthrough);
  EXPECT_FALSE(finding_ids(pt).count("iommu-translating"));
  const auto cmd_pt = two_gpus_and("[    0.000000] Kernel command line: BOOT_IMAGE=/vmlinuz root=/dev/sda1 iommu=pt\n" + unit);
  EXPECT_EQ(cmd_pt.iommu.mode, IommuMode::passthrough);
  EXPECT_FALSE(finding_ids(cmd_pt).count("iommu-translating"));
  // `cat /proc/cmdline` after its prompt; the IOMMU off and no unit line.
  const auto off = two_gpus_and("$ cat /proc/cmdline\nBOOT_IMAGE=/boot/vmlinuz-6.8.0 root=UUID=x ro quiet intel_iommu=off\n");
  EXPECT_EQ(off.iommu.mode, IommuMode::off);
  EXPECT_EQ(off.iommu.cmdline, "intel_iommu=off");
  EXPECT_FALSE(finding_ids(off).count("iommu-translating"));
  // A unit up and nothing about its mode: unknown, not the live default.
  const auto up = two_gpus_and(unit);
  EXPECT_EQ(up.iommu.mode, IommuMode::unknown);
  EXPECT_FALSE(finding_ids(up).count("iommu-translating"));
}

TEST(ImportIommu, ADmesgAloneNamesNoGpuButStillSaysSo) {
  const auto m = import_string(
      "[    1.402158] DMAR: Intel(R) Virtualization Technology for Directed I/O\n"
      "[    1.417345] iommu: Default domain type: Translated\n");
  const auto fs = findings_of(m);
  const auto* f = find(fs, "iommu-translating");
  ASSERT_NE(f, nullptr);
  EXPECT_NE(f->evidence.back().find("the pastes name no GPU"), std::string::npos);
}

TEST(ImportAcs, RedirectOnABridgeAboveTheGpusIsAcsRedirect) {
  // The Threadripper fixture's tree and GPU blocks, and its root port's ACS lines as pciutils
  // prints them with redirect on (that machine's own ports print all minus).
  const auto blocks = fenced_blocks(fixture_text("lspci-tv-puget-wrx90-2x-rtx6000ada.md"));
  const std::string base = "```\n" + blocks[0] + "```\n```\n" + blocks[1] + "```\n```\n" + blocks[2] + "```\n";
  const std::string port =
      "0000:c0:01.1 PCI bridge: Advanced Micro Devices, Inc. [AMD] Device 14ab (rev 01) (prog-if 00 [Normal decode])\n"
      "\tCapabilities: [2a0 v1] Access Control Services\n"
      "\t\tACSCap:\tSrcValid+ TransBlk+ ReqRedir+ CmpltRedir+ UpstreamFwd+ EgressCtrl- DirectTrans+\n";
  const auto on = import_string(base + port + "\t\tACSCtl:\tSrcValid+ TransBlk- ReqRedir+ CmpltRedir+ UpstreamFwd+ EgressCtrl- DirectTrans-\n");
  const auto fs = findings_of(on);
  const auto* f = find(fs, "acs-redirect");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->severity, diagnosis::Severity::critical);
  EXPECT_EQ(f->title, "ACS redirects GPU peer-to-peer traffic through the CPU on 1 bridge(s)");
  ASSERT_EQ(f->evidence.size(), 1u);
  EXPECT_EQ(f->evidence[0].rfind("IMPORTED 0000:c0:01.1 (root_port): ", 0), 0u) << f->evidence[0];
  EXPECT_NE(f->evidence[0].find("carries GPU0-GPU1 (lspci, paste:"), std::string::npos) << f->evidence[0];
  EXPECT_NE(f->fix.find("sudo setpci -s 0000:c0:01.1 ECAP_ACS+0x6.w=0000"), std::string::npos);
  EXPECT_EQ(f->gpus, (std::vector<int>{0, 1}));
  // The same port with redirect off: nothing.
  const auto off = import_string(base + port + "\t\tACSCtl:\tSrcValid- TransBlk- ReqRedir- CmpltRedir- UpstreamFwd- EgressCtrl- DirectTrans-\n");
  EXPECT_FALSE(finding_ids(off).count("acs-redirect"));
}

TEST(ImportAcs, TheRealThreadripperPasteHasNoRedirect) {
  // 26 headerless ACSCtl lines and the ConnectX-7's, all minus.
  EXPECT_FALSE(finding_ids(import_fixture("lspci-tv-puget-wrx90-2x-rtx6000ada.md")).count("acs-redirect"));
}

TEST(ImportAcs, HeaderlessGrepWithRedirectIsTheUnplacedVariant) {
  const auto m = import_fixture("lspci-grep-acsctl-headerless-redirect-on-nccl523-cut.txt");
  size_t redirect = 0;
  for (const auto& f : m.lspci_functions) {
    EXPECT_TRUE(f.device.empty());
    redirect += f.acs && f.acs->redirects_p2p();
  }
  EXPECT_EQ(m.lspci_functions.size(), 12u);
  EXPECT_EQ(redirect, 5u);
  const auto fs = findings_of(m);
  const auto* f = find(fs, "acs-redirect");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->severity, diagnosis::Severity::warning);
  EXPECT_EQ(f->title, "ACS redirect is on in 5 pasted ACSCtl line(s); the paste does not say which bridges between the GPUs they are");
  ASSERT_EQ(f->evidence.size(), 5u);
  EXPECT_EQ(f->evidence[0].rfind("IMPORTED lspci-grep-acsctl-headerless-redirect-on-nccl523-cut.txt:2: ACSCtl (no device line pasted): ", 0), 0u)
      << f->evidence[0];
  EXPECT_NE(f->evidence[1].find("cut.txt:10:"), std::string::npos) << f->evidence[1];
  EXPECT_NE(f->fix.find("BIOS"), std::string::npos);
  EXPECT_NE(f->fix.find("sudo setpci -s BRIDGE ECAP_ACS+0x6.w=0000"), std::string::npos);
  EXPECT_NE(f->fix.find("grep -E '^[0-9a-f]|ACSCtl'"), std::string::npos);
}

TEST(ImportAcs, ABridgeWithItsHeaderButNoTreeGetsItsOwnCommand) {
  // pciutils' wording for a PLX switch port with redirect on, no lspci -tv to place it.
  const auto m = import_string(
      "0000:02:08.0 PCI bridge: PLX Technology, Inc. PEX 8725 24-Lane, 10-Port PCI Express Gen 3 (8.0 GT/s) Multi-Root Switch with DMA (rev ca)\n"
      "\t\tACSCap:\tSrcValid+ TransBlk+ ReqRedir+ CmpltRedir+ UpstreamFwd+ EgressCtrl+ DirectTrans+\n"
      "\t\tACSCtl:\tSrcValid+ TransBlk- ReqRedir+ CmpltRedir+ UpstreamFwd+ EgressCtrl- DirectTrans-\n");
  const auto fs = findings_of(m);
  const auto* f = find(fs, "acs-redirect");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->severity, diagnosis::Severity::warning);
  ASSERT_EQ(f->evidence.size(), 1u);
  EXPECT_EQ(f->evidence[0], "IMPORTED paste:1: 0000:02:08.0 ACSCtl: ACS SV RR CR UF (redirects P2P)");
  EXPECT_NE(f->fix.find("  sudo setpci -s 0000:02:08.0 ECAP_ACS+0x6.w=0000\n"), std::string::npos) << f->fix;
  EXPECT_EQ(f->fix.find("BRIDGE ECAP_ACS"), std::string::npos);  // no generic command: the bridge is known
}

}  // namespace
}  // namespace rigcheck::import_test
