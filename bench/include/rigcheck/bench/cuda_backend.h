#pragma once
// The real backend: CUDA copies and kernels on the GPUs of this machine.

#include <memory>
#include <stdexcept>

#include "rigcheck/bench/backend.h"
#include "rigcheck/topology/model.h"

namespace rigcheck::bench {

// Why no real measurement is possible (no driver, no GPU, built without CUDA), in one sentence.
class CudaUnavailable : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A backend for the GPUs of `topology` that CUDA can see (joined by PCI address). Throws
// CudaUnavailable when there is none. `topology` must outlive the backend.
std::unique_ptr<Backend> make_cuda_backend(const topology::Topology& topology);

}  // namespace rigcheck::bench
