#pragma once
// Measuring one test's cells in worker processes, so that a hang costs a cell and not the test:
// after a copy hangs, a worker's GPUs are wedged and it returns the cells that need them as
// "not-run"; those cells get a fresh worker (a fresh CUDA context), as long as workers remain.

#include <atomic>
#include <functional>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "rigcheck/bench/isolation.h"

namespace rigcheck::bench {

// `measure(only)` runs in a worker and returns {"backend": …, "cells": [{"name", "status", …}],
// "findings": […]} for the cells named in `only` (empty: every cell). The outcome's result has the
// same shape with every cell once: measured, or still not-run when the workers ran out. It fails
// only when the first worker failed (then nothing was measured); a later worker's failure keeps
// what the earlier ones measured and leaves the rest not-run.
IsolatedOutcome measure_in_workers(const std::function<nlohmann::json(const std::set<std::string>& only)>& measure,
                                   double budget_s, const std::atomic<bool>* stop = nullptr, int max_workers = 4,
                                   const ProgressSink& on_progress = {});

}  // namespace rigcheck::bench
