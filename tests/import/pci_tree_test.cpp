// The PCI tree from lspci -t/-tv and NCCL's topology XML, lspci -vvv's NUMA and ACS lines, and
// the machine model built on them: path classes from the tree must agree with what nvidia-smi
// topo -m printed on the same machine.

#include <gtest/gtest.h>

#include <algorithm>

#include "support.h"

namespace rigcheck::import_test {
namespace {

using topology::PathClass;

const ingest::ImportedPciNode* tree_node(const ingest::PartialMachine& m, const std::string& bdf) {
  for (const auto& n : m.pci_tree)
    if (n.device == bdf) return &n;
  return nullptr;
}

// The fenced blocks of a Markdown fixture, in order.
std::vector<std::string> fenced(const std::string& text) {
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

// The fixture without its blocks whose first line contains `skip` (the topo -m block), so the
// tree alone has to give the path classes.
std::string without(const std::string& text, const std::string& skip) {
  std::string out;
  for (const auto& b : fenced(text))
    if (b.find(skip) == std::string::npos || b.find(skip) > b.find('\n')) out += "```\n" + b + "```\n";
  return out;
}

TEST(ImportPciTree, LspciTvOfAThreadripperWithTwoGpus) {
  const auto m = import_fixture("lspci-tv-puget-wrx90-2x-rtx6000ada.md");
  const auto* gpu0 = tree_node(m, "0000:c1:00.0");
  ASSERT_NE(gpu0, nullptr);
  EXPECT_EQ(gpu0->parent, "0000:c0:01.1");
  EXPECT_EQ(gpu0->root_bus, "0000:c0");
  EXPECT_EQ(gpu0->name, "NVIDIA Corporation AD102GL [RTX 6000 Ada Generation]");
  EXPECT_FALSE(gpu0->bridge);
  const auto* audio = tree_node(m, "0000:c1:00.1");
  ASSERT_NE(audio, nullptr);
  EXPECT_EQ(audio->parent, "0000:c0:01.1");  // "\-00.1" on the next line, at the branch's column
  EXPECT_EQ(tree_node(m, "0000:c2:00.0")->parent, "0000:c0:03.1");
  const auto* port = tree_node(m, "0000:c0:01.1");
  ASSERT_NE(port, nullptr);
  EXPECT_TRUE(port->bridge);
  EXPECT_EQ(port->parent, "");
  // A switch (the NVMe carrier's): 03.1 -> 01:00.0 -> 02:00.0 (branch) -> 03:00.0 -> 04:00.0 -> 05:00.0.
  EXPECT_EQ(tree_node(m, "0000:01:00.0")->parent, "0000:00:03.1");
  EXPECT_EQ(tree_node(m, "0000:02:00.0")->parent, "0000:01:00.0");
  EXPECT_EQ(tree_node(m, "0000:02:04.0")->parent, "0000:01:00.0");  // a sibling three lines down
  EXPECT_EQ(tree_node(m, "0000:05:00.0")->parent, "0000:04:10.0");
  EXPECT_EQ(tree_node(m, "0000:0c:00.0")->parent, "0000:0a:04.0");
  EXPECT_EQ(tree_node(m, "0000:e2:00.0")->parent, "0000:e1:00.0");  // "-[e1-e2]----00.0-[e2]----00.0"
  EXPECT_TRUE(tree_node(m, "0000:08:00.0")->name.find("Samsung") == 0);
  // Every function of the tree, each once: 4 root buses of the paste.
  std::set<std::string> roots;
  for (const auto& n : m.pci_tree)
    if (n.from.version == "-t tree") roots.insert(n.root_bus);
  EXPECT_EQ(roots, (std::set<std::string>{"0000:00", "0000:20", "0000:c0", "0000:e0"}));
}

TEST(ImportPciTree, AcsLinesWithAndWithoutTheirDevice) {
  const auto m = import_fixture("lspci-tv-puget-wrx90-2x-rtx6000ada.md");
  size_t with_device = 0, headerless = 0;
  for (const auto& f : m.lspci_functions) {
    if (!f.acs) continue;
    EXPECT_EQ(f.acs->control, 0);  // every ACSCtl line of this machine: all minus
    EXPECT_TRUE(f.acs_control_known);
    if (f.device.empty()) {
      ++headerless;
    } else {
      ++with_device;
      EXPECT_EQ(f.device, "0000:21:00.0");
    }
  }
  EXPECT_EQ(with_device, 1u);  // the ConnectX-7's -vvv block
  EXPECT_EQ(headerless, 26u);  // `lspci -vvv | grep ACSCtl`
  // The two GPUs' headers are seen as NVIDIA GPUs.
  size_t gpus = 0;
  for (const auto& f : m.lspci_functions) gpus += f.nvidia_gpu;
  EXPECT_EQ(gpus, 2u);
}

TEST(ImportPciTree, AcsBitsAreReadFlagByFlag) {
  // pciutils' wording, from its ls-ecaps.c; redirect on, as a BIOS with ACS enabled leaves it.
  const auto m = import_string(
      "0000:02:08.0 PCI bridge: PLX Technology, Inc. PEX 8725 24-Lane, 10-Port PCI Express Gen 3 (8.0 GT/s) Multi-Root Switch with DMA (rev ca)\n"
      "\t\tACSCap:\tSrcValid+ TransBlk+ ReqRedir+ CmpltRedir+ UpstreamFwd+ EgressCtrl+ DirectTrans+\n"
      "\t\tACSCtl:\tSrcValid+ TransBlk- ReqRedir+ CmpltRedir+ UpstreamFwd+ EgressCtrl- DirectTrans-\n");
  ASSERT_EQ(m.lspci_functions.size(), 1u);
  const auto& acs = *m.lspci_functions[0].acs;
  EXPECT_EQ(acs.capability, 0x7f);
  EXPECT_EQ(acs.control, topology::AcsState::kSourceValidation | topology::AcsState::kRequestRedirect |
                             topology::AcsState::kCompletionRedirect | topology::AcsState::kUpstreamForwarding);
  EXPECT_EQ(m.lspci_functions[0].device, "0000:02:08.0");
}

TEST(ImportPciTree, TreeGivesThePathClassTopoMPrinted) {
  const std::string text = fixture_text("lspci-tv-puget-wrx90-2x-rtx6000ada.md");
  // topo -m on this machine: GPU0-GPU1 PHB (two root ports of one root complex).
  const auto with_topo = import_string(text);
  ASSERT_NE(ingest::find_pair(with_topo, 0, 1), nullptr);
  ASSERT_EQ(ingest::find_pair(with_topo, 0, 1)->path, PathClass::phb);
  // Without the topo -m block, the tree (GPUs placed by p2pBandwidthLatencyTest's bus IDs) says the same.
  const auto tree_only = import_string(without(text, "topo -m"));
  EXPECT_FALSE(ingest::find_pair(tree_only, 0, 1) && ingest::find_pair(tree_only, 0, 1)->path);
  const auto mm = ingest::machine_model(tree_only);
  ASSERT_EQ(mm.stated.pairs.size(), 1u);
  EXPECT_EQ(mm.stated.pairs[0].pcie, PathClass::phb);
  EXPECT_EQ(mm.stated.pci[mm.stated.gpus[0].node].address->str(), "0000:c1:00.0");
  EXPECT_EQ(mm.stated.pci[mm.stated.pci[mm.stated.gpus[0].node].parent].address->str(), "0000:c0:01.1");
  // The GPU's own link is lspci's: Gen4 x16 capable, 2.5 GT/s at rest.
  const auto& link = *mm.stated.pci[mm.stated.gpus[0].node].link;
  EXPECT_EQ(link.max, (topology::LinkState{4, 16}));
  EXPECT_EQ(link.current, (topology::LinkState{1, 16}));
}

TEST(ImportPciTree, FourRootBusesTwoSocketsNodeAndSys) {
  const std::string text = fixture_text("lspci-tv-asus-esc8000a-4x-rtx6000ada.md");
  const auto with_topo = import_string(text);
  const auto tree_only = import_string(without(text, "topo -m"));
  const auto mm = ingest::machine_model(tree_only);
  ASSERT_EQ(mm.stated.gpus.size(), 4u);
  // NUMA nodes from lspci -vvv's "NUMA node:" lines, joined to the GPUs by bus ID.
  EXPECT_EQ(mm.stated.gpus[0].numa_node, 0);
  EXPECT_EQ(mm.stated.gpus[2].numa_node, 1);
  for (const auto& p : mm.stated.pairs) {
    SCOPED_TRACE("GPU" + std::to_string(p.a) + "-GPU" + std::to_string(p.b));
    const auto* smi = ingest::find_pair(with_topo, p.a, p.b);
    ASSERT_TRUE(smi && smi->path);
    EXPECT_EQ(p.pcie, *smi->path);  // NODE within a socket, SYS across: as nvidia-smi said
  }
  EXPECT_EQ(mm.stated.pair(0, 1)->pcie, PathClass::node);
  EXPECT_EQ(mm.stated.pair(1, 2)->pcie, PathClass::sys);
}

TEST(ImportPciTree, CollapsedSpacesAreSkippedNotGuessed) {
  std::string text = fenced(fixture_text("lspci-tv-puget-wrx90-2x-rtx6000ada.md"))[0];
  std::string collapsed;
  for (char c : text)
    if (!(c == ' ' && !collapsed.empty() && collapsed.back() == ' ')) collapsed += c;
  const auto m = import_string(collapsed);
  // The root lines still parse (their first function is on the line); no function gets a wrong parent.
  for (const auto& n : m.pci_tree) {
    if (n.device == "0000:c1:00.0") {
      EXPECT_EQ(n.parent, "0000:c0:01.1");
    }
    if (n.device == "0000:c2:00.0") {
      EXPECT_EQ(n.parent, "0000:c0:03.1");
    }
  }
  EXPECT_LT(m.pci_tree.size(), import_string(text).pci_tree.size());
}

TEST(ImportPciTree, AcsOfABridgeAboveAGpuLandsOnTheStatedMachine) {
  // The tree and GPU blocks of the Threadripper fixture, plus the root port's ACS lines in
  // pciutils' wording (that machine's own ports print none, its ACS being off).
  const auto blocks = fenced(fixture_text("lspci-tv-puget-wrx90-2x-rtx6000ada.md"));
  std::string text = "```\n" + blocks[0] + "```\n```\n" + blocks[1] + "```\n```\n" + blocks[2] + "```\n";
  text += "0000:c0:01.1 PCI bridge: Advanced Micro Devices, Inc. [AMD] Device 14ab (rev 01) (prog-if 00 [Normal decode])\n"
          "\tCapabilities: [2a0 v1] Access Control Services\n"
          "\t\tACSCap:\tSrcValid+ TransBlk+ ReqRedir+ CmpltRedir+ UpstreamFwd+ EgressCtrl- DirectTrans+\n"
          "\t\tACSCtl:\tSrcValid+ TransBlk- ReqRedir+ CmpltRedir+ UpstreamFwd+ EgressCtrl- DirectTrans-\n";
  const auto m = import_string(text);
  EXPECT_TRUE(m.gpus.empty());  // no tool named a GPU: the machine model takes lspci's, in bus order
  const auto mm = ingest::machine_model(m);
  ASSERT_EQ(mm.stated.gpus.size(), 2u);
  EXPECT_EQ(mm.stated.gpus[1].name, "NVIDIA Corporation AD102GL [RTX 6000 Ada Generation]");
  EXPECT_EQ(mm.model_known, (std::vector<bool>{true, true}));  // the pci.ids name finds the model
  const auto& gpu0 = mm.stated.pci[mm.stated.gpus[0].node];
  EXPECT_EQ(gpu0.address->str(), "0000:c1:00.0");
  const auto& port = mm.stated.pci[gpu0.parent];
  EXPECT_EQ(port.address->str(), "0000:c0:01.1");
  EXPECT_EQ(port.kind, topology::PciKind::root_port);
  ASSERT_TRUE(port.acs.has_value());
  EXPECT_TRUE(port.acs->control & topology::AcsState::kRequestRedirect);
  const auto& other = mm.stated.pci[mm.stated.pci[mm.stated.gpus[1].node].parent];
  EXPECT_EQ(other.address->str(), "0000:c0:03.1");
  EXPECT_FALSE(other.acs.has_value());  // no ACS lines for that port: unknown, not "off"
  EXPECT_FALSE(mm.assumptions.empty());  // the bus-order placement is said
}

TEST(ImportNcclXml, EightH100VsiDump) {
  const auto m = import_fixture("nccl-topo-xml-ibm-8xh100-vsi.xml");
  ASSERT_EQ(m.xml_gpus.size(), 8u);
  const auto& g0 = m.xml_gpus[0];
  EXPECT_EQ(g0.device, "0000:a4:00.0");
  EXPECT_EQ(g0.dev, 0);
  EXPECT_EQ(g0.sm, 90);
  EXPECT_EQ(g0.gdr, true);
  ASSERT_EQ(g0.nvlinks.size(), 4u);
  EXPECT_EQ(g0.nvlinks[0].target, "0000:f5:00.0");
  EXPECT_EQ(g0.nvlinks[0].count, 5);
  EXPECT_EQ(g0.nvlinks[0].target_class, 0x068000u);
  int links = 0;
  for (const auto& l : g0.nvlinks) links += l.count;
  EXPECT_EQ(links, 18);
  // GPUs: index from dev, address from the enclosing <pci>, the model from its device id.
  ASSERT_EQ(m.gpus.size(), 8u);
  EXPECT_EQ(m.gpus[7].address->str(), "0000:ea:00.0");
  EXPECT_FALSE(m.gpus[7].name.empty());
  // Every pair reaches the others through the NVSwitches with 18 links (topo -m's NV18).
  ASSERT_NE(ingest::find_pair(m, 0, 7), nullptr);
  EXPECT_EQ(ingest::find_pair(m, 0, 7)->nvlink_links, 18);
  // NICs with the function they sit on; each shares its bridge with one GPU.
  ASSERT_EQ(m.nic_devices.size(), 8u);
  EXPECT_EQ(m.nic_devices[0].name, "mlx5_7");
  EXPECT_EQ(m.nic_devices[0].device, "0000:a3:00.0");
  EXPECT_EQ(m.nic_devices[0].speed_mbps, 200000);
  EXPECT_EQ(std::count(m.nics.begin(), m.nics.end(), "mlx5_0"), 1);
  const auto* nic = tree_node(m, "0000:a3:00.0");
  const auto* gpu = tree_node(m, "0000:a4:00.0");
  ASSERT_TRUE(nic && gpu);
  EXPECT_EQ(nic->parent, "0000:a1:00.0");
  EXPECT_EQ(gpu->parent, "0000:a1:00.0");
  EXPECT_EQ(gpu->numa_node, 0);
  EXPECT_EQ(tree_node(m, "0000:ea:00.0")->numa_node, 1);
  EXPECT_EQ(gpu->class_id, 0x0302);
  EXPECT_EQ(gpu->device_id, 0x2330);
  EXPECT_FALSE(gpu->link.known());  // link_width="0" in this VM
  EXPECT_EQ(tree_node(m, "0000:a1:00.0")->link, (topology::LinkState{1, 1}));  // the hypervisor's virtual bridge
  // The machine: NVSwitch fabric, GPUs under their bridges, two sockets.
  const auto mm = ingest::machine_model(m);
  EXPECT_EQ(mm.stated.pair(0, 1)->nvlink_links, 18);
  EXPECT_EQ(mm.stated.pair(0, 4)->pcie, PathClass::sys);
  EXPECT_EQ(mm.stated.pair(0, 1)->pcie, PathClass::phb);
}

TEST(ImportNcclXml, FragmentWithUnbalancedTagsAndACut) {
  std::string xml = fixture_text("nccl-topo-xml-ibm-8xh100-vsi.xml");
  xml = xml.substr(xml.find("    <pci busid=\"0000:b5:00.0\""));  // starts inside the first <cpu>
  xml.resize(xml.find("count=\"4\" tclass=\"0x068000\"/>", xml.find("gpu dev=\"4\"")) + 10);  // cut mid-element
  const auto m = import_string("Here is my topo dump:\n" + xml);
  EXPECT_EQ(m.xml_gpus.size(), 3u);  // dev 2, 3, 4
  EXPECT_EQ(m.xml_gpus[2].dev, 4);
  EXPECT_EQ(m.xml_gpus[2].nvlinks.size(), 1u);  // the second nvlink line is cut
  EXPECT_EQ(tree_node(m, "0000:cc:00.0")->numa_node, 1);
}

}  // namespace
}  // namespace rigcheck::import_test
