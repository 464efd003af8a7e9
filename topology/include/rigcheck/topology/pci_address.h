#pragma once
// A PCI function address (domain:bus:device.function). The BDF is the only key that joins
// hwloc, sysfs, libpci, NVML and CUDA: their device indices disagree with each other.

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace rigcheck::topology {

struct PciAddress {
  uint32_t domain = 0;
  uint8_t bus = 0;
  uint8_t device = 0;
  uint8_t function = 0;

  auto operator<=>(const PciAddress&) const = default;
  bool operator==(const PciAddress&) const = default;

  // "0000:3b:00.0" (lower case, 4-digit domain), as sysfs and lspci -D print it.
  std::string str() const;

  // Accepts "DDDD:BB:DD.F", "DDDDDDDD:BB:DD.F" (NVML, CUDA) and "BB:DD.F"; hex, any case.
  static std::optional<PciAddress> parse(std::string_view text);
};

// Where Intel client and server platforms put the PCH's root ports: bus 0, devices 0x1b-0x1d (the
// CPU's are 00:01.x and 00:06.0; Intel PCH and processor datasheets, device/function tables).
// Says nothing on its own: only a root port of an Intel host is a PCH's there.
bool is_intel_pch_root_port_slot(const PciAddress& a);

}  // namespace rigcheck::topology
