#pragma once
// Fill and check kernels for collective correctness: ranks fill their send buffers with known
// values (rank + 1) and the result must hold the value the operation implies everywhere.

#include <cuda_runtime_api.h>

#include <cstddef>

namespace rigcheck::kernels {

cudaError_t launch_fill_float(float* dst, size_t count, float value, cudaStream_t stream);

// Keeps the lowest index whose value differs from `expected` in *first_bad (device memory,
// initialise to kNoMismatch). Values are small integers, so the comparison is exact.
cudaError_t launch_verify_float(const float* src, size_t count, float expected, unsigned long long* first_bad,
                                cudaStream_t stream);

}  // namespace rigcheck::kernels
