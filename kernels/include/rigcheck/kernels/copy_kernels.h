#pragma once
// Launchers for the measurement kernels (kernels/src/copy_kernels.cu). Plain host API: callers
// need the CUDA runtime headers but not nvcc.

#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>

namespace rigcheck::kernels {

// SM copy of `bytes` from src to dst, `repetitions` times in one launch. 16-byte vector loads,
// eight loads in flight per thread, grid sized to the SMs; buffers below 16 MiB use a
// one-element-per-thread variant with more blocks. Either pointer may be host-mapped or peer memory.
cudaError_t launch_sm_copy(void* dst, const void* src, size_t bytes, int repetitions, int sm_count, cudaStream_t stream);

// Bidirectional SM copy in one launch: even warps copy a_src -> b_dst, odd warps b_src -> a_dst.
cudaError_t launch_split_warp_copy(void* b_dst, const void* a_src, void* a_dst, const void* b_src, size_t bytes,
                                   int repetitions, int sm_count, cudaStream_t stream);

// One-thread kernel that spins until *release != 0 (host-mapped memory), so work queued behind it
// starts only when the host says so. After `timeout_ns` of GPU time it sets *timed_out = 1 and
// returns, which the caller must report: the measurement then includes enqueue time.
cudaError_t launch_spin_kernel(const volatile int* release, int* timed_out, unsigned long long timeout_ns,
                               cudaStream_t stream);

// Follows `steps` dependent loads through a ring of pointers starting at `start` (each element
// holds the address of the next); writes the final pointer to *sink so nothing is optimised away.
cudaError_t launch_pointer_chase(const void* start, uint64_t steps, unsigned long long* sink, cudaStream_t stream);

// Loads every kernel's module now. Lazy loading inside a blocked stream would wait for the
// spin kernel and deadlock.
cudaError_t preload_kernels();

}  // namespace rigcheck::kernels
