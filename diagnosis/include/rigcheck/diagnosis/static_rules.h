#pragma once
// The checks `rigcheck doctor` runs without a benchmark: topology, links at rest, ACS on the
// bridges between GPUs, IOMMU, versions against the known-issues table, BAR1, NUMA placement,
// GPUs the build cannot run on.

#include <string>
#include <vector>

#include "rigcheck/diagnosis/finding.h"
#include "rigcheck/topology/model.h"

namespace rigcheck::diagnosis {

// What this rigcheck binary was built for.
struct BuildInfo {
  std::vector<int> cuda_architectures;  // e.g. {75, 80, 86, 89, 90, 100, 120}; empty: built without CUDA
  int cuda_toolkit_major = 0;
};

// The build rigcheck was compiled as (CMAKE_CUDA_ARCHITECTURES, toolkit version).
BuildInfo this_build();

std::vector<Finding> static_findings(const topology::Topology& t, const BuildInfo& build);

// The ACS and IOMMU checks alone (acs-redirect, acs-not-checked, iommu-translating), for the
// machine an import states: its bridges' ACS and its IOMMU mode are what the pastes say, while
// the other checks would judge what no paste states.
std::vector<Finding> acs_and_iommu_findings(const topology::Topology& t);

}  // namespace rigcheck::diagnosis
