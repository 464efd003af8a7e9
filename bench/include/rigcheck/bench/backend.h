#pragma once
// The seam between the measurement method and what carries it out: real CUDA (CudaBackend) or
// the simulated fabric (SimBackend). The method (runner.h) plans transfers, samples, verifies and
// judges; a backend moves bytes and times them.
//
// The interface is at the level of "one timed group of concurrent copies", because that is where
// a GPU and a model differ: CUDA needs streams, events, a blocking kernel and buffers to do it,
// the model needs only routes and link capacities.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "rigcheck/bench/link_monitor.h"
#include "rigcheck/bench/uplink_monitor.h"
#include "rigcheck/fabric/transfer.h"

namespace rigcheck::bench {

// The backend interface speaks the fabric's transfer vocabulary (rigcheck/fabric/transfer.h):
// what to move is the same question for a GPU and for the model.
using fabric::describe;
using fabric::Endpoint;
using fabric::Engine;
using fabric::Initiator;
using fabric::PeerPath;
using fabric::to_string;
using fabric::Transfer;

struct TransferTiming {
  double seconds = 0;                         // from the common start to this transfer's end
  std::optional<uint64_t> first_bad_offset;   // set when the destination pattern did not verify
};

struct CopyOutcome {
  std::vector<TransferTiming> timings;  // one per transfer, same order
  bool hang = false;                    // the group did not finish within the timeout
  std::string error;                    // a backend error (CUDA call failed, …)
  std::string unsupported;              // why this group cannot run here at all (GPU hidden, no kernel image)
  std::string not_run;                  // why it was not run now: a GPU is still busy with a copy that hung
  std::vector<LinkObservation> observations;  // per GPU involved, when NVML could sample
  std::vector<UplinkObservation> uplinks;     // the switch uplinks above them, when sysfs could be read
  int host_numa_node = -1;              // where the pinned host buffers live, when known

  static CopyOutcome failure(std::string why) {
    CopyOutcome o;
    o.error = std::move(why);
    return o;
  }
  static CopyOutcome cannot_run(std::string why) {
    CopyOutcome o;
    o.unsupported = std::move(why);
    return o;
  }
  static CopyOutcome skipped(std::string why) {
    CopyOutcome o;
    o.not_run = std::move(why);
    return o;
  }
  static CopyOutcome hung() {
    CopyOutcome o;
    o.hang = true;
    return o;
  }
  // Every transfer done after the given seconds, data verified.
  static CopyOutcome timed(std::vector<double> seconds) {
    CopyOutcome o;
    for (double s : seconds) o.timings.push_back({s, std::nullopt});
    return o;
  }
};

struct LatencyOutcome {
  std::optional<double> ns;  // mean latency of one dependent access
  bool hang = false;
  std::string error;
  std::string unsupported;   // as in CopyOutcome
  std::string not_run;       // as in CopyOutcome
};

class Backend {
 public:
  virtual ~Backend() = default;

  virtual bool simulated() const = 0;
  virtual std::string description() const = 0;  // "CUDA 13.0, driver 580.82" / "simulated fabric (seed 1)"
  virtual int device_count() const = 0;

  // How a copy with this engine issued by `accessor` reaches `owner`'s memory (topology indexes).
  virtual PeerPath peer_path(int accessor, int owner, Engine engine) const = 0;

  // Runs `transfers` concurrently, each repeated `repetitions` times back to back, all starting
  // together; verifies every destination. `timeout_s` bounds the whole group.
  virtual CopyOutcome run_copies(const std::vector<Transfer>& transfers, int repetitions, double timeout_s) = 0;

  // Pointer-chase latency from `gpu` to `memory` (host memory or another GPU's).
  virtual LatencyOutcome run_latency(int gpu, const Endpoint& memory, double timeout_s) = 0;

  // True once a copy hung and still occupies a GPU: the process must not wait for the GPU again
  // (no synchronisation, no freeing) and should end without tearing CUDA down.
  virtual bool wedged() const { return false; }
};

}  // namespace rigcheck::bench
