#pragma once
// Collective results: an nccl-tests-like table, the transports NCCL chose, and the verdict of the
// control arm (the same collective with NCCL_P2P_DISABLE=1).

#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <vector>

#include "rigcheck/bench/collective_runner.h"
#include "rigcheck/report/finding.h"
#include "rigcheck/topology/model.h"

namespace rigcheck::report {

// healthy / slower than the control / wrong results / hang / crash / error / unavailable
std::string collective_verdict(const bench::CollectiveRun& main, const bench::CollectiveRun* control, bench::Collective op);

void render_collectives(const bench::CollectiveRun& run, const bench::CollectiveRun* control, std::ostream& out);
nlohmann::json collectives_json(const bench::CollectiveRun& run, const bench::CollectiveRun* control);

}  // namespace rigcheck::report

namespace rigcheck::report {

// The collective step of `rigcheck run`: all-reduce in both process models with the control arm,
// each busbw compared with the ring model of the healthy machine; adds findings (wrong results,
// hang, slower than the control, below expectation, NCCL not using P2P where it should).
nlohmann::json run_collective_step(const topology::Topology& t, bool simulated, const std::vector<uint64_t>& sizes,
                                   const std::vector<int>& gpus, double timeout_s, std::vector<Finding>& findings);

}  // namespace rigcheck::report
