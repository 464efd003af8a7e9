#pragma once
// Verdicts and findings of measured collectives: the result check, the control arm (the same
// collective with NCCL_P2P_DISABLE=1), busbw against the ring model of the healthy machine, and
// the transports NCCL chose against the peer access CUDA grants.

#include <string>
#include <vector>

#include "rigcheck/bench/collective_runner.h"
#include "rigcheck/diagnosis/finding.h"
#include "rigcheck/topology/model.h"

namespace rigcheck::diagnosis {

// healthy / slower than the control / wrong results / hang / crash / error / unavailable
std::string collective_verdict(const bench::CollectiveRun& main, const bench::CollectiveRun* control, bench::Collective op);

// What the same collectives should reach: the noise-free ring model of the healthy machine.
bench::CollectiveRun expected_collectives(const topology::Topology& t, const bench::CollectiveOptions& o);

// Findings of one measured collective run (all-reduce verdict, busbw below the expectation at the
// last size, NCCL not using P2P where CUDA allows it) measured with options `o`; `expected` is
// expected_collectives(t, o).
std::vector<Finding> collective_findings(const topology::Topology& t, const bench::CollectiveOptions& o,
                                         const bench::CollectiveRun& run, const bench::CollectiveRun* control,
                                         const bench::CollectiveRun& expected);

}  // namespace rigcheck::diagnosis
