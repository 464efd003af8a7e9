#pragma once
// System state read from /proc and /sys (through a root prefix): kernel, boot command line,
// IOMMU mode, NVIDIA driver version and module parameters.

#include <string>
#include <vector>

#include "rigcheck/topology/model.h"
#include "rigcheck/topology/rooted_fs.h"

namespace rigcheck::topology {

// Reads everything SystemState holds that files can tell. `gpu_iommu_groups` are the groups of
// the GPUs (their DMA domain type decides translated vs passthrough).
void read_system_state(const RootedFs& fs, const std::vector<int>& gpu_iommu_groups, SystemState& out);

// Decides the IOMMU mode from what was found; exposed for tests.
IommuMode decide_iommu_mode(bool iommu_units_present, const std::vector<std::string>& gpu_group_types,
                            const std::string& cmdline, std::vector<std::string>& evidence);

// The words of a kernel command line that matter for a diagnosis (iommu=, intel_iommu=, amd_iommu=,
// pci=, pcie_*, nvidia.*, vfio, hugepages, …) in their order; everything else (root=UUID=…, ip=…,
// secrets) is dropped, since reports and topologies are posted publicly.
std::string diagnostic_kernel_parameters(const std::string& cmdline);

// "580.82.07" from /proc/driver/nvidia/version text; "" when not found.
std::string parse_nvidia_driver_version(const std::string& proc_version_text);

}  // namespace rigcheck::topology
