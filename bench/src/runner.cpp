#include "rigcheck/bench/runner.h"

#include <algorithm>

namespace rigcheck::bench {

const char* to_string(CellStatus s) {
  switch (s) {
    case CellStatus::ok: return "ok";
    case CellStatus::corrupt: return "corrupt";
    case CellStatus::hang: return "hang";
    case CellStatus::error: return "error";
    case CellStatus::unsupported: return "unsupported";
  }
  return "?";
}

namespace {

// GB/s of one sample from the group's timings, as the cell's aggregation says.
double sample_gbps(const CellPlan& cell, const CopyOutcome& o, int repetitions) {
  if (cell.aggregation == Aggregation::first) {
    return static_cast<double>(cell.bytes_counted) * repetitions / o.timings.front().seconds / 1e9;
  }
  double last = 0;
  for (size_t i = 0; i < cell.transfers.size(); ++i)
    if (cell.transfers[i].measured) last = std::max(last, o.timings[i].seconds);
  return static_cast<double>(cell.bytes_counted) * repetitions / last / 1e9;
}

std::string bad_offset_detail(const CellPlan& cell, const CopyOutcome& o) {
  for (size_t i = 0; i < o.timings.size(); ++i) {
    if (!o.timings[i].first_bad_offset) continue;
    const Transfer& t = cell.transfers[i];
    return "data verification failed: " + describe(t.src) + " -> " + describe(t.dst) + " first bad byte at offset " +
           std::to_string(*o.timings[i].first_bad_offset);
  }
  return {};
}

CellResult measure_latency(Backend& backend, const CellPlan& cell, const RunOptions& options) {
  CellResult r;
  r.plan = cell;
  r.unit = "ns";
  const Endpoint memory = cell.plan_is_pair() ? cell.dst : Endpoint::host();
  const int gpu = cell.row >= 0 ? cell.row : cell.col;
  std::string error;
  bool hang = false;
  r.sampling = sample_adaptively(options.sampler, [&]() -> Measurement {
    LatencyOutcome o = backend.run_latency(gpu, memory, options.timeout_s);
    if (o.hang) hang = true;
    if (!o.ns) return {std::nullopt, o.hang ? "timed out" : o.error};
    return {*o.ns, {}};
  });
  if (r.sampling.stop == StopReason::failed) {
    r.status = hang ? CellStatus::hang : CellStatus::error;
    r.detail = r.sampling.failure;
  }
  return r;
}

}  // namespace

CellResult measure_cell(Backend& backend, const CellPlan& cell, const RunOptions& options) {
  if (cell.path == PeerPath::unsupported) {
    CellResult r;
    r.plan = cell;
    r.unit = cell.transfers.empty() ? "ns" : "GB/s";
    r.status = CellStatus::unsupported;
    r.detail = "no peer access between GPU" + std::to_string(cell.row) + " and GPU" + std::to_string(cell.col) +
               ": a kernel cannot reach the other GPU's memory";
    return r;
  }
  if (cell.transfers.empty()) {
    if (cell.test.find("latency") != std::string::npos) return measure_latency(backend, cell, options);
    CellResult r;
    r.plan = cell;
    r.unit = "GB/s";
    r.status = CellStatus::unsupported;
    r.detail = "no peer can reach this GPU directly";
    return r;
  }
  CellResult r;
  r.plan = cell;
  r.unit = "GB/s";
  // Warm-up: loads the path, wakes both ends' links from their idle Gen1 state.
  CopyOutcome warm = backend.run_copies(cell.transfers, 1, options.timeout_s);
  if (warm.hang || !warm.error.empty()) {
    r.status = warm.hang ? CellStatus::hang : CellStatus::error;
    r.detail = warm.hang ? "warm-up did not finish within " + std::to_string(options.timeout_s) + " s" : warm.error;
    return r;
  }
  CellStatus status = CellStatus::ok;
  std::string detail;
  r.sampling = sample_adaptively(options.sampler, [&]() -> Measurement {
    CopyOutcome o = backend.run_copies(cell.transfers, options.repetitions, options.timeout_s);
    if (o.hang) {
      status = CellStatus::hang;
      return {std::nullopt, "copies did not finish within " + std::to_string(options.timeout_s) + " s"};
    }
    if (!o.error.empty()) {
      status = CellStatus::error;
      return {std::nullopt, o.error};
    }
    merge_observations(r.observations, o.observations);
    if (o.host_numa_node >= 0) r.host_numa_node = o.host_numa_node;
    if (std::string bad = bad_offset_detail(cell, o); !bad.empty()) {
      status = CellStatus::corrupt;
      return {std::nullopt, bad};
    }
    return {sample_gbps(cell, o, options.repetitions), {}};
  });
  r.status = status;
  if (r.sampling.stop == StopReason::failed) r.detail = r.sampling.failure;
  return r;
}

BenchRun run_tests(Backend& backend, const topology::Topology& t, const std::vector<const TestSpec*>& tests,
                   const RunOptions& options) {
  BenchRun run;
  run.simulated = backend.simulated();
  run.backend = backend.description();
  run.bytes = options.plan.bytes;
  run.repetitions = options.repetitions;
  for (const TestSpec* spec : tests)
    for (const CellPlan& cell : plan_cells(*spec, t, backend, options.plan))
      run.cells.push_back(measure_cell(backend, cell, options));
  return run;
}

}  // namespace rigcheck::bench
