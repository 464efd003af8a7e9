// The known-issues table (diagnosis/data/known_issues.json): every row has a machine that raises
// it and near-misses that must not (a version just outside its range, another GPU, another CPU, a
// value rigcheck does not know); the conditions are read the same way from a rig file and from
// an imported output.

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <stdexcept>

#include "rigcheck/diagnosis/known_issues.h"
#include "rigcheck/diagnosis/static_rules.h"
#include "rigcheck/ingest/importer.h"
#include "rigcheck/ingest/machine_model.h"
#include "rigcheck/topology/gpu_models.h"
#include "rigcheck/topology/rig.h"
#include "topology_builder.h"

namespace rigcheck::embedded {
extern const char* const known_issues_json;
}

using namespace rigcheck;
using diagnosis::Finding;
using rigcheck::testing::TopologyBuilder;

namespace {

constexpr uint16_t kH100Sxm = 0x2330, kH100Pcie = 0x2331, kA100Sxm40 = 0x20b0, kA100Sxm80 = 0x20b2, kA100Pcie80 = 0x20b5,
                   kV100Sxm2 = 0x1db1, kV100Pcie = 0x1db4, kRtx3090 = 0x2204, kRtx4090 = 0x2684, kRtx5090 = 0x2b85,
                   kRtx6000Ada = 0x26b1, kL40S = 0x26b9, kH800 = 0x2324, kH100Nvl = 0x2321;
const char* const kIntel = "Intel(R) Xeon(R) Gold 6338 CPU @ 2.00GHz";
const char* const kAmd = "AMD EPYC 7763 64-Core Processor";
const char* const kGrace = "Neoverse-V2";

// `gpus` cards of `device` on their own root ports of one socket whose CPU is `cpu`; no driver,
// NCCL, CUDA or kernel known, so no row applies until a case says which versions it runs.
topology::Topology machine(uint16_t device, int gpus = 2, const std::string& cpu = kIntel) {
  TopologyBuilder b;
  const int hb = b.host_bridge();
  for (int i = 0; i < gpus; ++i) b.gpu(b.root_port(hb), device, 4, 16);
  b.raw().packages[0].model = cpu;
  auto t = b.build();
  for (auto& g : t.gpus)
    if (const auto* m = topology::find_gpu_model(g.device_id)) g.name = m->name, g.compute_capability = m->compute_capability;
  t.system.iommu = topology::IommuMode::off;
  return t;
}

std::vector<std::string> fired(const topology::Topology& t) {
  std::vector<std::string> ids;
  for (const auto& f : diagnosis::known_issue_findings(t)) ids.push_back(f.id);
  return ids;
}

bool fires(const topology::Topology& t, const std::string& id) {
  const auto ids = fired(t);
  return std::find(ids.begin(), ids.end(), id) != ids.end();
}

using Change = std::function<void(topology::Topology&)>;

// A row's case: the machine that raises it, and the changes of it that must not.
struct Case {
  std::function<topology::Topology()> raises;
  std::map<std::string, Change> misses;
};

Change driver(const std::string& v) { return [v](topology::Topology& t) { t.system.nvidia_driver = v; }; }
Change nccl(int code) { return [code](topology::Topology& t) { t.system.nccl_version = code; }; }
Change cuda_driver(int code) { return [code](topology::Topology& t) { t.system.cuda_driver_version = code; }; }
Change kernel(const std::string& v) { return [v](topology::Topology& t) { t.system.kernel = v; }; }
Change cpu(const std::string& model) { return [model](topology::Topology& t) { t.packages[0].model = model; }; }
Change device(uint16_t id) {
  return [id](topology::Topology& t) {
    for (auto& g : t.gpus) g.device_id = id;
  };
}
Change keep_gpus(size_t n) { return [n](topology::Topology& t) { t.gpus.resize(n); }; }

topology::Topology with(topology::Topology t, std::initializer_list<Change> changes) {
  for (const auto& c : changes) c(t);
  return t;
}

// Eight V100 SXM2 in the DGX-1 style cube mesh is more than the rule needs: two with NVLink.
topology::Topology nvlinked_v100s(int links01) {
  auto t = machine(kV100Sxm2, 2);
  t.gpus[0].nvlink.push_back({"gpu", 1, "", links01, 2, 25.0});
  t.gpus[1].nvlink.push_back({"gpu", 0, "", links01, 2, 25.0});
  return t;
}

std::map<std::string, Case> cases() {
  std::map<std::string, Case> c;
  c["driver-545-geforce-p2p"] = {[] { return with(machine(kRtx3090), {driver("545.29.06")}); },
                                 {{"535 driver", driver("535.183.01")}, {"546 driver", driver("546.01")}, {"A100", device(kA100Sxm80)},
                                  {"no driver", driver("")}}};
  c["driver-570-a100-hang"] = {[] { return with(machine(kA100Sxm80, 4, kAmd), {driver("570.172.08")}); },
                               {{"570.169", driver("570.169")}, {"550.163.01", driver("550.163.01")}, {"Intel CPU", cpu(kIntel)},
                                {"A100 PCIe", device(kA100Pcie80)}, {"CPU unknown", cpu("")}}};
  c["nccl-too-old-for-blackwell-geforce"] = {[] { return with(machine(kRtx5090), {nccl(22501)}); },
                                             {{"2.26.2", nccl(22602)}, {"RTX 4090", device(kRtx4090)}, {"no NCCL", nccl(0)}}};
  c["nccl-h100-ring-ll128-hang"] = {[] { return with(machine(kH100Sxm), {nccl(21503)}); },
                                    {{"2.15.5", nccl(21505)}, {"2.14.3", nccl(21403)}, {"A100", device(kA100Sxm80)}}};
  c["nccl-tree-ll128-corruption-one-gpu-per-nic"] = {[] { return with(machine(kH100Sxm, 8), {nccl(21801)}); },
                                                     {{"2.18.3", nccl(21803)}, {"2.17.1", nccl(21701)}, {"A100", device(kA100Sxm80)}}};
  c["nccl-sharp-allreduce-corruption-h100"] = {[] { return with(machine(kH100Pcie, 8), {nccl(21801)}); },
                                               {{"2.18.3", nccl(21803)}, {"2.16.5", nccl(21605)}, {"L40S", device(kL40S)}}};
  c["nccl-p2p-through-amd-cpu"] = {[] { return with(machine(kA100Pcie80, 4, kAmd), {nccl(22207)}); },
                                   {{"2.23.4", nccl(22304)}, {"Intel CPU", cpu(kIntel)}, {"two GPUs", keep_gpus(2)}, {"no NCCL", nccl(0)}}};
  c["nccl-cubemesh-hang"] = {[] { return with(nvlinked_v100s(2), {nccl(21210)}); },
                             {{"2.12.12", nccl(21212)}, {"V100 PCIe", device(kV100Pcie)}}};
  c["nccl-nvlink-down-corruption"] = {[] { return with(nvlinked_v100s(2), {nccl(21104)}); },
                                      {{"2.12.7", nccl(21207)},
                                       {"all links up", [](topology::Topology& t) { t.gpus[0].nvlink[0].links = t.gpus[1].nvlink[0].links = 6; }},
                                       {"no NVLink (PCIe card)", device(kV100Pcie)}}};
  c["nccl-cumem-alltoall-connect-hang"] = {[] { return with(machine(kH100Sxm, 8), {nccl(21903)}); },
                                           {{"2.18.6", nccl(21806)}, {"2.20.3", nccl(22003)}}};
  c["nccl-arm-cas-hang"] = {[] { return with(machine(kH100Sxm, 4, kGrace), {nccl(22902)}); },
                               {{"2.29.3", nccl(22903)}, {"2.29.1", nccl(22901)}, {"x86 CPU", cpu(kAmd)}}};
  // NCCL before 2.9 encoded its version as major*1000+minor*100+patch: 2803 is 2.8.3.
  c["nccl-ll128-hang-after-2-31-steps"] = {[] { return with(machine(kV100Sxm2), {nccl(2704)}); },
                                           {{"2.8.3", nccl(2803)}, {"2.9.6", nccl(20906)}}};
  c["nccl-ll128-unaligned-corruption"] = {[] { return with(machine(kA100Sxm80), {nccl(21403)}); },
                                          {{"2.15.5", nccl(21505)}, {"no NCCL", nccl(0)}}};
  c["nccl-bf16-sharp-hang"] = {[] { return with(machine(kA100Sxm80, 8), {nccl(21802)}); },
                               {{"2.18.3", nccl(21803)}, {"2.18.0", nccl(21800)}}};
  c["nccl-2-0-2-driver-384"] = {[] { return with(machine(kV100Pcie), {nccl(2002), driver("384.81")}); },
                                {{"driver 384.30", driver("384.30")}, {"NCCL 2.0.4", nccl(2004)}, {"no driver", driver("")}}};
  c["driver-390-gpudirect-rdma-corruption"] = {[] { return with(machine(kV100Pcie), {driver("390.46")}); },
                                               {{"396.26", driver("396.26")}, {"387.26", driver("387.26")}}};
  c["driver-560-nccl-p2p-hang"] = {[] { return with(machine(kRtx4090), {driver("560.35.03")}); },
                                   {{"570.86.10", driver("570.86.10")}, {"555.42.02", driver("555.42.02")},
                                    {"one GPU", keep_gpus(1)}}};
  c["driver-550-90-pcie-peer-errors-h100"] = {[] { return with(machine(kH100Pcie, 4), {driver("550.90.07")}); },
                                                 {{"550.90.08", driver("550.90.08")}, {"550.54.15", driver("550.54.15")}, {"A100", device(kA100Pcie80)}}};
  c["driver-580-142-p2p-corruption-rtx6000-ada"] = {[] { return with(machine(kRtx6000Ada), {driver("580.142")}); },
                                                    {{"580.126.09", driver("580.126.09")}, {"580.142.01", driver("580.142.01")}, {"L40S", device(kL40S)}}};
  c["driver-595-91-a100-custom-allreduce"] = {[] { return with(machine(kA100Pcie80), {driver("595.91.07")}); },
                                                 {{"595.84", driver("595.84")}, {"A100 SXM", device(kA100Sxm40)}}};
  c["nccl-2-29-7-cumem-init-hang-pcie"] = {[] { return with(machine(kRtx3090, 8), {nccl(22907)}); },
                                           {{"2.29.3", nccl(22903)}, {"2.30.0", nccl(23000)}, {"RTX 4090", device(kRtx4090)}}};
  c["nccl-peermem-not-detected-kernel-6-6"] = {[] { return with(machine(kH100Sxm), {nccl(22204), kernel("6.8.0-111-generic")}); },
                                               {{"kernel 6.5", kernel("6.5.0-45-generic")}, {"NCCL 2.23.4", nccl(22304)}, {"kernel unknown", kernel("")}}};
  c["nccl-dgx-h800-performance-before-2-18-3"] = {[] { return with(machine(kH800, 8), {nccl(21801)}); },
                                                  {{"2.18.3", nccl(21803)}, {"2.19.3", nccl(21903)}, {"four GPUs", keep_gpus(4)},
                                                   {"H100", device(kH100Sxm)}, {"no NCCL", nccl(0)}}};
  c["nccl-cumem-host-needs-numa-in-docker"] = {[] { return with(machine(kH100Sxm), {nccl(22403), cuda_driver(12060)}); },
                                               {{"CUDA 12.4 driver", cuda_driver(12040)}, {"NCCL 2.26.3", nccl(22603)}, {"NCCL 2.23.4", nccl(22304)},
                                                {"no CUDA driver", cuda_driver(0)}}};
  c["nccl-symmetric-kernel-corruption"] = {[] { return with(machine(kH100Sxm), {nccl(22803)}); },
                                           {{"2.28.7", nccl(22807)}, {"2.26.6", nccl(22606)}, {"one GPU", keep_gpus(1)}, {"no NCCL", nccl(0)}}};
  // Older than Blackwell is a compute capability condition: a B200 (10.0) is a near miss.
  const Change blackwell = [](topology::Topology& t) {
    for (auto& g : t.gpus) g.device_id = 0x2901, g.compute_capability = "10.0";
  };
  const Change capability_unknown = [](topology::Topology& t) {
    for (auto& g : t.gpus) g.compute_capability = "";
  };
  c["nccl-fp8-symmetric-multicast-init-failure"] = {[] { return with(machine(kA100Sxm80), {nccl(22705)}); },
                                                    {{"2.27.7", nccl(22707)}, {"2.26.6", nccl(22606)}, {"B200", blackwell},
                                                     {"compute capability unknown", capability_unknown}, {"one GPU", keep_gpus(1)}}};
  return c;
}

}  // namespace

TEST(KnownIssues, EveryRowHasACase) {
  const auto all = cases();
  for (const auto& row : diagnosis::parse_known_issues(rigcheck::embedded::known_issues_json)) EXPECT_TRUE(all.count(row.id)) << row.id;
  EXPECT_GE(all.size(), 20u);
}

TEST(KnownIssues, EachRowFiresOnItsMachineAndNotOnItsNearMisses) {
  for (const auto& [id, c] : cases()) {
    SCOPED_TRACE(id);
    const auto t = c.raises();
    EXPECT_TRUE(fires(t, id)) << ::testing::PrintToString(fired(t));
    EXPECT_FALSE(c.misses.empty());
    for (const auto& [what, change] : c.misses) EXPECT_FALSE(fires(with(t, {change}), id)) << what;
  }
}

// The H100 rows take the H100 NVL too: TensorRT-LLM#1868's machine is NV12-bridged pairs, the
// layout of H100 PCIe and H100 NVL cards (pci.ids once named the NVL's id plain GH100).
TEST(KnownIssues, H100RowsTakeTheH100Nvl) {
  EXPECT_TRUE(fires(with(machine(kH100Nvl, 4), {driver("550.90.07")}), "driver-550-90-pcie-peer-errors-h100"));
  EXPECT_TRUE(fires(with(machine(kH100Nvl), {nccl(21503)}), "nccl-h100-ring-ll128-hang"));
  EXPECT_FALSE(fires(with(machine(kH800, 4), {driver("550.90.07")}), "driver-550-90-pcie-peer-errors-h100"));
}

TEST(KnownIssues, NoRowFiresWithoutVersions) {
  for (uint16_t d : {kH100Sxm, kA100Sxm80, kRtx3090, kRtx5090, kV100Sxm2, kRtx6000Ada}) EXPECT_TRUE(fired(machine(d, 8, kAmd)).empty()) << d;
}

TEST(KnownIssues, EvidenceSaysWhatMatchedAndOnWhichGpus) {
  auto t = with(machine(kA100Sxm80, 4, kAmd), {driver("570.172.08")});
  const auto fs = diagnosis::known_issue_findings(t);
  ASSERT_EQ(fs.size(), 1u);
  EXPECT_EQ(fs[0].gpus, (std::vector<int>{0, 1, 2, 3}));
  EXPECT_EQ(fs[0].evidence, (std::vector<std::string>{"NVIDIA driver 570.172.08", std::string("CPU ") + kAmd, "on GPU0, GPU1, GPU2, GPU3"}));
  // Only the GPUs the row names: a mixed machine flags its A100s, not its L40S.
  t.gpus[3].device_id = kL40S;
  EXPECT_EQ(diagnosis::known_issue_findings(t).at(0).gpus, (std::vector<int>{0, 1, 2}));
  auto links = with(nvlinked_v100s(2), {nccl(21104)});
  const auto down = diagnosis::known_issue_findings(links);
  const auto it = std::find_if(down.begin(), down.end(), [](const Finding& f) { return f.id == "nccl-nvlink-down-corruption"; });
  ASSERT_NE(it, down.end());
  EXPECT_EQ(it->evidence.front(), "GPU0: 2 of 6 NVLink links active");
  EXPECT_NE(std::find(it->evidence.begin(), it->evidence.end(), "NCCL 2.11.4"), it->evidence.end());
}

TEST(KnownIssues, TheDoctorRaisesThemWithTheirCatalogueWording) {
  const auto t = with(machine(kRtx3090), {driver("545.29.06")});
  const auto fs = diagnosis::static_findings(t, diagnosis::BuildInfo{});
  const auto it = std::find_if(fs.begin(), fs.end(), [](const Finding& f) { return f.id == "driver-545-geforce-p2p"; });
  ASSERT_NE(it, fs.end());
  EXPECT_EQ(it->severity, diagnosis::Severity::critical);
  EXPECT_NE(it->reference.find("https://github.com/NVIDIA/nccl/issues/1127"), std::string::npos);
}

TEST(KnownIssues, VersionsAreReadPartByPart) {
  using V = diagnosis::VersionParts;
  EXPECT_EQ(diagnosis::parse_version("545.29.06"), (V{545, 29, 6}));
  EXPECT_EQ(diagnosis::parse_version("6.8.0-111-generic"), (V{6, 8, 0}));
  EXPECT_EQ(diagnosis::parse_version("5.15.0"), (V{5, 15, 0}));
  EXPECT_EQ(diagnosis::parse_version(""), V{});
  EXPECT_EQ(diagnosis::parse_version("n/a"), V{});
  EXPECT_EQ(diagnosis::nccl_version_parts(21803), (V{2, 18, 3}));
  EXPECT_EQ(diagnosis::nccl_version_parts(22809), (V{2, 28, 9}));
  EXPECT_EQ(diagnosis::nccl_version_parts(2803), (V{2, 8, 3}));  // the pre-2.9 code
  EXPECT_EQ(diagnosis::nccl_version_parts(0), V{});
  EXPECT_EQ(diagnosis::cuda_version_parts(12060), (V{12, 6}));
  EXPECT_EQ(diagnosis::cuda_version_parts(13000), (V{13, 0}));
  diagnosis::VersionRange r;
  r.min = V{545};
  r.below = V{546};
  EXPECT_TRUE(r.contains({545}));
  EXPECT_TRUE(r.contains({545, 29, 6}));
  EXPECT_FALSE(r.contains({546}));
  EXPECT_FALSE(r.contains({544, 99}));
  diagnosis::VersionRange exact;
  exact.min = exact.max = V{580, 142};
  EXPECT_TRUE(exact.contains({580, 142, 0}));
  EXPECT_FALSE(exact.contains({580, 142, 1}));
}

TEST(KnownIssues, MalformedRowsAreRejected) {
  const auto doc = [](const nlohmann::json& row) { return nlohmann::json{{"issues", {row}}}.dump(); };
  const nlohmann::json good = {{"id", "x"}, {"driver", {{"min", "545"}}}};
  EXPECT_NO_THROW(diagnosis::parse_known_issues(doc(good)));
  for (const auto& bad : std::vector<nlohmann::json>{
           {{"id", "x"}, {"device_ids", {"2204"}}},                                  // no version condition
           {{"id", "x"}, {"driver", {{"min", "545"}}}, {"driver_branch", 545}},      // an unknown condition
           {{"id", "x"}, {"driver", {{"from", "545"}}}},                             // an unknown bound
           {{"id", "x"}, {"driver", {{"min", "545.x"}}}},                            // not a version
           {{"id", "x"}, {"nccl", {{"min", "2.18.3"}, {"below", "2.18.1"}}}},        // empty range
           {{"id", "x"}, {"nccl", {{"min", 21801}}}},                                // a code, not a version
           {{"id", "x"}, {"driver", {{"min", "545"}}}, {"device_ids", {"22049"}}},   // a bad device id
           {{"id", "x"}, {"driver", {{"min", "545"}}}, {"iommu", {"on"}}},           // no such IOMMU mode
           {{"id", "x"}, {"driver", {{"min", "545"}}}, {"min_gpus", 0}},
       })
    EXPECT_THROW(diagnosis::parse_known_issues(doc(bad)), std::logic_error) << bad.dump();
  const auto twice = nlohmann::json{{"issues", {good, good}}}.dump();
  EXPECT_THROW(diagnosis::parse_known_issues(twice), std::logic_error);
}

// Conditions no row of today's table uses are matched too: the IOMMU mode and the compute
// capability (on a catalogue id, since the wording must exist).
TEST(KnownIssues, IommuAndComputeCapabilityConditions) {
  const auto table = diagnosis::parse_known_issues(nlohmann::json{
      {"issues", {{{"id", "driver-560-nccl-p2p-hang"}, {"driver", {{"min", "560"}}}, {"iommu", {"translated"}}, {"compute_capabilities", {"8.9"}}}}}}
                                                       .dump());
  auto t = with(machine(kRtx4090), {driver("560.35.03")});
  t.system.iommu = topology::IommuMode::translated;
  const auto fs = diagnosis::known_issue_findings(t, table);
  ASSERT_EQ(fs.size(), 1u);
  EXPECT_EQ(fs[0].evidence, (std::vector<std::string>{"NVIDIA driver 560.35.03", "IOMMU translated", "on GPU0, GPU1"}));
  for (auto mode : {topology::IommuMode::passthrough, topology::IommuMode::off, topology::IommuMode::unknown}) {
    t.system.iommu = mode;
    EXPECT_TRUE(diagnosis::known_issue_findings(t, table).empty()) << topology::to_string(mode);
  }
  auto a100 = with(machine(kA100Sxm80), {driver("560.35.03")});  // compute capability 8.0
  a100.system.iommu = topology::IommuMode::translated;
  EXPECT_TRUE(diagnosis::known_issue_findings(a100, table).empty());
}

// A rig file's `system` section carries the versions a simulated run judges: the seed rig of a
// V100 NVLink machine, with an old NCCL, raises the cube-mesh row; with a link down, the
// link-down corruption row too.
TEST(KnownIssues, RigFilesCarryTheVersions) {
  std::ifstream in(std::string(RIGCHECK_RIGS) + "/gigabyte-t180-g20-4xv100-nvlink.json");
  auto j = nlohmann::json::parse(in);
  const auto healthy = topology::expand_rig(topology::parse_rig(j), "healthy");
  EXPECT_TRUE(fired(healthy).empty()) << ::testing::PrintToString(fired(healthy));  // the seed rig's NCCL 2.28.9
  j["system"]["nccl_version"] = 21104;
  const auto rig = topology::parse_rig(j);
  const auto old = fired(topology::expand_rig(rig, "healthy"));
  EXPECT_NE(std::find(old.begin(), old.end(), "nccl-cubemesh-hang"), old.end());
  EXPECT_EQ(std::find(old.begin(), old.end(), "nccl-nvlink-down-corruption"), old.end());
  const auto down = fired(topology::expand_rig(rig, "nvlink-link-down"));
  EXPECT_NE(std::find(down.begin(), down.end(), "nccl-nvlink-down-corruption"), down.end());
}

// An imported output brings its versions and GPU names: nvbandwidth's header names driver
// 560.35.05 on a one-GPU A100 machine. The 560 row asks for two GPUs (its source reports a P2P
// hang), so the paste itself does not meet it; the same versions on two of those GPUs do.
TEST(KnownIssues, ImportedOutputsCarryTheVersions) {
  std::ifstream f(std::string(RIGCHECK_FIXTURES) + "/imports/nvbandwidth-v0.8-a100-h2d-sm.txt", std::ios::binary);
  ASSERT_TRUE(f);
  const std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  ingest::PartialMachine m;
  ingest::import_text({"nvbandwidth-v0.8-a100-h2d-sm.txt", text, ""}, m);
  const auto mm = ingest::machine_model(m);
  EXPECT_EQ(mm.stated.system.nvidia_driver, "560.35.05");
  ASSERT_EQ(mm.stated.gpus.size(), 1u);
  EXPECT_FALSE(fires(mm.stated, "driver-560-nccl-p2p-hang")) << ::testing::PrintToString(fired(mm.stated));
  auto two = mm.stated;
  two.gpus.push_back(two.gpus[0]);
  EXPECT_TRUE(fires(two, "driver-560-nccl-p2p-hang")) << ::testing::PrintToString(fired(two));
  two.system.nvidia_driver = "570.124.06";
  EXPECT_FALSE(fires(two, "driver-560-nccl-p2p-hang"));
}
