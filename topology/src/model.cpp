#include "rigcheck/topology/model.h"

namespace rigcheck::topology {

const GpuPair* Topology::pair(int a, int b) const {
  if (a > b) std::swap(a, b);
  for (const auto& p : pairs)
    if (p.a == a && p.b == b) return &p;
  return nullptr;
}

const char* to_string(PciKind kind) {
  switch (kind) {
    case PciKind::host_bridge: return "host_bridge";
    case PciKind::root_port: return "root_port";
    case PciKind::switch_upstream: return "switch_upstream";
    case PciKind::switch_downstream: return "switch_downstream";
    case PciKind::pci_bridge: return "pci_bridge";
    case PciKind::endpoint: return "endpoint";
  }
  return "?";
}

bool links_read_at_rest(const Topology& t) {
  return t.source.kind == "live" || t.source.kind == "fsroot" || t.source.kind == "xml";
}

const char* to_string(PathClass cls) {
  switch (cls) {
    case PathClass::same: return "X";
    case PathClass::pix: return "PIX";
    case PathClass::pxb: return "PXB";
    case PathClass::phb: return "PHB";
    case PathClass::node: return "NODE";
    case PathClass::sys: return "SYS";
    case PathClass::unknown: return "?";
  }
  return "?";
}

const char* to_string(IommuMode mode) {
  switch (mode) {
    case IommuMode::unknown: return "unknown";
    case IommuMode::off: return "off";
    case IommuMode::passthrough: return "passthrough";
    case IommuMode::translated: return "translated";
  }
  return "unknown";
}

const char* to_string(NicKind kind) {
  switch (kind) {
    case NicKind::infiniband: return "infiniband";
    case NicKind::roce: return "roce";
    case NicKind::ethernet: return "ethernet";
    case NicKind::unknown: return "unknown";
  }
  return "unknown";
}

std::optional<NicKind> nic_kind_from_string(const std::string& s) {
  for (NicKind k : {NicKind::infiniband, NicKind::roce, NicKind::ethernet, NicKind::unknown})
    if (s == to_string(k)) return k;
  return std::nullopt;
}

}  // namespace rigcheck::topology
