#include "rigcheck/topology/config_space.h"

namespace rigcheck::topology {
namespace {

// Register offsets (PCI Local Bus spec 3.0 and PCIe base spec; same names as pciutils' header.h).
constexpr size_t kVendorId = 0x00;
constexpr size_t kDeviceId = 0x02;
constexpr size_t kStatus = 0x06;
constexpr uint16_t kStatusCapList = 0x0010;
constexpr size_t kHeaderType = 0x0e;
constexpr size_t kCapabilityPointer = 0x34;
constexpr uint8_t kCapIdPciExpress = 0x10;
constexpr size_t kExpFlags = 0x02;
constexpr size_t kExpLinkCap = 0x0c;
constexpr size_t kExpLinkStatus = 0x12;
constexpr size_t kExtendedStart = 0x100;
constexpr uint16_t kExtCapIdAer = 0x0001;
constexpr uint16_t kExtCapIdAcs = 0x000d;
constexpr size_t kAerCorrectableStatus = 0x10;
constexpr size_t kAcsCapability = 0x04;
constexpr size_t kAcsControl = 0x06;

struct Reader {
  std::span<const uint8_t> bytes;
  bool has(size_t offset, size_t len) const { return offset + len <= bytes.size(); }
  uint8_t u8(size_t o) const { return bytes[o]; }
  uint16_t u16(size_t o) const { return static_cast<uint16_t>(bytes[o] | bytes[o + 1] << 8); }
  uint32_t u32(size_t o) const { return static_cast<uint32_t>(u16(o)) | static_cast<uint32_t>(u16(o + 2)) << 16; }
};

LinkState decode_link(uint32_t reg) {
  // Speed in bits 3:0 (an index into the supported-speeds vector, 1 = 2.5 GT/s), width in bits 9:4.
  return LinkState{static_cast<int>(reg & 0xf), static_cast<int>((reg >> 4) & 0x3f)};
}

void parse_pcie_capability(const Reader& r, size_t cap, ConfigSpaceInfo& info) {
  if (!r.has(cap + kExpLinkStatus, 2)) return;
  info.pcie_type = static_cast<PcieType>((r.u16(cap + kExpFlags) >> 4) & 0xf);
  info.link_capability = decode_link(r.u32(cap + kExpLinkCap));
  info.link_status = decode_link(r.u16(cap + kExpLinkStatus));
}

void walk_capabilities(const Reader& r, ConfigSpaceInfo& info) {
  if (!r.has(kCapabilityPointer, 1) || !(r.u16(kStatus) & kStatusCapList)) return;
  size_t pos = r.u8(kCapabilityPointer) & ~size_t{3};
  // 48 capabilities fit in the 192 bytes after the header; more means a loop.
  for (int guard = 0; guard < 48 && pos >= 0x40 && r.has(pos, 2); ++guard) {
    if (r.u8(pos) == kCapIdPciExpress) {
      parse_pcie_capability(r, pos, info);
      return;
    }
    pos = r.u8(pos + 1) & ~size_t{3};
  }
}

void walk_extended_capabilities(const Reader& r, ConfigSpaceInfo& info) {
  size_t pos = kExtendedStart;
  for (int guard = 0; guard < 480 && pos >= kExtendedStart && r.has(pos, 4); ++guard) {
    uint32_t header = r.u32(pos);
    if (header == 0 || header == 0xffffffff) return;
    uint16_t id = header & 0xffff;
    if (id == kExtCapIdAcs && r.has(pos + kAcsControl, 2)) {
      info.acs = AcsState{r.u16(pos + kAcsCapability), r.u16(pos + kAcsControl)};
    } else if (id == kExtCapIdAer && r.has(pos + kAerCorrectableStatus, 4)) {
      info.aer_correctable_status = r.u32(pos + kAerCorrectableStatus);
    }
    pos = (header >> 20) & 0xffc;
  }
}

}  // namespace

ConfigSpaceInfo parse_config_space(std::span<const uint8_t> config) {
  ConfigSpaceInfo info;
  Reader r{config};
  info.bytes = config.size();
  if (!r.has(kHeaderType, 1)) return info;
  info.vendor_id = r.u16(kVendorId);
  info.device_id = r.u16(kDeviceId);
  info.header_type = r.u8(kHeaderType) & 0x7f;
  walk_capabilities(r, info);
  if (info.pcie_type) walk_extended_capabilities(r, info);
  return info;
}

}  // namespace rigcheck::topology
