#pragma once
// System state read from /proc and /sys (through a root prefix): kernel, boot command line,
// IOMMU mode, NVIDIA driver version and module parameters.

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "rigcheck/topology/model.h"
#include "rigcheck/topology/rooted_fs.h"

namespace rigcheck::topology {

// Reads everything SystemState holds that files can tell. `gpu_iommu_groups` are the groups of
// the GPUs (their DMA domain type decides translated vs passthrough).
void read_system_state(const RootedFs& fs, const std::vector<int>& gpu_iommu_groups, SystemState& out);

// The NCCL variables that decide which network NCCL uses and how (NCCL's environment variable
// documentation, docs.nvidia.com/deeplearning/nccl/user-guide/docs/env.html): recorded in the
// system state so a report says why NCCL took sockets, skipped GPUDirect RDMA or crossed a socket.
inline constexpr const char* kNcclNetworkVariables[] = {
    "NCCL_SOCKET_IFNAME", "NCCL_IB_HCA",     "NCCL_NET_GDR_LEVEL", "NCCL_IB_DISABLE", "NCCL_NET",  "NCCL_P2P_DISABLE",
    "NCCL_SHM_DISABLE",   "NCCL_IB_GID_INDEX", "NCCL_CROSS_NIC",   "NCCL_ALGO",       "NCCL_PROTO"};
bool is_nccl_network_variable(const std::string& name);

// The variables of kNcclNetworkVariables that `getenv` finds set (injectable for tests).
std::map<std::string, std::string> nccl_network_environment(const std::function<const char*(const char*)>& getenv);

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
