// Small pure functions: addresses, PCIe arithmetic, sysfs text parsing, IOMMU decision, driver
// version, CUDA error wording, the GPU model table.

#include <gtest/gtest.h>

#include "../topology/src/sysfs_source.h"
#include "rigcheck/topology/cuda_status.h"
#include "rigcheck/topology/gpu_models.h"
#include "rigcheck/topology/pci_address.h"
#include "rigcheck/topology/pcie_link.h"
#include "rigcheck/topology/system_state.h"

using namespace rigcheck::topology;

TEST(PciAddress, ParsesTheFormsToolsPrint) {
  EXPECT_EQ(PciAddress::parse("0000:3b:00.0"), (PciAddress{0, 0x3b, 0, 0}));
  EXPECT_EQ(PciAddress::parse("00000000:3B:00.0"), (PciAddress{0, 0x3b, 0, 0}));  // NVML / CUDA
  EXPECT_EQ(PciAddress::parse("3b:1f.7"), (PciAddress{0, 0x3b, 0x1f, 7}));
  EXPECT_EQ(PciAddress::parse("000a:01:00.0")->str(), "000a:01:00.0");
  EXPECT_FALSE(PciAddress::parse(""));
  EXPECT_FALSE(PciAddress::parse("3b:20.0"));   // device > 0x1f
  EXPECT_FALSE(PciAddress::parse("3b:00.8"));   // function > 7
  EXPECT_FALSE(PciAddress::parse("0000:3b:00.0x"));
  EXPECT_FALSE(PciAddress::parse("zz:00.0"));
}

TEST(PcieLink, TheoreticalRatesMatchTheReferenceTable) {
  // PCIe line rates and encodings: https://en.wikipedia.org/wiki/PCI_Express#Comparison_table
  // (Gen6 x16 ~121 GB/s: https://github.com/stas00/ml-engineering/blob/master/network/README.md#pcie)
  EXPECT_NEAR(pcie_gbps(1, 16), 4.0, 1e-9);
  EXPECT_NEAR(pcie_gbps(2, 16), 8.0, 1e-9);
  EXPECT_NEAR(pcie_gbps(3, 16), 15.7538, 1e-4);
  EXPECT_NEAR(pcie_gbps(4, 16), 31.5077, 1e-4);
  EXPECT_NEAR(pcie_gbps(5, 16), 63.0154, 1e-4);
  EXPECT_NEAR(pcie_gbps(4, 8), 15.7538, 1e-4);
  EXPECT_NEAR(pcie_gbps(3, 4), 3.9385, 1e-4);
  EXPECT_NEAR(pcie_gbps(6, 16), 121.0, 0.01);
  EXPECT_EQ(pcie_gbps(0, 16), 0.0);
  EXPECT_EQ(pcie_gbps(4, 0), 0.0);
}

TEST(PcieLink, SysfsSpeedStrings) {
  EXPECT_EQ(pcie_gen_from_speed_string("16.0 GT/s PCIe"), 4);
  EXPECT_EQ(pcie_gen_from_speed_string("8 GT/s"), 3);  // kernels <= 5.6
  EXPECT_EQ(pcie_gen_from_speed_string("2.5 GT/s PCIe"), 1);
  EXPECT_EQ(pcie_gen_from_speed_string("64.0 GT/s PCIe"), 6);
  EXPECT_FALSE(pcie_gen_from_speed_string("Unknown"));
  EXPECT_FALSE(pcie_gen_from_speed_string("12 GT/s"));
  EXPECT_EQ(describe(LinkState{4, 8}), "Gen4 x8");
  EXPECT_EQ(describe(LinkState{}), "unknown");
}

TEST(Sysfs, Bar1SizeFromResource) {
  std::string res =
      "0x00000000fa000000 0x00000000faffffff 0x0000000000040200\n"
      "0x0000006000000000 0x00000067ffffffff 0x000000000014220c\n"
      "0x0000000000000000 0x0000000000000000 0x0000000000000000\n";
  EXPECT_EQ(detail::bar_size_from_resource(res, 0), 16ull << 20);
  EXPECT_EQ(detail::bar_size_from_resource(res, 1), 32ull << 30);
  EXPECT_EQ(detail::bar_size_from_resource(res, 2), 0u);
  EXPECT_EQ(detail::bar_size_from_resource(res, 9), 0u);
  EXPECT_EQ(detail::bar_size_from_resource("garbage\n", 0), 0u);
}

TEST(SystemState, IommuModeDecision) {
  std::vector<std::string> ev;
  EXPECT_EQ(decide_iommu_mode(false, {}, "quiet", ev), IommuMode::off);
  EXPECT_EQ(decide_iommu_mode(true, {"DMA"}, "intel_iommu=on", ev), IommuMode::translated);
  EXPECT_EQ(decide_iommu_mode(true, {"DMA-FQ", "identity"}, "", ev), IommuMode::translated);
  EXPECT_EQ(decide_iommu_mode(true, {"identity", "identity"}, "", ev), IommuMode::passthrough);
  EXPECT_EQ(decide_iommu_mode(true, {}, "ro iommu=pt", ev), IommuMode::passthrough);
  EXPECT_EQ(decide_iommu_mode(true, {}, "ro amd_iommu=off", ev), IommuMode::off);
  EXPECT_EQ(decide_iommu_mode(true, {}, "ro", ev), IommuMode::translated);
  ev.clear();
  decide_iommu_mode(true, {"DMA"}, "ro intel_iommu=on", ev);
  EXPECT_EQ(ev.front(), "kernel command line: intel_iommu=on");
}

TEST(SystemState, DriverVersionFromProc) {
  EXPECT_EQ(parse_nvidia_driver_version("NVRM version: NVIDIA UNIX x86_64 Kernel Module  550.135  Tue Nov 12 2024\n"),
            "550.135");
  EXPECT_EQ(parse_nvidia_driver_version(
                "NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  580.95.05  Release Build  (dvs-builder@U16)"),
            "580.95.05");
  EXPECT_EQ(parse_nvidia_driver_version("nothing here"), "");
}

TEST(CudaStatus, ExplainsEachNoGpuCase) {
  EXPECT_NE(explain_cuda_device_count_error(35, 0, "cudaErrorInsufficientDriver").find("no NVIDIA driver"), std::string::npos);
  EXPECT_NE(explain_cuda_device_count_error(35, 12020, "cudaErrorInsufficientDriver").find("CUDA 12.2"), std::string::npos);
  EXPECT_NE(explain_cuda_device_count_error(34, 0, "cudaErrorStubLibrary").find("stub"), std::string::npos);
  EXPECT_NE(explain_cuda_device_count_error(100, 13000, "cudaErrorNoDevice").find("no GPU"), std::string::npos);
}

TEST(GpuModels, TableIsComplete) {
  const GpuModel* rtx3090 = find_gpu_model(0x2204);
  ASSERT_NE(rtx3090, nullptr);
  EXPECT_EQ(rtx3090->compute_capability, "8.6");
  EXPECT_FALSE(rtx3090->p2p_over_pcie);
  const GpuModel* v100 = find_gpu_model(0x1db1);
  ASSERT_NE(v100, nullptr);
  EXPECT_EQ(v100->nvlink_version, 2);
  EXPECT_DOUBLE_EQ(v100->nvlink_gbps_per_link, 25.0);
  EXPECT_EQ(find_gpu_model(0x0001), nullptr);
  EXPECT_DOUBLE_EQ(nvlink_gbps_per_link(1), 20.0);
  EXPECT_DOUBLE_EQ(nvlink_gbps_per_link(5), 50.0);
  EXPECT_DOUBLE_EQ(nvlink_gbps_per_link(9), 0.0);
}
