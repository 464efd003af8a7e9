#pragma once
// Discovery: builds a Topology from the live machine, a fake root, or an hwloc XML (+ PCI dump).

#include <string>

#include "rigcheck/topology/model.h"

namespace rigcheck::topology {

struct DiscoveryOptions {
  std::string xml;       // hwloc XML instead of the live machine
  std::string pci_dump;  // `lspci -xxxx` output for config space (ACS, link registers)
  std::string fsroot;    // read /sys and /proc below this directory instead of /
  bool query_nvml = true;  // live only
  bool query_cuda = true;  // live only
};

// Throws InputError for input the user gave that cannot be read; whatever could not be read
// from the machine itself becomes a Note instead.
Topology discover(const DiscoveryOptions& options);

}  // namespace rigcheck::topology
