#pragma once
// Discovers this machine (CUDA included) in a forked worker, so the calling process never
// initialises CUDA and can keep forking workers for CUDA and NCCL work afterwards.

#include <string>

#include "rigcheck/topology/model.h"

namespace rigcheck::bench {

struct LiveMachine {
  topology::Topology topology;  // with CUDA ordinals and peer access joined by PCI address
  std::string unavailable;      // why no measurement can run ("" when CUDA has the GPUs)
};

// Throws std::runtime_error when the worker fails.
LiveMachine discover_in_worker(double timeout_s = 120);

}  // namespace rigcheck::bench
