#pragma once
// The real backend: CUDA copies and kernels on the GPUs of this machine.

#include <memory>
#include <stdexcept>

#include "rigcheck/bench/backend.h"
#include "rigcheck/bench/host_memory.h"
#include "rigcheck/topology/model.h"

namespace rigcheck::bench {

// Why no real measurement is possible (no driver, no GPU, built without CUDA), in one sentence.
class CudaUnavailable : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A backend for the GPUs of `topology` that CUDA can see (joined by PCI address). Throws
// CudaUnavailable when there is none it can use. GPUs it cannot use (hidden from CUDA, no kernel
// image in this build) make their cells "unsupported" with the reason; the others are measured.
// Host buffers come from `placement` (default: bound to each GPU's NUMA node with hwloc).
// `topology` must outlive the backend.
std::unique_ptr<Backend> make_cuda_backend(const topology::Topology& topology, std::unique_ptr<HostMemory> placement = nullptr);

}  // namespace rigcheck::bench
