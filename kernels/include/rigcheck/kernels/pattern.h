#pragma once
// The data pattern written before and checked after every transfer. Host and device share this
// definition so that the CPU can compute the word expected at any offset.

#include <cstdint>

#if defined(__CUDACC__)
#define RIGCHECK_HOST_DEVICE __host__ __device__
#else
#define RIGCHECK_HOST_DEVICE
#endif

namespace rigcheck::kernels {

// A 32-bit word that depends on both the seed and the word index, so that a stale buffer, a
// shifted copy or a copy from the wrong source all fail verification (a splitmix-style mix).
RIGCHECK_HOST_DEVICE constexpr uint32_t pattern_word(uint32_t seed, uint64_t index) {
  uint64_t z = index + (static_cast<uint64_t>(seed) << 32) + 0x9e3779b97f4a7c15ull;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return static_cast<uint32_t>(z ^ (z >> 31));
}

// Sentinel for "no mismatch" in verify results.
inline constexpr unsigned long long kNoMismatch = ~0ull;

}  // namespace rigcheck::kernels
