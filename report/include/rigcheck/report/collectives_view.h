#pragma once
// Collective results: an nccl-tests-like table, the transports NCCL chose, and the verdict of the
// control arm (the same collective with NCCL_P2P_DISABLE=1).

#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <vector>

#include "rigcheck/bench/collective_runner.h"

namespace rigcheck::report {

// healthy / slower than the control / wrong results / hang / crash / error / unavailable
std::string collective_verdict(const bench::CollectiveRun& main, const bench::CollectiveRun* control, bench::Collective op);

void render_collectives(const bench::CollectiveRun& run, const bench::CollectiveRun* control, std::ostream& out);
nlohmann::json collectives_json(const bench::CollectiveRun& run, const bench::CollectiveRun* control);

}  // namespace rigcheck::report
