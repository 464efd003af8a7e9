#include "grid.cuh"
#include "rigcheck/kernels/pattern.h"
#include "rigcheck/kernels/pattern_kernels.h"

namespace rigcheck::kernels {
namespace {

using detail::elementwise_blocks;
constexpr int kThreads = detail::kElementwiseThreads;

// Grid-stride loops: the grid is capped and each thread walks the buffer, so any size works.
__global__ void fill_pattern_kernel(uint32_t* dst, size_t words, uint32_t seed) {
  size_t stride = static_cast<size_t>(gridDim.x) * blockDim.x;
  for (size_t i = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x; i < words; i += stride)
    dst[i] = pattern_word(seed, i);
}

__global__ void verify_pattern_kernel(const uint32_t* src, size_t words, uint32_t seed, unsigned long long* first_bad) {
  size_t stride = static_cast<size_t>(gridDim.x) * blockDim.x;
  for (size_t i = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x; i < words; i += stride) {
    if (src[i] != pattern_word(seed, i)) {
      atomicMin(first_bad, static_cast<unsigned long long>(i));
      return;  // later words of this thread cannot be lower
    }
  }
}


}  // namespace

cudaError_t launch_fill_pattern(uint32_t* dst, size_t words, uint32_t seed, cudaStream_t stream) {
  fill_pattern_kernel<<<elementwise_blocks(words), kThreads, 0, stream>>>(dst, words, seed);
  return cudaGetLastError();
}

cudaError_t launch_verify_pattern(const uint32_t* src, size_t words, uint32_t seed, unsigned long long* first_bad,
                                  cudaStream_t stream) {
  verify_pattern_kernel<<<elementwise_blocks(words), kThreads, 0, stream>>>(src, words, seed, first_bad);
  return cudaGetLastError();
}

cudaError_t preload_pattern_kernels() {
  cudaFuncAttributes attr;
  if (cudaError_t e = cudaFuncGetAttributes(&attr, fill_pattern_kernel); e != cudaSuccess) return e;
  return cudaFuncGetAttributes(&attr, verify_pattern_kernel);
}

}  // namespace rigcheck::kernels
