#include "grid.cuh"
#include "rigcheck/kernels/copy_kernels.h"
#include "rigcheck/kernels/pattern_kernels.h"

namespace rigcheck::kernels {
namespace {

constexpr int kThreads = 512;
constexpr int kBlocksPerSm = 4;
constexpr int kInFlight = 8;
constexpr size_t kSmallBuffer = 16ull << 20;

// Copies the bytes past the last whole 16-byte element; one thread does it.
__device__ void copy_tail(char* dst, const char* src, size_t from, size_t bytes) {
  for (size_t i = from; i < bytes; ++i) dst[i] = src[i];
}

__global__ void sm_copy_kernel(uint4* __restrict__ dst, const uint4* __restrict__ src, size_t n, size_t bytes, int reps) {
  const size_t stride = static_cast<size_t>(gridDim.x) * blockDim.x;
  const size_t tid = static_cast<size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  for (int r = 0; r < reps; ++r) {
    size_t i = tid;
    // Eight independent 16-byte loads before any store: enough bytes in flight to cover the
    // latency of a PCIe or NVLink round trip.
    for (; i + (kInFlight - 1) * stride < n; i += kInFlight * stride) {
      uint4 v[kInFlight];
#pragma unroll
      for (int k = 0; k < kInFlight; ++k) v[k] = __ldcg(src + i + k * stride);
#pragma unroll
      for (int k = 0; k < kInFlight; ++k) __stcg(dst + i + k * stride, v[k]);
    }
    for (; i < n; i += stride) __stcg(dst + i, __ldcg(src + i));
    if (tid == 0) copy_tail(reinterpret_cast<char*>(dst), reinterpret_cast<const char*>(src), n * 16, bytes);
  }
}

// Small buffers: one element per thread and many blocks, so all SMs get work.
__global__ void sm_copy_small_kernel(uint4* __restrict__ dst, const uint4* __restrict__ src, size_t n, size_t bytes,
                                     int reps) {
  const size_t stride = static_cast<size_t>(gridDim.x) * blockDim.x;
  const size_t tid = static_cast<size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  for (int r = 0; r < reps; ++r) {
    for (size_t i = tid; i < n; i += stride) __stcg(dst + i, __ldcg(src + i));
    if (tid == 0) copy_tail(reinterpret_cast<char*>(dst), reinterpret_cast<const char*>(src), n * 16, bytes);
  }
}

__global__ void split_warp_copy_kernel(uint4* b_dst, const uint4* a_src, uint4* a_dst, const uint4* b_src, size_t n,
                                       size_t bytes, int reps) {
  const unsigned warp = (blockIdx.x * blockDim.x + threadIdx.x) / 32;
  const unsigned lane = threadIdx.x % 32;
  const unsigned warps = gridDim.x * blockDim.x / 32;
  const bool forward = (warp % 2) == 0;
  uint4* dst = forward ? b_dst : a_dst;
  const uint4* src = forward ? a_src : b_src;
  const size_t half_warps = (warps + (forward ? 1 : 0)) / 2;
  const size_t stride = half_warps * 32;
  const size_t start = static_cast<size_t>(warp / 2) * 32 + lane;
  for (int r = 0; r < reps; ++r) {
    for (size_t i = start; i < n; i += stride) __stcg(dst + i, __ldcg(src + i));
    if (start == 0) copy_tail(reinterpret_cast<char*>(dst), reinterpret_cast<const char*>(src), n * 16, bytes);
  }
}

__device__ unsigned long long global_time_ns() {
  unsigned long long t;
  asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(t));
  return t;
}

__global__ void spin_kernel(const volatile int* release, int* timed_out, unsigned long long timeout_ns) {
  const unsigned long long start = global_time_ns();
  while (*release == 0) {
    if (global_time_ns() - start > timeout_ns) {
      *timed_out = 1;
      return;
    }
  }
}

__global__ void pointer_chase_kernel(const void* start, uint64_t steps, unsigned long long* sink) {
  const void* p = start;
  for (uint64_t i = 0; i < steps; ++i) {
    // Volatile, uncached load: every step goes to the memory under test.
    p = reinterpret_cast<const void*>(__ldcv(reinterpret_cast<const unsigned long long*>(p)));
  }
  *sink = reinterpret_cast<unsigned long long>(p);
}

unsigned grid_for_sms(int sm_count) { return static_cast<unsigned>((sm_count > 0 ? sm_count : 1) * kBlocksPerSm); }

}  // namespace

cudaError_t launch_sm_copy(void* dst, const void* src, size_t bytes, int repetitions, int sm_count, cudaStream_t stream) {
  const size_t n = bytes / 16;
  if (bytes < kSmallBuffer) {
    sm_copy_small_kernel<<<detail::elementwise_blocks(n, kThreads), kThreads, 0, stream>>>(
        static_cast<uint4*>(dst), static_cast<const uint4*>(src), n, bytes, repetitions);
  } else {
    sm_copy_kernel<<<grid_for_sms(sm_count), kThreads, 0, stream>>>(static_cast<uint4*>(dst),
                                                                      static_cast<const uint4*>(src), n, bytes, repetitions);
  }
  return cudaGetLastError();
}

cudaError_t launch_split_warp_copy(void* b_dst, const void* a_src, void* a_dst, const void* b_src, size_t bytes,
                                   int repetitions, int sm_count, cudaStream_t stream) {
  split_warp_copy_kernel<<<grid_for_sms(sm_count), kThreads, 0, stream>>>(
      static_cast<uint4*>(b_dst), static_cast<const uint4*>(a_src), static_cast<uint4*>(a_dst),
      static_cast<const uint4*>(b_src), bytes / 16, bytes, repetitions);
  return cudaGetLastError();
}

cudaError_t launch_spin_kernel(const volatile int* release, int* timed_out, unsigned long long timeout_ns,
                               cudaStream_t stream) {
  spin_kernel<<<1, 1, 0, stream>>>(release, timed_out, timeout_ns);
  return cudaGetLastError();
}

cudaError_t launch_pointer_chase(const void* start, uint64_t steps, unsigned long long* sink, cudaStream_t stream) {
  pointer_chase_kernel<<<1, 1, 0, stream>>>(start, steps, sink);
  return cudaGetLastError();
}

cudaError_t preload_kernels() {
  cudaFuncAttributes attr;
  for (const void* f : {reinterpret_cast<const void*>(sm_copy_kernel), reinterpret_cast<const void*>(sm_copy_small_kernel),
                        reinterpret_cast<const void*>(split_warp_copy_kernel), reinterpret_cast<const void*>(spin_kernel),
                        reinterpret_cast<const void*>(pointer_chase_kernel)}) {
    if (cudaError_t e = cudaFuncGetAttributes(&attr, f); e != cudaSuccess) return e;
  }
  return preload_pattern_kernels();
}

}  // namespace rigcheck::kernels
