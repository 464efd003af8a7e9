#pragma once
// Decoding of raw PCI configuration space: the PCI Express capability (port type, LNKCAP,
// LNKSTA), the ACS and AER extended capabilities. Works on whatever bytes were readable:
// a non-root reader gets 64 bytes and therefore none of these.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "rigcheck/topology/model.h"

namespace rigcheck::topology {

// PCI Express capability "Device/Port Type" field (PCIe base spec, 7.5.3.2).
enum class PcieType : int {
  endpoint = 0,
  legacy_endpoint = 1,
  root_port = 4,
  switch_upstream = 5,
  switch_downstream = 6,
  pcie_to_pci_bridge = 7,
  pci_to_pcie_bridge = 8,
  root_complex_integrated = 9,
  root_complex_event_collector = 10,
};

struct ConfigSpaceInfo {
  size_t bytes = 0;               // how many bytes were decoded
  uint16_t vendor_id = 0;
  uint16_t device_id = 0;
  uint8_t header_type = 0;        // 0 device, 1 PCI-PCI bridge
  std::optional<PcieType> pcie_type;
  LinkState link_capability;      // LNKCAP
  LinkState link_status;          // LNKSTA
  std::optional<AcsState> acs;
  std::optional<uint32_t> aer_correctable_status;
};

// Decodes config space. Capability lists are walked with loop guards, so corrupt data cannot hang.
ConfigSpaceInfo parse_config_space(std::span<const uint8_t> config);

}  // namespace rigcheck::topology
