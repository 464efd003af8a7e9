#pragma once
// Launch geometry shared by the element-wise kernels (grid-stride loops). Internal.

#include <cstddef>

namespace rigcheck::kernels::detail {

constexpr int kElementwiseThreads = 256;
constexpr size_t kMaxBlocks = 65535;

// Enough blocks to give every element a thread, capped: the grid-stride loops cover the rest.
inline unsigned elementwise_blocks(size_t n, int threads = kElementwiseThreads) {
  size_t b = (n + threads - 1) / threads;
  return static_cast<unsigned>(b == 0 ? 1 : (b > kMaxBlocks ? kMaxBlocks : b));
}

}  // namespace rigcheck::kernels::detail
