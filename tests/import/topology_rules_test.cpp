// The rules on the PCI tree of an import: a hypervisor's tree (NCCL's XML of an IBM Cloud VM,
// Hyper-V's one-domain-per-GPU addresses), GPUDirect RDMA and NIC locality from NCCL's XML,
// pairs behind one switch, and a GPU behind the chipset that topo -m calls PHB. The real inputs
// are changed by the tests where a rule needs what the original machines did not have; each
// change is named where it is made.

#include <gtest/gtest.h>

#include <regex>

#include "support.h"

namespace rigcheck::import_test {
namespace {

const diagnosis::Finding* find(const std::vector<diagnosis::Finding>& fs, const std::string& id) {
  for (const auto& f : fs)
    if (f.id == id) return &f;
  return nullptr;
}

std::string replace_once(std::string text, const std::string& from, const std::string& to) {
  const size_t at = text.find(from);
  if (at == std::string::npos) throw std::runtime_error("not in fixture: " + from);
  return text.replace(at, from.size(), to);
}

TEST(ImportTopologyRules, VirtualBridgesOfAnIbmCloudVm) {
  const auto fs = findings_of(import_fixture("nccl-topo-xml-ibm-8xh100-vsi.xml"));
  const auto* v = find(fs, "virtualised-pcie");
  ASSERT_NE(v, nullptr);
  ASSERT_EQ(v->evidence.size(), 1u);
  // Eight 2.5 GT/s x1 bridges, each above a 32 GT/s NIC and GPU; all sixteen endpoints width 0.
  EXPECT_NE(v->evidence[0].find("16 device(s) under bridges far slower than themselves, e.g. 0000:a1:00.0 (Gen1 x1) above 0000:a3:00.0 (Gen5 x?)"),
            std::string::npos)
      << v->evidence[0];
  // Every NIC shares its (virtual) bridge with a GPU, and NCCL says gdr="1" for all of them.
  EXPECT_EQ(find(fs, "nic-far-from-gpus"), nullptr);
  EXPECT_EQ(find(fs, "nccl-gdr-unavailable"), nullptr);
}

TEST(ImportTopologyRules, GdrZeroInNcclsTopology) {
  // The IBM dump with mlx5_7's gdr="1" changed to gdr="0".
  const std::string text = replace_once(fixture_text("nccl-topo-xml-ibm-8xh100-vsi.xml"), "maxconn=\"131072\" gdr=\"1\"", "maxconn=\"131072\" gdr=\"0\"");
  const auto fs = findings_of(import_string(text));
  const auto* f = find(fs, "nccl-gdr-unavailable");
  ASSERT_NE(f, nullptr);
  ASSERT_EQ(f->evidence.size(), 1u);
  EXPECT_EQ(f->evidence[0].rfind("mlx5_7 at 0000:a3:00.0: gdr=\"0\" in NCCL's topology", 0), 0u) << f->evidence[0];
}

TEST(ImportTopologyRules, NicWithoutAGpuBesideIt) {
  // The IBM dump without GPU0's <pci> element (lines 9-16), so mlx5_7 is alone under its bridge.
  std::string text = fixture_text("nccl-topo-xml-ibm-8xh100-vsi.xml");
  const size_t from = text.find("      <pci busid=\"0000:a4:00.0\"");
  const size_t to = text.find("      </pci>\n", from) + std::string("      </pci>\n").size();
  ASSERT_NE(from, std::string::npos);
  text.erase(from, to - from);
  const auto fs = findings_of(import_string(text));
  const auto* f = find(fs, "nic-far-from-gpus");
  ASSERT_NE(f, nullptr);
  ASSERT_EQ(f->evidence.size(), 1u);
  EXPECT_EQ(f->evidence[0].rfind("mlx5_7 at 0000:a3:00.0: no GPU shares a PCIe switch with it; nearest GPUs only on its NUMA node 0 (through the CPU)", 0), 0u)
      << f->evidence[0];
}

TEST(ImportTopologyRules, HyperVAddressesOnlyWhenEveryGpuHasItsOwnDomain) {
  // The 8x A100 paste's buses ([0x07] …) are one domain: no VM is inferred from them.
  EXPECT_FALSE(finding_ids(import_fixture("nccl-tests-2022-8xa100-sxm4-two-runs.txt")).count("virtualised-pcie"));
  EXPECT_FALSE(finding_ids(import_fixture("lspci-tv-asus-esc8000a-4x-rtx6000ada.md")).count("virtualised-pcie"));
}

// A topo -m written by this test for the six RTX A6000 of NVIDIA/nvbandwidth#50 (whose pairs run
// at 26.3 GB/s within {0,1,2} and {3,4,5}, ~22 across): three switches of two GPUs each.
std::string six_gpu_topo(const char* switches) {
  // switches: for each GPU, the letter of its switch.
  std::string t = "        GPU0    GPU1    GPU2    GPU3    GPU4    GPU5    CPU Affinity    NUMA Affinity\n";
  for (int a = 0; a < 6; ++a) {
    t += "GPU" + std::to_string(a);
    for (int b = 0; b < 6; ++b) t += a == b ? "     X  " : switches[a] == switches[b] ? "    PIX " : "    NODE";
    t += "    0-31    0\n";
  }
  return t + "\nLegend:\n\n  X    = Self\n  NODE = Connection traversing PCIe as well as the interconnect between PCIe Host Bridges within a NUMA node\n"
             "  PIX  = Connection traversing at most a single PCIe bridge\n";
}

TEST(ImportTopologyRules, PairsBehindOneSwitchSlowerThanAcross) {
  const std::string nvb = fixture_text("nvbandwidth-v0.8-6xa6000-d2d-read-elided.txt");
  // Switches {0,1,2}, {3,4,5}: the switch-local pairs are the fast ones (26.3 GB/s), as P2P
  // inside a switch is: nothing to say.
  EXPECT_FALSE(finding_ids(import_string(nvb + "\n" + six_gpu_topo("aaabbb"))).count("shared-uplink-pairs-slower"));
  // The same with every 26.3x figure changed to 13.1x, as copies that go up one uplink and back
  // down it in both directions at once would run.
  const std::string halved = std::regex_replace(nvb, std::regex("26\\.3"), "13.1");
  const auto fs = findings_of(import_string(halved + "\n" + six_gpu_topo("aaabbb")));
  const auto* f = find(fs, "shared-uplink-pairs-slower");
  ASSERT_NE(f, nullptr);
  ASSERT_EQ(f->evidence.size(), 1u);
  EXPECT_NE(f->evidence[0].find("device_to_device_read_ce (nvbandwidth): 12 directed pairs behind one switch at 13.14 GB/s (median) vs 22.09 GB/s for 18 pairs across switches"),
            std::string::npos)
      << f->evidence[0];
  EXPECT_EQ(f->severity, diagnosis::Severity::info);
}


TEST(ImportTopologyRules, GpuBehindTheChipsetThatTopoCallsPhb) {
  // Written by this test (no public paste of such a machine was found: the chipset-attached NVIDIA
  // GPUs found in public threads, such as the X570 rigs of club-3090's bench reports, come with
  // `lspci -t` trees without names and LnkSta lines without device headers): an AM5-style tree whose
  // second GPU hangs off the chipset's switch beside the chipset's USB controller, and the
  // nvidia-smi topo -m such a machine prints (PHB, as for two CPU root ports).
  const std::string tree =
      "-[0000:00]-+-00.0  Advanced Micro Devices, Inc. [AMD] Root Complex\n"
      "           +-01.1-[01]----00.0  NVIDIA Corporation AD102 [GeForce RTX 4090]\n"
      "           \\-02.1-[02-05]----00.0-[03-05]--+-00.0-[04]----00.0  NVIDIA Corporation AD102 [GeForce RTX 4090]\n"
      "                                           \\-08.0-[05]----00.0  Advanced Micro Devices, Inc. [AMD] 600 Series Chipset USB 3.2 Controller\n";
  const std::string topo =
      "        GPU0    GPU1    CPU Affinity    NUMA Affinity\n"
      "GPU0     X      PHB     0-31    0\n"
      "GPU1    PHB      X      0-31    0\n\n"
      "Legend:\n\n  X    = Self\n  PHB  = Connection traversing PCIe as well as a PCIe Host Bridge (typically the CPU)\n";
  const auto m = import_string(tree + "\n" + topo);
  const auto fs = findings_of(m);
  const auto* f = find(fs, "chipset-slot-hidden-by-phb");
  ASSERT_NE(f, nullptr);
  ASSERT_EQ(f->evidence.size(), 1u);
  EXPECT_EQ(f->evidence[0],
            "GPU1 (numbered in PCI bus order) at 0000:04:00.0 is behind the switch that also holds 0000:05:00.0 (Advanced Micro Devices, Inc. "
            "[AMD] 600 Series Chipset USB 3.2 Controller) (lspci); nvidia-smi topo -m calls GPU0-GPU1 PHB");
  // The Puget WRX90 tree: both GPUs on CPU root ports, nothing behind a chipset.
  EXPECT_FALSE(finding_ids(import_fixture("lspci-tv-puget-wrx90-2x-rtx6000ada.md")).count("chipset-slot-hidden-by-phb"));
}

// The topo -m of two GPUs a test below pairs with its tree.
const std::string kTwoGpusPhb =
    "        GPU0    GPU1    CPU Affinity    NUMA Affinity\n"
    "GPU0     X      PHB     0-15    0\n"
    "GPU1    PHB      X      0-15    0\n\n"
    "Legend:\n\n  X    = Self\n  PHB  = Connection traversing PCIe as well as a PCIe Host Bridge (typically the CPU)\n";

TEST(ImportTopologyRules, GpuBelowA500SeriesChipsetWhoseUsbIsASiblingFunction) {
  // Written by this test: a 500-series board as lspci -tv draws it. The chipset is one device
  // whose functions 0-2 are its USB and SATA controllers and its switch's upstream port (lspci -nn
  // pastes of such boards list 1022:43ee, 43eb and 43e9 at 02:00.0-2), so its USB controller sits
  // beside the upstream port, not below the switch: the same-switch test alone missed it.
  const std::string tree =
      "-[0000:00]-+-00.0  Advanced Micro Devices, Inc. [AMD] Starship/Matisse Root Complex\n"
      "           +-01.2-[02-05]--+-00.0  Advanced Micro Devices, Inc. [AMD] 500 Series Chipset USB 3.1 XHCI Controller\n"
      "           |               +-00.1  Advanced Micro Devices, Inc. [AMD] 500 Series Chipset SATA Controller\n"
      "           |               \\-00.2-[03-05]--+-00.0-[04]----00.0  NVIDIA Corporation GA102 [GeForce RTX 3090]\n"
      "           |                               \\-08.0-[05]----00.0  Realtek Semiconductor Co., Ltd. RTL8125 2.5GbE Controller\n"
      "           \\-03.1-[06]----00.0  NVIDIA Corporation GA102 [GeForce RTX 3090]\n";
  const auto fs = findings_of(import_string(tree + "\n" + kTwoGpusPhb));
  const auto* f = find(fs, "chipset-slot-hidden-by-phb");
  ASSERT_NE(f, nullptr);
  ASSERT_EQ(f->evidence.size(), 1u);  // the GPU on the CPU's root port 03.1 is not named
  EXPECT_EQ(f->evidence[0],
            "GPU0 (numbered in PCI bus order) at 0000:04:00.0 is behind 0000:02:00.2, a function of the device whose 0000:02:00.0 is "
            "Advanced Micro Devices, Inc. [AMD] 500 Series Chipset USB 3.1 XHCI Controller (lspci); nvidia-smi topo -m calls GPU0-GPU1 PHB");
}

TEST(ImportTopologyRules, GpuOnAnIntelPchRootPort) {
  // Written by this test: lspci -tv of an Intel desktop, one GPU on the CPU's root port 01.0 and
  // one on the PCH's root port 1c.4 (lspci -tv names neither port: both have buses below them).
  const std::string tree =
      "-[0000:00]-+-00.0  Intel Corporation 8th Gen Core Processor Host Bridge/DRAM Registers\n"
      "           +-01.0-[01]----00.0  NVIDIA Corporation TU102 [GeForce RTX 2080 Ti]\n"
      "           +-14.0  Intel Corporation Cannon Lake PCH USB 3.1 xHCI Host Controller\n"
      "           +-1c.4-[02]----00.0  NVIDIA Corporation TU102 [GeForce RTX 2080 Ti]\n"
      "           \\-1f.0  Intel Corporation Z390 Chipset LPC/eSPI Controller\n";
  const auto fs = findings_of(import_string(tree + "\n" + kTwoGpusPhb));
  const auto* f = find(fs, "chipset-slot-hidden-by-phb");
  ASSERT_NE(f, nullptr);
  ASSERT_EQ(f->evidence.size(), 1u);
  EXPECT_EQ(f->evidence[0],
            "GPU1 (numbered in PCI bus order) at 0000:02:00.0 is behind 0000:00:1c.4 (an Intel PCH root port: bus 0, device 1c) (lspci); "
            "nvidia-smi topo -m calls GPU0-GPU1 PHB");
  // The same port numbers under an AMD host bridge are not a PCH's.
  EXPECT_FALSE(finding_ids(import_string(std::regex_replace(tree, std::regex("Intel Corporation 8th Gen Core Processor Host Bridge/DRAM Registers"),
                                                            "Advanced Micro Devices, Inc. [AMD] Root Complex") +
                                         "\n" + kTwoGpusPhb))
                   .count("chipset-slot-hidden-by-phb"));
}

}  // namespace
}  // namespace rigcheck::import_test
