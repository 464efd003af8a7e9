#pragma once
// The collective step of `rigcheck run`: all-reduce in both process models with the control arm
// (NCCL_P2P_DISABLE=1), each busbw set against the ring model of the healthy machine, and the
// findings of diagnosis/collective_rules.h.

#include <cstdint>
#include <vector>

#include <nlohmann/json.hpp>

#include "rigcheck/diagnosis/finding.h"
#include "rigcheck/topology/model.h"

namespace rigcheck::app {

// One report "collectives" entry per process model; appends the findings to `findings`.
nlohmann::json run_collective_step(const topology::Topology& t, bool simulated, const std::vector<uint64_t>& sizes,
                                   const std::vector<int>& gpus, double timeout_s,
                                   std::vector<diagnosis::Finding>& findings);

}  // namespace rigcheck::app
