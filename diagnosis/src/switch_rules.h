#pragma once
// Rules on PCIe switch uplinks (the link from a PLX/Broadcom/Microchip switch's upstream port to
// the root port or switch above it): an uplink narrower or slower than it should be, and the GPUs
// that share one uplink to the host.

#include <vector>

#include "rigcheck/diagnosis/finding.h"
#include "rigcheck/topology/model.h"

namespace rigcheck::diagnosis {

void switch_uplink_rules(const topology::Topology& t, std::vector<Finding>& out);

}  // namespace rigcheck::diagnosis
