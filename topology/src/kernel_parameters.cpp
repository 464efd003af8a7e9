#include <string>
#include <string_view>

#include "rigcheck/topology/system_state.h"

namespace rigcheck::topology {
namespace {

// Parameters that change how GPUs, PCIe and the IOMMU behave. Everything else on a kernel command
// line (root=UUID=..., ip=..., cryptdevice=, passwords in init arguments) says nothing about the
// fabric and may identify the machine or its owner, and reports are posted publicly.
constexpr std::string_view kExact[] = {
    "iommu",        "intel_iommu",       "amd_iommu",      "amd_iommu_intr", "pci",           "pcie_aspm",
    "pcie_acs_override", "pcie_ports",   "pcie_port_pm",   "pcie_pme",       "noiommu",       "nopat",
    "rd.driver.blacklist", "modprobe.blacklist", "hugepages", "hugepagesz",  "default_hugepagesz",
    "numa",         "numa_balancing",    "mem_encrypt",    "nokaslr",        "acpi",          "pci_pt_e820_access"};
constexpr std::string_view kPrefixes[] = {"iommu.",      "nvidia.",  "nvidia_drm.", "nvidia-drm.",       "nvidia_uvm.",
                                          "nvidia-uvm.", "nouveau.", "vfio-pci.",   "vfio_pci.",         "vfio_iommu_type1.",
                                          "pcie_aspm.",  "amd_iommu."};

bool diagnostic(std::string_view word) {
  const std::string_view key = word.substr(0, word.find('='));
  for (auto k : kExact)
    if (key == k) return true;
  for (auto p : kPrefixes)
    if (key.substr(0, p.size()) == p) return true;
  return false;
}

}  // namespace

std::string diagnostic_kernel_parameters(const std::string& cmdline) {
  std::string out;
  size_t i = 0;
  while (i < cmdline.size()) {
    while (i < cmdline.size() && (cmdline[i] == ' ' || cmdline[i] == '\t' || cmdline[i] == '\n')) ++i;
    size_t end = i;
    while (end < cmdline.size() && cmdline[end] != ' ' && cmdline[end] != '\t' && cmdline[end] != '\n') ++end;
    const std::string_view word(cmdline.data() + i, end - i);
    if (!word.empty() && diagnostic(word)) out += (out.empty() ? "" : " ") + std::string(word);
    i = end;
  }
  return out;
}

}  // namespace rigcheck::topology
