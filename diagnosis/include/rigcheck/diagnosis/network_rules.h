#pragma once
// The network checks of one node (issue 15), run with the doctor's static checks: NICs far from
// every GPU (NCCL then stages through host memory), NIC links below what they can do, ports
// down, GPUDirect RDMA unavailable, ACS redirect between a NIC and its GPUs, and NCCL variables
// that turn RDMA off. Nothing here measures; the findings come from the topology alone.

#include <vector>

#include "rigcheck/diagnosis/finding.h"
#include "rigcheck/topology/model.h"

namespace rigcheck::diagnosis {

std::vector<Finding> network_findings(const topology::Topology& t);

}  // namespace rigcheck::diagnosis
