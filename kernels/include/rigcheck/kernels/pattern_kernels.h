#pragma once
// Launchers for the pattern fill and verify kernels (kernels/src/pattern_kernels.cu).
// Plain host API: callers need the CUDA runtime headers but not nvcc.

#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>

namespace rigcheck::kernels {

// Writes pattern_word(seed, i) to dst[i] for i < words.
cudaError_t launch_fill_pattern(uint32_t* dst, size_t words, uint32_t seed, cudaStream_t stream);

// Compares src[i] with pattern_word(seed, i); atomically keeps the lowest mismatching index in
// *first_bad (device memory, initialise to kNoMismatch).
cudaError_t launch_verify_pattern(const uint32_t* src, size_t words, uint32_t seed, unsigned long long* first_bad,
                                  cudaStream_t stream);

// Loads the pattern kernels' module now (see preload_kernels in copy_kernels.h).
cudaError_t preload_pattern_kernels();

}  // namespace rigcheck::kernels
