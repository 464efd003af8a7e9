#pragma once
// Version codes as CUDA and NCCL report them, as people write them.

#include <string>

namespace rigcheck::topology {

// 13000 -> "13.0", 12040 -> "12.4" (cudaRuntimeGetVersion / cudaDriverGetVersion codes).
inline std::string cuda_version_text(int code) { return std::to_string(code / 1000) + "." + std::to_string(code % 1000 / 10); }

// 22809 -> "2.28.9" (ncclGetVersion codes since 2.9: major*10000 + minor*100 + patch).
inline std::string nccl_version_text(int code) {
  return std::to_string(code / 10000) + "." + std::to_string(code / 100 % 100) + "." + std::to_string(code % 100);
}

}  // namespace rigcheck::topology
