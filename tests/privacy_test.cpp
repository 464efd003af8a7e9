// What leaves the machine in a report or a topology JSON, tested with planted identifying values.

#include <gtest/gtest.h>

#include <cstdlib>

#include "fake_machine.h"
#include "rigcheck/report/redact.h"
#include "rigcheck/report/report.h"
#include "rigcheck/topology/discover.h"
#include "rigcheck/topology/json.h"
#include "rigcheck/topology/system_state.h"

using namespace rigcheck;

namespace {

const std::string kUuid = "1b2c3d4e-5f60-4718-8a9b-0c1d2e3f4a5b";
const std::string kPlantedCmdline =
    "BOOT_IMAGE=/vmlinuz-6.1 root=UUID=" + kUuid + " ro quiet ip=10.0.0.5::10.0.0.1:255.255.255.0:box:eth0:off "
    "cryptdevice=UUID=" + kUuid + ":root secret=hunter2 iommu=pt intel_iommu=on pci=noaer "
    "nvidia.NVreg_EnableGpuFirmware=0 amd_iommu=off pcie_aspm=off";
const std::string kDiagnostic = "iommu=pt intel_iommu=on pci=noaer nvidia.NVreg_EnableGpuFirmware=0 amd_iommu=off pcie_aspm=off";

// Restores redaction and the environment variables a test changed.
class Privacy : public ::testing::Test {
 protected:
  void SetUp() override {
    if (const char* h = std::getenv("HOME")) home_ = h;
    ::setenv("HOME", "/srv/people/carol", 1);
    ::setenv("USER", "carol", 1);
  }
  void TearDown() override {
    report::set_redaction(true);
    ::setenv("HOME", home_.c_str(), 1);
  }
  std::string home_;
};

}  // namespace

TEST_F(Privacy, KernelCommandLineKeepsOnlyDiagnosticParameters) {
  EXPECT_EQ(topology::diagnostic_kernel_parameters(kPlantedCmdline), kDiagnostic);
  EXPECT_EQ(topology::diagnostic_kernel_parameters("BOOT_IMAGE=/vmlinuz root=/dev/sda1 ro"), "");
  EXPECT_EQ(topology::diagnostic_kernel_parameters("iommu.passthrough=1 vfio-pci.ids=10de:2204 nouveau.modeset=0"),
            "iommu.passthrough=1 vfio-pci.ids=10de:2204 nouveau.modeset=0");
}

TEST_F(Privacy, DiscoveredTopologyHoldsNoPlantedCommandLineSecret) {
  rigcheck::testing::TempDir dir;
  auto m = rigcheck::testing::reference_machine();
  m.cmdline = kPlantedCmdline;
  rigcheck::testing::write_fake_sysfs(m, dir.path() / "root");
  topology::DiscoveryOptions o;
  o.fsroot = (dir.path() / "root").string();
  o.query_nvml = false;
  const topology::Topology t = topology::discover(o);
  EXPECT_EQ(t.system.cmdline, kDiagnostic);
  const std::string json = topology::to_json(t).dump();
  for (const std::string& planted : {kUuid, std::string("hunter2"), std::string("10.0.0.5"), std::string("cryptdevice")})
    EXPECT_EQ(json.find(planted), std::string::npos) << planted;
  EXPECT_EQ(t.system.iommu_evidence.empty(), false);
}

TEST_F(Privacy, TextRedaction) {
  EXPECT_EQ(report::redact_text("GPU-" + kUuid + ",MIG-" + kUuid), "GPU-<uuid>,MIG-<uuid>");
  EXPECT_EQ(report::redact_text("10.1.2.3:29500"), "<address>");
  EXPECT_EQ(report::redact_text("peer fe80::1ff:fe23:4567:890a up"), "peer <address> up");
  EXPECT_EQ(report::redact_text("00:1b:21:3a:4f:5c and 0x1c34da0300a1b2c3"), "<guid> and <guid>");
  EXPECT_EQ(report::redact_text("/home/alice/nccl.%h.log"), "/home/<user>/nccl.%h.log");
  EXPECT_EQ(report::redact_text("/srv/people/carol/.nv/cache"), "~/.nv/cache");
  EXPECT_EQ(report::redact_text("/scratch/carol/run"), "/scratch/<user>/run");
  // What a diagnosis needs is left alone: PCI addresses, versions, link states, plain ordinals.
  for (const std::string keep : {"0000:01:00.0", "NCCL 2.28.9", "driver 580.82.07", "Gen4 x16", "0,1,2,3", "10de:2204",
                                 "a 1.5 GB/s link", "12:30:45"})
    EXPECT_EQ(report::redact_text(keep), keep);
}

TEST_F(Privacy, EnvironmentIsRedacted) {
  std::string v1 = "CUDA_VISIBLE_DEVICES=GPU-" + kUuid, v2 = "NCCL_COMM_ID=10.1.2.3:29500",
              v3 = "NCCL_DEBUG_FILE=/home/alice/nccl.%h.%p", v4 = "CUDA_CACHE_PATH=/srv/people/carol/.nv",
              v5 = "NCCL_SOCKET_IFNAME=enp65s0f0", v6 = "NCCL_IB_HCA=mlx5_0:1", v7 = "NCCL_DEBUG=INFO", v8 = "PATH=/home/alice/bin";
  char* env[] = {v1.data(), v2.data(), v3.data(), v4.data(), v5.data(), v6.data(), v7.data(), v8.data(), nullptr};
  auto e = report::whitelisted_environment(env);
  EXPECT_EQ(e.at("CUDA_VISIBLE_DEVICES"), "GPU-<uuid>");
  EXPECT_EQ(e.at("NCCL_COMM_ID"), "<redacted>");
  EXPECT_EQ(e.at("NCCL_DEBUG_FILE"), "/home/<user>/nccl.%h.%p");
  EXPECT_EQ(e.at("CUDA_CACHE_PATH"), "~/.nv");
  EXPECT_EQ(e.at("NCCL_SOCKET_IFNAME"), "<redacted>");
  EXPECT_EQ(e.at("NCCL_IB_HCA"), "<redacted>");
  EXPECT_EQ(e.at("NCCL_DEBUG"), "INFO");
  EXPECT_EQ(e.count("PATH"), 0u);
  report::set_redaction(false);  // --no-redact
  EXPECT_EQ(report::whitelisted_environment(env).at("NCCL_COMM_ID"), "10.1.2.3:29500");
}

TEST_F(Privacy, CommandLineKeepsFileNamesNotDirectories) {
  const std::vector<std::string> argv = {"/usr/local/bin/rigcheck", "run", "--simulate", "/home/alice/rigs/x99.json",
                                         "--out=/srv/data/bob/results", "--name", "mine", "--gpus", "0,1"};
  EXPECT_EQ(report::redact_command_line(argv),
            (std::vector<std::string>{"rigcheck", "run", "--simulate", ".../x99.json", "--out=.../results", "--name", "mine",
                                      "--gpus", "0,1"}));
  report::ReportHeader h;
  h.command_line = argv;
  const auto r = report::new_report(h, topology::Topology{}, {});
  EXPECT_EQ(r.at("command_line").dump().find("alice"), std::string::npos);
}

TEST_F(Privacy, NcclTopologyDumpLosesHostHashGuidsAndNicNames) {
  const std::string xml =
      "<system version=\"1\">\n  <cpu host_hash=\"0x5dd5a3eaf7a5d6f9\" numaid=\"0\" arch=\"x86_64\">\n"
      "    <pci busid=\"0000:17:00.0\" class=\"0x030200\" link_speed=\"16.0 GT/s PCIe\" link_width=\"16\">\n"
      "      <gpu dev=\"0\" sm=\"80\" rank=\"0\" gdr=\"1\"/>\n    </pci>\n"
      "    <nic>\n      <net name=\"mlx5_0\" dev=\"0\" speed=\"100000\" port=\"1\" guid=\"0x1c34da0300a1b2c3\" maxconn=\"131072\"/>\n"
      "    </nic>\n  </cpu>\n</system>\n";
  const std::string out = report::redact_nccl_topology(xml);
  for (const std::string planted : {"5dd5a3eaf7a5d6f9", "1c34da0300a1b2c3", "mlx5_0"})
    EXPECT_EQ(out.find(planted), std::string::npos) << out;
  for (const std::string kept : {"busid=\"0000:17:00.0\"", "link_width=\"16\"", "<gpu dev=\"0\" sm=\"80\"", "speed=\"100000\""})
    EXPECT_NE(out.find(kept), std::string::npos) << out;
}
