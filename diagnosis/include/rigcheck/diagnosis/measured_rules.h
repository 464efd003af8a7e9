#pragma once
// Findings that need measurements: links that stay downtrained under load, numbers below their
// expectation (with the static cause on their path when there is one), P2P slower than the
// host-staged path, corrupt data, hangs, PCIe replays and throttling during the test, host
// memory on the wrong NUMA node.

#include <set>
#include <utility>
#include <vector>

#include "rigcheck/bench/results.h"
#include "rigcheck/diagnosis/expected.h"
#include "rigcheck/diagnosis/finding.h"
#include "rigcheck/topology/model.h"

namespace rigcheck::diagnosis {

// `staged_measured`: GPU pairs (src, dst) whose host-staged copy was itself measured (an imported
// p2pBandwidthLatencyTest's P2P=Disabled matrix). Their P2P cells are compared with that figure by
// the import's own rule, not with the model's staged estimate, which assumes links the output
// does not name (x1 risers look like x16 there).
std::vector<Finding> measured_findings(const topology::Topology& t, const bench::BenchRun& run,
                                       const std::vector<Judgement>& judgements,
                                       const std::set<std::pair<int, int>>& staged_measured = {});

}  // namespace rigcheck::diagnosis
