#pragma once
// Runs NCCL collectives over a size sweep: on real GPUs with NCCL (one process driving all
// GPUs, or one forked worker per GPU sharing an NCCL unique id, as PyTorch and vLLM run), or on
// the simulated fabric (ring model). Results follow nccl-tests' columns and definitions.

#include <optional>
#include <string>
#include <vector>

#include "rigcheck/bench/collectives.h"
#include "rigcheck/bench/sim_backend.h"
#include "rigcheck/topology/model.h"

namespace rigcheck::bench {

enum class ProcessModel { single, per_gpu };
const char* to_string(ProcessModel p);  // "single", "per-gpu"

struct CollectiveOptions {
  std::vector<Collective> ops{Collective::all_reduce};
  std::vector<uint64_t> sizes;      // bytes
  std::vector<int> gpus;            // empty: all
  ProcessModel process = ProcessModel::single;
  int warmup_iterations = 5;
  int iterations = 20;
  double timeout_s = 120;           // per process model run (see collective_budget_s)
  bool p2p_disabled = false;        // the control arm: NCCL_P2P_DISABLE=1
};

struct CollectiveRun {
  bool simulated = false;
  std::string backend;              // "NCCL 2.28.9" / "simulated ring model"
  ProcessModel process = ProcessModel::single;
  bool p2p_disabled = false;
  int ranks = 0;
  std::vector<CollectiveResult> results;
  TransportSummary transports;      // from NCCL's INFO log (empty when simulated or unreadable)
  std::string nccl_topology_xml;    // NCCL's own view of the machine (NCCL_TOPO_DUMP_FILE), when it wrote one
  std::string status = "ok";        // "ok", "hang", "crash", "error", "interrupted", "unavailable"
  std::string detail;
  std::vector<std::string> environment_cleared;  // the user's NCCL_P2P_* etc. this run did not inherit, "NAME=value"
};

// The ring model on the simulated fabric: each step every rank sends to the next at once, so
// the slowest ring link (shared max-min with the other steps' flows) sets the bus bandwidth;
// pairs without peer access go through host memory (SHM). Time = steps x latency + bytes term.
CollectiveRun simulate_collectives(const topology::Topology& t, const fabric::FabricConstants& c, const CollectiveOptions& o);

// How long a run of `o` may take before it counts as hung: a fixed part for NCCL's set-up, and
// every timed, warm-up and checking iteration of every operation and size at a slow 1 GB/s bus
// rate, so a large sweep is not cut short by one budget meant for a small one.
double collective_budget_s(const CollectiveOptions& o, double setup_s = 60);

// The real thing; built without NCCL it returns status "unavailable" with the reason.
// Must be called from a process that has not initialised CUDA (it forks workers).
CollectiveRun run_nccl_collectives(const topology::Topology& t, const CollectiveOptions& o);

// A collective run and its control arm (the same collectives with NCCL_P2P_DISABLE=1 at the
// smallest and the largest size).
struct CollectiveMeasurement {
  CollectiveRun main;
  std::optional<CollectiveRun> control;
  const CollectiveRun* control_or_null() const { return control ? &*control : nullptr; }
};

// Runs `o` on the simulated ring model or with NCCL and, when `with_control` and the run succeeded
// on more than one rank, the control arm.
CollectiveMeasurement measure_collectives(const topology::Topology& t, bool simulated, const CollectiveOptions& o,
                                          bool with_control);

}  // namespace rigcheck::bench
