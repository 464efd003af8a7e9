// The GPU model table (topology/data/gpu_models.json): every row loads and is consistent with
// itself, specific ids carry the figures their sources give, the parser refuses rows that break
// the table's rules, and a GPU whose id the table lacks is still discovered (fake sysfs, rig).

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <sstream>

#include "fake_machine.h"
#include "rigcheck/topology/discover.h"
#include "rigcheck/topology/errors.h"
#include "rigcheck/topology/gpu_models.h"
#include "rigcheck/topology/json.h"
#include "rigcheck/topology/render.h"
#include "rigcheck/topology/rig.h"

using namespace rigcheck::topology;

namespace {

const GpuModel& model(uint16_t id) {
  const GpuModel* m = find_gpu_model(id);
  if (!m) throw std::runtime_error("no model " + std::to_string(id));
  return *m;
}

bool legacy(const GpuModel& m) { return m.architecture == "Fermi" || m.architecture == "Kepler"; }

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

}  // namespace

TEST(GpuModels, EveryRowLoadsWithUniqueIdsAndSourcedFigures) {
  const auto& all = all_gpu_models();
  ASSERT_GE(all.size(), 160u);
  std::set<uint16_t> ids;
  for (const auto& m : all) {
    SCOPED_TRACE(m.name);
    EXPECT_TRUE(ids.insert(m.device_id).second);
    EXPECT_EQ(find_gpu_model(m.device_id), &m);
    EXPECT_FALSE(m.name.empty());
    EXPECT_TRUE(contains(m.sources.at("name"), "https://pci-ids.ucw.cz/read/PC/10de"));
    EXPECT_TRUE(m.sources.count("p2p"));
    if (!m.compute_capability.empty()) { EXPECT_TRUE(contains(m.sources.at("compute_capability"), "developer.nvidia.com/cuda-gpus")); }
    if (m.memory_gib > 0) { EXPECT_TRUE(m.sources.count("memory")); }
    if (m.pcie_gen > 0 || m.pcie_width > 0) { EXPECT_TRUE(m.sources.count("pcie")); }
    if (m.nvlink_known) { EXPECT_TRUE(m.sources.count("nvlink")); }
  }
}

TEST(GpuModels, FieldsAreConsistentWithTheArchitecture) {
  // Compute capabilities per architecture (developer.nvidia.com/cuda-gpus) and the PCIe
  // generation each architecture's boards have.
  const std::map<std::string, std::set<std::string>> cc{{"Pascal", {"6.0", "6.1"}}, {"Volta", {"7.0"}}, {"Turing", {"7.5"}},
                                                        {"Ampere", {"8.0", "8.6"}}, {"Ada", {"8.9"}}, {"Hopper", {"9.0"}},
                                                        {"Blackwell", {"10.0", "10.3", "12.0"}}};
  const std::map<std::string, int> gen{{"Pascal", 3}, {"Volta", 3}, {"Turing", 3}, {"Ampere", 4}, {"Ada", 4}, {"Hopper", 5}, {"Blackwell", 5}};
  int modern = 0;
  for (const auto& m : all_gpu_models()) {
    SCOPED_TRACE(m.name);
    if (legacy(m)) continue;
    ++modern;
    ASSERT_TRUE(cc.count(m.architecture)) << m.architecture;
    EXPECT_TRUE(cc.at(m.architecture).count(m.compute_capability)) << m.compute_capability;
    EXPECT_GE(std::stod(m.compute_capability), 6.0);
    if (m.pcie_gen > 0) { EXPECT_EQ(m.pcie_gen, gen.at(m.architecture)); }
    if (m.pcie_width > 0) { EXPECT_TRUE(m.pcie_width == 8 || m.pcie_width == 16) << m.pcie_width; }
    // GeForce boards: no PCIe P2P with the stock driver; data-center and workstation boards: yes.
    const bool geforce = contains(m.name, "GeForce") || contains(m.name, "Geforce");
    EXPECT_EQ(m.p2p_over_pcie, !geforce);
    EXPECT_EQ(m.nvlink_version == 0, m.nvlink_links == 0);
    if (m.nvlink_links > 0) { EXPECT_GT(m.nvlink_gbps_per_link, 0); }
    if (!m.nvlink_known) { EXPECT_EQ(m.nvlink_links, 0); }
    // SXM boards all have NVLink.
    if (contains(m.name, "SXM") && m.nvlink_known) { EXPECT_GT(m.nvlink_links, 0); }
  }
  EXPECT_GE(modern, 160);
}

TEST(GpuModels, GeForceFiguresFromTheirSources) {
  const GpuModel& rtx3090 = model(0x2204);
  EXPECT_EQ(rtx3090.name, "GeForce RTX 3090");
  EXPECT_EQ(rtx3090.compute_capability, "8.6");
  EXPECT_EQ(rtx3090.memory_gib, 24);
  EXPECT_EQ(rtx3090.pcie_gen, 4);
  EXPECT_EQ(rtx3090.pcie_width, 16);
  // GA102 whitepaper: four NVLink 3 links of 14.0625 GB/s per direction, 112.5 GB/s in all.
  EXPECT_EQ(rtx3090.nvlink_version, 3);
  EXPECT_EQ(rtx3090.nvlink_links, 4);
  EXPECT_DOUBLE_EQ(rtx3090.nvlink_gbps_per_link * rtx3090.nvlink_links * 2, 112.5);
  EXPECT_FALSE(rtx3090.p2p_over_pcie);
  EXPECT_TRUE(contains(rtx3090.sources.at("nvlink"), "ga-102"));
  // Turing whitepaper: TU102 two NVLink 2 links, TU104 one, 25 GB/s per direction each.
  EXPECT_EQ(model(0x1e04).nvlink_links, 2);
  EXPECT_DOUBLE_EQ(model(0x1e04).nvlink_gbps_per_link, 25.0);
  EXPECT_EQ(model(0x1e84).name, "GeForce RTX 2070 SUPER");
  EXPECT_EQ(model(0x1e84).nvlink_links, 1);
  EXPECT_EQ(model(0x1f06).nvlink_links, 0);  // RTX 2060 SUPER: no NVLink
  EXPECT_EQ(model(0x2684).memory_gib, 24);   // RTX 4090
  EXPECT_EQ(model(0x2684).nvlink_links, 0);
  // x8 boards.
  EXPECT_EQ(model(0x2803).pcie_width, 8);  // RTX 4060 Ti
  EXPECT_EQ(model(0x2507).pcie_width, 8);  // RTX 3050
  EXPECT_EQ(model(0x2d05).pcie_gen, 5);    // RTX 5060
  EXPECT_EQ(model(0x2d05).pcie_width, 8);
  // The RTX 5090 and the RTX 5060 Ti, whose one id is sold with 8 and 16 GB: memory unknown.
  EXPECT_EQ(model(0x2b85).compute_capability, "12.0");
  EXPECT_EQ(model(0x2b85).memory_gib, 32);
  EXPECT_EQ(model(0x2d04).memory_gib, 0);
  EXPECT_EQ(model(0x1b06).name, "GeForce GTX 1080 Ti");
  EXPECT_EQ(model(0x1b06).memory_gib, 11);
  EXPECT_EQ(model(0x1b06).pcie_gen, 3);
}

TEST(GpuModels, WorkstationFiguresFromTheirSources) {
  EXPECT_EQ(model(0x1e02).name, "TITAN RTX");
  EXPECT_TRUE(model(0x1e02).p2p_over_pcie);
  EXPECT_EQ(model(0x1e02).nvlink_links, 2);
  EXPECT_EQ(model(0x1dba).name, "Quadro GV100");
  EXPECT_EQ(model(0x1dba).nvlink_links * model(0x1dba).nvlink_gbps_per_link * 2, 200.0);
  EXPECT_EQ(model(0x1eb0).nvlink_links, 1);  // Quadro RTX 5000: 50 GB/s
  EXPECT_EQ(model(0x1e30).memory_gib, 0);    // one id for the RTX 6000 (24 GB) and RTX 8000 (48 GB)
  EXPECT_EQ(model(0x1e30).nvlink_links, 2);
  const GpuModel& a5000 = model(0x2231);
  EXPECT_EQ(a5000.name, "RTX A5000");
  EXPECT_EQ(a5000.memory_gib, 24);
  EXPECT_DOUBLE_EQ(a5000.nvlink_links * a5000.nvlink_gbps_per_link * 2, 112.5);
  EXPECT_TRUE(a5000.p2p_over_pcie);
  EXPECT_EQ(model(0x24b0).nvlink_links, 0);  // RTX A4000
  EXPECT_EQ(model(0x28b0).pcie_width, 8);    // RTX 2000 Ada
  EXPECT_EQ(model(0x26b2).memory_gib, 32);   // RTX 5000 Ada
  const GpuModel& pro6000 = model(0x2bb1);
  EXPECT_EQ(pro6000.name, "RTX PRO 6000 Blackwell Workstation Edition");
  EXPECT_EQ(pro6000.memory_gib, 96);
  EXPECT_EQ(pro6000.pcie_gen, 5);
  EXPECT_EQ(pro6000.pcie_width, 16);
  EXPECT_EQ(pro6000.compute_capability, "12.0");
  EXPECT_EQ(model(0x2bb5).name, "RTX PRO 6000 Blackwell Server Edition");
  EXPECT_EQ(model(0x2c33).pcie_width, 0);  // RTX PRO 4000 SFF: lane count not sourced
  EXPECT_EQ(model(0x2bb4).name, "RTX PRO 6000 Blackwell Max-Q Workstation Edition");
  EXPECT_EQ(model(0x2bb4).memory_gib, 96);
  EXPECT_EQ(model(0x2d30).memory_gib, 0);  // RTX PRO 2000 Blackwell: not in the data sheets referenced
}

TEST(GpuModels, DataCenterFiguresFromTheirSources) {
  EXPECT_EQ(model(0x15f9).nvlink_version, 1);  // P100 SXM2: 4 links of 20 GB/s
  EXPECT_EQ(model(0x15f9).nvlink_links * model(0x15f9).nvlink_gbps_per_link * 2, 160.0);
  EXPECT_EQ(model(0x1bb3).name, "Tesla P4");
  EXPECT_EQ(model(0x1bb3).memory_gib, 8);
  EXPECT_EQ(model(0x1db6).name, "Tesla V100 PCIe 32GB");
  EXPECT_EQ(model(0x1db6).nvlink_links, 0);
  EXPECT_EQ(model(0x1db8).nvlink_links * model(0x1db8).nvlink_gbps_per_link * 2, 300.0);  // V100 SXM3
  EXPECT_EQ(model(0x25b6).name, "A2 / A16");
  EXPECT_EQ(model(0x25b6).pcie_gen, 4);
  EXPECT_EQ(model(0x25b6).pcie_width, 0);  // A2 x8, A16 board x16: one id, width unknown
  EXPECT_EQ(model(0x20b7).nvlink_links * model(0x20b7).nvlink_gbps_per_link * 2, 200.0);  // A30
  EXPECT_EQ(model(0x2235).memory_gib, 48);  // A40
  EXPECT_EQ(model(0x20b5).nvlink_links * model(0x20b5).nvlink_gbps_per_link * 2, 600.0);  // A100 PCIe, bridged
  // A800 SXM4: the A100's NVLink limited to 400 GB/s, 8 NVLink 3 links (nvidia-smi's NV8);
  // the A800 PCIe cards' bridge figures are not sourced, so not known.
  for (uint16_t id : {0x20f3, 0x20bd}) {
    EXPECT_EQ(model(id).nvlink_version, 3);
    EXPECT_EQ(model(id).nvlink_links * model(id).nvlink_gbps_per_link * 2, 400.0);
    EXPECT_TRUE(contains(model(id).sources.at("nvlink"), "400 GB/s"));
    EXPECT_EQ(model(id).pcie_gen, 0);
  }
  EXPECT_EQ(model(0x20f3).name, "A800-SXM4-80GB");
  EXPECT_FALSE(model(0x20f5).nvlink_known);
  EXPECT_FALSE(model(0x20f6).nvlink_known);
  // The H800 NVL and GH200: names only (no data sheet, or one id for two products).
  EXPECT_EQ(model(0x233a).name, "H800L 94GB");
  EXPECT_FALSE(model(0x233a).nvlink_known);
  EXPECT_EQ(model(0x233a).memory_gib, 0);
  EXPECT_EQ(model(0x2342).memory_gib, 0);
  EXPECT_EQ(model(0x27b8).name, "L4");
  EXPECT_EQ(model(0x26b5).name, "L40");
  const GpuModel& h100 = model(0x2330);
  EXPECT_EQ(h100.memory_gib, 80);
  EXPECT_EQ(h100.pcie_gen, 5);
  EXPECT_EQ(h100.nvlink_links * h100.nvlink_gbps_per_link * 2, 900.0);
  const GpuModel& nvl = model(0x2321);
  EXPECT_EQ(nvl.memory_gib, 94);
  EXPECT_EQ(nvl.nvlink_links * nvl.nvlink_gbps_per_link * 2, 600.0);
  EXPECT_EQ(model(0x2335).name, "H200 SXM 141GB");
  EXPECT_EQ(model(0x2335).memory_gib, 141);
  EXPECT_EQ(model(0x2335).nvlink_links, 18);
  EXPECT_EQ(model(0x233b).name, "H200 NVL");
  EXPECT_EQ(model(0x2324).nvlink_links, 8);  // H800 SXM5
  // H20: no NVIDIA data sheet; the memory is the MIG user guide's, PCIe and NVLink not known.
  const GpuModel& h20 = model(0x2329);
  EXPECT_EQ(h20.compute_capability, "9.0");
  EXPECT_EQ(h20.memory_gib, 96);
  EXPECT_TRUE(contains(h20.sources.at("memory"), "mig-user-guide"));
  EXPECT_EQ(h20.pcie_gen, 0);
  EXPECT_FALSE(h20.nvlink_known);
  // The H100 SXM5 94GB (the MIG user guide's memory) and the other H100 and H20 ids pci.ids
  // names: names and compute capability, NVLink not known (the data sheet covers the 80 GB SXM5).
  EXPECT_EQ(model(0x2339).name, "H100 SXM5 94GB");
  EXPECT_EQ(model(0x2339).memory_gib, 94);
  EXPECT_FALSE(model(0x2339).nvlink_known);
  for (uint16_t id : {0x2336, 0x2337, 0x2338, 0x233d, 0x230c, 0x230e, 0x2328, 0x232c}) {
    EXPECT_EQ(model(id).compute_capability, "9.0");
    EXPECT_FALSE(model(id).nvlink_known);
    EXPECT_EQ(model(id).pcie_gen, 0);
  }
  // Blackwell Ultra: compute capability 10.3 (CUDA GPU list), nothing else sourced.
  for (uint16_t id : {0x3182, 0x31a1, 0x31c2, 0x31c3}) {
    EXPECT_EQ(model(id).compute_capability, "10.3");
    EXPECT_EQ(model(id).memory_gib, 0);
    EXPECT_FALSE(model(id).nvlink_known);
  }
  EXPECT_EQ(model(0x2941).name, "HGX GB200");
  EXPECT_EQ(model(0x2941).memory_gib, 186);
  const GpuModel& b200 = model(0x2901);
  EXPECT_EQ(b200.compute_capability, "10.0");
  EXPECT_EQ(b200.memory_gib, 180);
  EXPECT_EQ(b200.nvlink_version, 5);
  EXPECT_EQ(b200.nvlink_links * b200.nvlink_gbps_per_link * 2, 1800.0);
  EXPECT_EQ(b200.pcie_gen, 5);  // an MLCommons system description of an 8x B200 server
  EXPECT_EQ(b200.pcie_width, 16);
  EXPECT_TRUE(contains(b200.sources.at("memory"), "dgx-b200"));
  EXPECT_TRUE(contains(b200.sources.at("pcie"), "mlcommons"));
}

// ---- the parser's rules --------------------------------------------------------------------------

namespace {

std::string table(const std::string& rows) {
  return R"({"references": {"ids": "PCI IDs https://pci-ids.ucw.cz/read/PC/10de", "ds": "a data sheet"}, "models": [)" + rows + "]}";
}

std::string parse_error(const std::string& rows) {
  try {
    parse_gpu_models(table(rows));
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "";
}

const char* kMinimal = R"({"device_id": "2fff", "name": "X", "p2p_over_pcie": true, "sources": {"name": "ids", "p2p": "ds"}})";

}  // namespace

TEST(GpuModelTable, AcceptsARowThatLeavesEveryFigureOut) {
  const auto rows = parse_gpu_models(table(kMinimal));
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].device_id, 0x2fff);
  EXPECT_EQ(rows[0].memory_gib, 0);
  EXPECT_EQ(rows[0].pcie_gen, 0);
  EXPECT_FALSE(rows[0].nvlink_known);
  EXPECT_EQ(rows[0].compute_capability, "");
  EXPECT_EQ(rows[0].sources.at("name"), "PCI IDs https://pci-ids.ucw.cz/read/PC/10de");
}

TEST(GpuModelTable, RefusesRowsThatBreakItsRules) {
  EXPECT_NE(parse_error(std::string(kMinimal) + "," + kMinimal).find("appears twice"), std::string::npos);
  EXPECT_NE(parse_error(R"({"device_id": "2fff", "name": "X", "memory_gib": 8, "p2p_over_pcie": true, "sources": {"name": "ids", "p2p": "ds"}})")
                .find("memory without a source"),
            std::string::npos);
  EXPECT_NE(parse_error(R"({"device_id": "2fff", "name": "X", "p2p_over_pcie": true, "sources": {"name": "nowhere", "p2p": "ds"}})")
                .find("neither a reference"),
            std::string::npos);
  EXPECT_NE(parse_error(R"({"device_id": "2fff", "name": "X", "nvlink_version": 3, "p2p_over_pcie": true, "sources": {"name": "ids", "p2p": "ds", "nvlink": "ds"}})")
                .find("only one of"),
            std::string::npos);
  EXPECT_NE(parse_error(R"({"device_id": "2fff", "name": "X", "nvlink_version": 3, "nvlink_links": 0, "p2p_over_pcie": true, "sources": {"name": "ids", "p2p": "ds", "nvlink": "ds"}})")
                .find("without links"),
            std::string::npos);
  EXPECT_NE(parse_error(R"({"device_id": "2FFF", "name": "X", "p2p_over_pcie": true, "sources": {"name": "ids", "p2p": "ds"}})").find("lower-case"),
            std::string::npos);
  EXPECT_NE(parse_error(R"({"device_id": "2fff", "name": "X", "sources": {"name": "ids", "p2p": "ds"}})").find("p2p_over_pcie"), std::string::npos);
  EXPECT_NE(parse_error(R"({"device_id": "2fff", "name": "X", "p2p_over_pcie": true})").find("no sources"), std::string::npos);
  EXPECT_NE(parse_error(R"({"device_id": "2fff", "name": "X", "pcie_gen": 9, "p2p_over_pcie": true, "sources": {"name": "ids", "p2p": "ds", "pcie": "ds"}})")
                .find("out of range"),
            std::string::npos);
  // A URL written in place is a source too.
  EXPECT_EQ(parse_error(R"({"device_id": "2fff", "name": "X", "memory_gib": 8, "p2p_over_pcie": true, "sources": {"name": "ids", "p2p": "ds", "memory": "https://example.org/ds.pdf"}})"),
            "");
}

// ---- a GPU the table does not know ---------------------------------------------------------------

TEST(UnknownGpuModel, NamedFromPciIdsOrByItsId) {
  // 1e38 is in Debian's pci.ids (installed by scripts/setup-deps.sh) but not in the table.
  ASSERT_EQ(find_gpu_model(0x1e38), nullptr);
  EXPECT_EQ(pci_ids_device_name(0x1e38), "TU102GL [Tesla T40 24GB]");
  EXPECT_EQ(unknown_gpu_name(0x1e38), "NVIDIA Corporation TU102GL [Tesla T40 24GB]");
  // 2fff is in no pci.ids.
  EXPECT_EQ(pci_ids_device_name(0x2fff), "");
  EXPECT_EQ(unknown_gpu_name(0x2fff), "NVIDIA device 10de:2fff");
}

namespace {

// One socket, two root ports: a GPU the table lacks and pci.ids lacks (Gen5 x16 LnkCap), and one
// pci.ids names but the table lacks (Gen3 x16).
rigcheck::testing::FakeMachine machine_with_unknown_gpus() {
  using rigcheck::testing::FakeFunction;
  rigcheck::testing::FakeMachine m;
  m.numa_nodes = 1;
  m.functions.push_back(FakeFunction{"0000:00:01.0", "", 0, 0x8086, 0x352a, 0x060400, 4, {5, 16}, {5, 16}, std::nullopt, 1, 1, "pcieport", 10});
  m.functions.push_back(FakeFunction{"0000:01:00.0", "0000:00:01.0", 0, 0x10de, 0x2fff, 0x030200, 0, {5, 16}, {5, 16}, std::nullopt, -1, -1, "nvidia", 11, 32ull << 30});
  m.functions.push_back(FakeFunction{"0000:00:03.0", "", 0, 0x8086, 0x2032, 0x060400, 4, {3, 16}, {3, 16}, std::nullopt, 2, 2, "pcieport", 12});
  m.functions.push_back(FakeFunction{"0000:02:00.0", "0000:00:03.0", 0, 0x10de, 0x1e38, 0x030200, 0, {3, 16}, {3, 16}, std::nullopt, -1, -1, "nvidia", 13, 256ull << 20});
  return m;
}

}  // namespace

TEST(UnknownGpuModel, DiscoveredFromTheCardsOwnLinkWithANote) {
  rigcheck::testing::TempDir dir;
  rigcheck::testing::write_fake_sysfs(machine_with_unknown_gpus(), dir.path() / "root");
  DiscoveryOptions o;
  o.fsroot = (dir.path() / "root").string();
  const Topology t = discover(o);
  ASSERT_EQ(t.gpus.size(), 2u);
  const Gpu& unknown = t.gpus[0];
  EXPECT_EQ(unknown.device_id, 0x2fff);
  EXPECT_EQ(unknown.name, "NVIDIA device 10de:2fff");
  EXPECT_EQ(unknown.gpu_max_gen, 5);
  EXPECT_EQ(unknown.compute_capability, "");
  ASSERT_TRUE(t.pci[unknown.node].link);
  EXPECT_EQ(t.pci[unknown.node].link->device_max, (LinkState{5, 16}));
  const Gpu& t40 = t.gpus[1];
  EXPECT_EQ(t40.name, "NVIDIA Corporation TU102GL [Tesla T40 24GB]");
  EXPECT_EQ(t40.gpu_max_gen, 3);
  // One note per GPU, in the topology's JSON and its text.
  std::vector<std::string> notes;
  for (const auto& n : t.notes)
    if (n.source == "gpu" && contains(n.message, "is not in rigcheck's GPU model table")) notes.push_back(n.message);
  ASSERT_EQ(notes.size(), 2u);
  EXPECT_TRUE(contains(notes[0], "GPU0 (0000:01:00.0, 10de:2fff NVIDIA device 10de:2fff)"));
  EXPECT_TRUE(contains(notes[0], "PCIe capability Gen5 x16 from the card's own link capability"));
  EXPECT_TRUE(contains(notes[1], "Gen3 x16"));
  EXPECT_TRUE(contains(to_json(t).dump(), "is not in rigcheck's GPU model table"));
  std::ostringstream text;
  render_notes(t, text);
  EXPECT_TRUE(contains(text.str(), "! gpu: GPU1 (0000:02:00.0, 10de:1e38 NVIDIA Corporation TU102GL [Tesla T40 24GB]) is not in"));
  // The pair has a path class and a P2P guess like any other (nothing failed on the unknown ids).
  ASSERT_EQ(t.pairs.size(), 1u);
  EXPECT_EQ(t.pairs[0].pcie, PathClass::phb);
}

TEST(UnknownGpuModel, KnownGpusGetNoNote) {
  rigcheck::testing::TempDir dir;
  rigcheck::testing::write_fake_sysfs(rigcheck::testing::reference_machine(), dir.path() / "root");
  DiscoveryOptions o;
  o.fsroot = (dir.path() / "root").string();
  for (const auto& n : discover(o).notes) EXPECT_FALSE(contains(n.message, "GPU model table")) << n.message;
}

namespace {

nlohmann::json rig_with_gpu(const nlohmann::json& gpu) {
  return {{"schema", kRigSchema},
          {"name", "unknown-model"},
          {"sockets", {{{"model", "Xeon"}, {"cores", 8}, {"memory_gib", 64}}}},
          {"root_ports", {{{"address", "0000:00:01.0"}, {"slot", "gen5x16"}, {"gpu", gpu}}}},
          {"variants", {{{"name", "healthy"}}}}};
}

}  // namespace

TEST(UnknownGpuModel, RigGivesTheLinkOfAModelTheTableLacks) {
  const Rig rig = parse_rig(rig_with_gpu({{"address", "0000:01:00.0"}, {"model", "2fff"}, {"link", "gen5x16"}}));
  const Topology t = expand_rig(rig, "healthy");
  ASSERT_EQ(t.gpus.size(), 1u);
  EXPECT_EQ(t.gpus[0].name, "NVIDIA device 10de:2fff");
  EXPECT_EQ(t.gpus[0].gpu_max_gen, 5);
  ASSERT_FALSE(t.notes.empty());
  EXPECT_TRUE(contains(t.notes[0].message, "10de:2fff (NVIDIA device 10de:2fff) is not in rigcheck's GPU model table: its link is the rig's Gen5 x16"));
  // Without a link there is nothing to build the GPU's link from: one sentence says what to add.
  try {
    expand_rig(parse_rig(rig_with_gpu({{"address", "0000:01:00.0"}, {"model", "2fff"}})), "healthy");
    FAIL() << "expanded a GPU without a link";
  } catch (const InputError& e) {
    EXPECT_TRUE(contains(e.what(), "GPU model 2fff is not in topology/data/gpu_models.json: give the GPU's \"link\"")) << e.what();
  }
  // A row without a sourced width (A2 / A16) needs the rig's link too.
  try {
    expand_rig(parse_rig(rig_with_gpu({{"address", "0000:01:00.0"}, {"model", "25b6"}})), "healthy");
    FAIL() << "expanded a GPU without a known width";
  } catch (const InputError& e) {
    EXPECT_TRUE(contains(e.what(), "has no PCIe generation and width")) << e.what();
  }
}

TEST(GpuModels, SxmModulesAreKnownByNameOrByTheirFormFactor) {
  // Named so by pci.ids: "H100 SXM5 80GB", "A800-SXM4-80GB".
  EXPECT_TRUE(is_sxm(*find_gpu_model(0x2330)));
  EXPECT_TRUE(is_sxm(*find_gpu_model(0x20f3)));
  // pci.ids calls them "H800" and "B200": the H800 product brief (SXM5) and the MLPerf system
  // description (B200-SXM-180GB) say they are modules.
  EXPECT_EQ(find_gpu_model(0x2324)->form_factor, "sxm");
  EXPECT_TRUE(is_sxm(*find_gpu_model(0x2324)));
  EXPECT_TRUE(is_sxm(*find_gpu_model(0x2901)));
  EXPECT_FALSE(is_sxm(*find_gpu_model(0x2331)));  // H100 PCIe
  EXPECT_FALSE(is_sxm(*find_gpu_model(0x2204)));  // RTX 3090
}
