#include "rigcheck/bench/runner.h"

#include <algorithm>
#include <cstdio>
#include <optional>
#include <tuple>

namespace rigcheck::bench {

const char* to_string(CellStatus s) {
  switch (s) {
    case CellStatus::ok: return "ok";
    case CellStatus::corrupt: return "corrupt";
    case CellStatus::hang: return "hang";
    case CellStatus::error: return "error";
    case CellStatus::unsupported: return "unsupported";
    case CellStatus::not_run: return "not-run";
  }
  return "?";
}

double sample_timeout_s(const CellPlan& cell, const RunOptions& options) {
  uint64_t moved = 0;
  for (const Transfer& t : cell.transfers) moved += t.bytes * static_cast<uint64_t>(options.repetitions) * (t.split_bidirectional ? 2 : 1);
  const double gbps = cell.path_gbps > 0 ? cell.path_gbps : 1.0;
  return options.timeout_s + static_cast<double>(moved) / (kTimeoutLinkFraction * gbps * 1e9);
}

double test_budget_s(const TestSpec& spec, const topology::Topology& t, const RunOptions& options) {
  const size_t n = options.plan.gpus.empty() ? t.gpus.size() : options.plan.gpus.size();
  const size_t cells = spec.shape == TestShape::per_gpu ? n : n * (n > 0 ? n - 1 : 0);
  double slowest = 0;
  for (const auto& g : t.gpus)
    if (g.host_path.gbps > 0 && (slowest == 0 || g.host_path.gbps < slowest)) slowest = g.host_path.gbps;
  // The widest cell: a pair test moves both directions at once, a per-GPU test up to every GPU's
  // copy (all_to_host and friends, with interference copies of twice the bytes).
  CellPlan widest;
  widest.path_gbps = slowest;
  if (spec.kind == TestKind::bandwidth) {
    Transfer t0;
    t0.bytes = 2 * options.plan.bytes * (spec.shape == TestShape::per_pair ? 1 : std::max<size_t>(n, 1));
    widest.transfers = {t0};
  }
  return static_cast<double>(cells) * (options.sampler.time_cap_s + sample_timeout_s(widest, options));
}

namespace {

std::string seconds_text(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f s", s);
  return buf;
}

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

// Both directions of a bidirectional cell over the time to the last end.
double total_gbps(const CellPlan& cell, const CopyOutcome& o, int repetitions) {
  double last = 0;
  for (const TransferTiming& t : o.timings) last = std::max(last, t.seconds);
  return static_cast<double>(cell.total_bytes) * repetitions / last / 1e9;
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
  const double timeout_s = sample_timeout_s(cell, options);
  CellStatus status = CellStatus::ok;
  r.sampling = sample_adaptively(options.sampler, [&]() -> Measurement {
    LatencyOutcome o = backend.run_latency(gpu, memory, timeout_s);
    if (o.ns) return {*o.ns, {}};
    if (!o.unsupported.empty()) status = CellStatus::unsupported;
    else if (!o.not_run.empty()) status = CellStatus::not_run;
    else status = o.hang ? CellStatus::hang : CellStatus::error;
    const std::string why = !o.unsupported.empty() ? o.unsupported : !o.not_run.empty() ? o.not_run : o.error;
    return {std::nullopt, o.hang ? "timed out after " + seconds_text(timeout_s) : why};
  });
  if (r.sampling.stop == StopReason::failed) {
    r.status = status;
    r.detail = r.sampling.failure;
  }
  return r;
}

// The status and detail of a copy outcome that gave no sample; nullopt when it gave one.
std::optional<std::pair<CellStatus, std::string>> failure_of(const CopyOutcome& o, double timeout_s, const char* what) {
  if (!o.unsupported.empty()) return std::pair{CellStatus::unsupported, o.unsupported};
  if (!o.not_run.empty()) return std::pair{CellStatus::not_run, o.not_run};
  if (o.hang) return std::pair{CellStatus::hang, std::string(what) + " did not finish within " + seconds_text(timeout_s)};
  if (!o.error.empty()) return std::pair{CellStatus::error, o.error};
  return std::nullopt;
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
  const double timeout_s = sample_timeout_s(cell, options);
  // Warm-up: loads the path, wakes both ends' links from their idle Gen1 state. Its data is
  // verified too: a path that corrupts once is a corrupt path.
  CopyOutcome warm = backend.run_copies(cell.transfers, 1, timeout_s);
  if (auto failed = failure_of(warm, timeout_s, "warm-up")) {
    std::tie(r.status, r.detail) = *failed;
    return r;
  }
  if (std::string bad = bad_offset_detail(cell, warm); !bad.empty()) {
    r.status = CellStatus::corrupt;
    r.detail = "warm-up: " + bad;
    return r;
  }
  CellStatus status = CellStatus::ok;
  std::vector<double> totals;
  r.sampling = sample_adaptively(options.sampler, [&]() -> Measurement {
    CopyOutcome o = backend.run_copies(cell.transfers, options.repetitions, timeout_s);
    if (auto failed = failure_of(o, timeout_s, "copies")) {
      status = failed->first;
      return {std::nullopt, failed->second};
    }
    merge_observations(r.observations, o.observations);
    merge_uplinks(r.uplinks, o.uplinks);
    if (o.host_numa_node >= 0) r.host_numa_node = o.host_numa_node;
    if (std::string bad = bad_offset_detail(cell, o); !bad.empty()) {
      status = CellStatus::corrupt;
      return {std::nullopt, bad};
    }
    if (cell.total_bytes) totals.push_back(total_gbps(cell, o, options.repetitions));
    return {sample_gbps(cell, o, options.repetitions), {}};
  });
  if (!totals.empty()) r.total_gbps = summarize(totals).median;
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
  std::vector<CellPlan> cells;
  for (const TestSpec* spec : tests)
    for (CellPlan& cell : plan_cells(*spec, t, backend, options.plan))
      if (options.only_cells.empty() || options.only_cells.count(cell.name())) cells.push_back(std::move(cell));
  for (size_t i = 0; i < cells.size(); ++i) {
    if (options.on_cell) options.on_cell(static_cast<int>(i), static_cast<int>(cells.size()), cells[i].name());
    run.cells.push_back(measure_cell(backend, cells[i], options));
  }
  return run;
}

}  // namespace rigcheck::bench
