#pragma once
// Rules on PCIe switch uplinks (the link from a PLX/Broadcom/Microchip switch's upstream port to
// the root port or switch above it): an uplink narrower or slower than it should be, and the GPUs
// that share one uplink to the host.

#include <vector>

#include "rigcheck/bench/results.h"
#include "rigcheck/diagnosis/finding.h"
#include "rigcheck/topology/model.h"

namespace rigcheck::diagnosis {

void switch_uplink_rules(const topology::Topology& t, std::vector<Finding>& out);

// The uplinks as sampled while the tests ran (bench::UplinkObservation): on a machine read at rest
// the topology cannot tell a power-saving uplink from one that trained low, so only the best state
// seen under load is judged; once per switch. Rig files state the loaded state, which
// switch_uplink_rules already judges, so nothing is raised for them here.
void switch_uplink_load_rules(const topology::Topology& t, const bench::BenchRun& run, std::vector<Finding>& out);

}  // namespace rigcheck::diagnosis
