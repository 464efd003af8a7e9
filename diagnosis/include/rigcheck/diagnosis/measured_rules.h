#pragma once
// Findings that need measurements: links that stay downtrained under load, numbers below their
// expectation (with the static cause on their path when there is one), P2P slower than the
// host-staged path, corrupt data, hangs, PCIe replays and throttling during the test, host
// memory on the wrong NUMA node.

#include <vector>

#include "rigcheck/bench/results.h"
#include "rigcheck/diagnosis/expected.h"
#include "rigcheck/diagnosis/finding.h"
#include "rigcheck/topology/model.h"

namespace rigcheck::diagnosis {

std::vector<Finding> measured_findings(const topology::Topology& t, const bench::BenchRun& run,
                                       const std::vector<Judgement>& judgements);

}  // namespace rigcheck::diagnosis
