#pragma once
// Checking CUDA runtime calls: a failed call becomes a CudaError naming the call and the error,
// and the sticky error is cleared so the next call starts clean.

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
