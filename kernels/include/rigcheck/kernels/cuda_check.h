#pragma once
// Checking CUDA runtime calls: a failed call becomes a CudaError naming the call and the error.
// cudaGetLastError() resets an ordinary error so the next call starts clean; a sticky error (an
// illegal address, a kernel fault) cannot be reset: every later call of the process returns it.

#include <cuda_runtime_api.h>

#include <stdexcept>
#include <string>

namespace rigcheck::kernels {

struct CudaError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

inline void check(cudaError_t e, const char* what) {
  if (e != cudaSuccess) {
    cudaGetLastError();
    throw CudaError(std::string(what) + ": " + cudaGetErrorName(e) + " (" + cudaGetErrorString(e) + ")");
  }
}

}  // namespace rigcheck::kernels
