#include "grid.cuh"
#include "rigcheck/kernels/collective_kernels.h"

namespace rigcheck::kernels {
namespace {

using detail::elementwise_blocks;
constexpr int kThreads = detail::kElementwiseThreads;


__global__ void fill_float_kernel(float* dst, size_t n, float value) {
  for (size_t i = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x; i < n; i += static_cast<size_t>(gridDim.x) * blockDim.x)
    dst[i] = value;
}

__global__ void verify_float_kernel(const float* src, size_t n, float expected, unsigned long long* first_bad) {
  for (size_t i = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x; i < n; i += static_cast<size_t>(gridDim.x) * blockDim.x) {
    if (src[i] != expected) {
      atomicMin(first_bad, static_cast<unsigned long long>(i));
      return;
    }
  }
}

}  // namespace

cudaError_t launch_fill_float(float* dst, size_t count, float value, cudaStream_t stream) {
  fill_float_kernel<<<elementwise_blocks(count), kThreads, 0, stream>>>(dst, count, value);
  return cudaGetLastError();
}

cudaError_t launch_verify_float(const float* src, size_t count, float expected, unsigned long long* first_bad,
                                cudaStream_t stream) {
  verify_float_kernel<<<elementwise_blocks(count), kThreads, 0, stream>>>(src, count, expected, first_bad);
  return cudaGetLastError();
}

}  // namespace rigcheck::kernels
