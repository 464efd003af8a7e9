#pragma once
// A per-GPU check that a kernel runs and memory holds what was written: fill a buffer with the
// pattern, verify it on the device, and copy a sample back to check it on the host too.

#include <cstddef>
#include <string>
#include <vector>

namespace rigcheck::kernels {

struct SelfTestResult {
  int device = -1;
  std::string pci_bus_id;
  std::string name;
  bool ok = false;
  unsigned long long first_bad_word = 0;  // meaningful when !ok and error is empty
  std::string error;                      // a CUDA error, when one occurred
  double fill_gbps = 0;                   // device-memory write rate of the fill kernel
};

struct SelfTestRun {
  int cuda_error = 0;           // cudaGetDeviceCount's error, 0 when devices were listed
  std::string cuda_error_name;  // "cudaErrorInsufficientDriver"
  int driver_version = 0;       // cudaDriverGetVersion, 0 when no driver
  std::vector<SelfTestResult> results;  // one per CUDA device (empty when none)
};

SelfTestRun run_selftest(size_t bytes_per_device);

}  // namespace rigcheck::kernels
