#pragma once
// Collective results as an nccl-tests-like table and as the report's JSON: the transports NCCL
// chose and the verdict (diagnosis/collective_rules.h) against the control arm.

#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <vector>

#include "rigcheck/bench/collective_runner.h"

namespace rigcheck::report {

void render_collectives(const bench::CollectiveRun& run, const bench::CollectiveRun* control, std::ostream& out);
nlohmann::json collectives_json(const bench::CollectiveRun& run, const bench::CollectiveRun* control);

}  // namespace rigcheck::report
