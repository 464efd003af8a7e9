#pragma once
// What a measurement produced: one CellResult per cell, with every sample and a status that says
// whether the number can be trusted.

#include <string>
#include <vector>

#include "rigcheck/bench/catalogue.h"
#include "rigcheck/bench/link_monitor.h"
#include "rigcheck/bench/uplink_monitor.h"
#include "rigcheck/bench/sampler.h"

namespace rigcheck::bench {

enum class CellStatus {
  ok,
  corrupt,      // the destination did not hold the pattern: a result, not an error
  hang,         // the copies did not finish within the timeout
  error,        // the backend failed (a CUDA call, …)
  unsupported,  // cannot run on this path (an SM copy without peer access)
  not_run,      // not measured now: a GPU it needs is still busy with a copy that hung earlier
};
const char* to_string(CellStatus s);

struct CellResult {
  CellPlan plan;
  CellStatus status = CellStatus::ok;
  std::string detail;     // first bad offset, error text, why unsupported
  std::string unit;       // "GB/s" or "ns"
  SamplerResult sampling; // samples in `unit`
  std::vector<LinkObservation> observations;  // link/clock/throttle/replays while it ran (NVML)
  std::vector<UplinkObservation> uplinks;     // switch uplinks above its GPUs while it ran (sysfs)
  int host_numa_node = -1;  // NUMA node of the pinned host buffers, when known
  double total_gbps = 0;    // bidirectional cells: median total of both directions (CellPlan::total_bytes)
  double value() const { return sampling.samples.empty() ? 0 : sampling.stats.median; }
};

struct BenchRun {
  bool simulated = false;
  std::string backend;  // Backend::description()
  uint64_t bytes = 0;
  int repetitions = 0;
  std::vector<CellResult> cells;
};

}  // namespace rigcheck::bench
