#include "rigcheck/kernels/selftest.h"

#include <cuda_runtime_api.h>

#include <algorithm>
#include <stdexcept>
#include <vector>

#include "rigcheck/kernels/cuda_check.h"
#include "rigcheck/kernels/pattern.h"
#include "rigcheck/kernels/pattern_kernels.h"

namespace rigcheck::kernels {
namespace {


// Owns the device allocations and events of one test so every exit path frees them.
struct DeviceResources {
  uint32_t* buffer = nullptr;
  unsigned long long* first_bad = nullptr;
  cudaEvent_t start = nullptr, stop = nullptr;
  ~DeviceResources() {
    if (buffer) cudaFree(buffer);
    if (first_bad) cudaFree(first_bad);
    if (start) cudaEventDestroy(start);
    if (stop) cudaEventDestroy(stop);
  }
};

void test_device(int device, size_t bytes, SelfTestResult& r) {
  check(cudaSetDevice(device), "cudaSetDevice");
  cudaDeviceProp prop{};
  check(cudaGetDeviceProperties(&prop, device), "cudaGetDeviceProperties");
  r.name = prop.name;
  char bus[32] = {};
  check(cudaDeviceGetPCIBusId(bus, sizeof bus, device), "cudaDeviceGetPCIBusId");
  r.pci_bus_id = bus;

  const size_t words = bytes / sizeof(uint32_t);
  const uint32_t seed = 0x5eed0000u + static_cast<uint32_t>(device);
  DeviceResources res;
  check(cudaMalloc(reinterpret_cast<void**>(&res.buffer), words * sizeof(uint32_t)), "cudaMalloc");
  check(cudaMalloc(reinterpret_cast<void**>(&res.first_bad), sizeof(unsigned long long)), "cudaMalloc");
  check(cudaEventCreate(&res.start), "cudaEventCreate");
  check(cudaEventCreate(&res.stop), "cudaEventCreate");
  const unsigned long long none = kNoMismatch;
  check(cudaMemcpy(res.first_bad, &none, sizeof none, cudaMemcpyHostToDevice), "cudaMemcpy");

  check(launch_fill_pattern(res.buffer, words, seed, nullptr), "fill kernel launch");  // warm-up
  check(cudaEventRecord(res.start), "cudaEventRecord");
  check(launch_fill_pattern(res.buffer, words, seed, nullptr), "fill kernel launch");
  check(cudaEventRecord(res.stop), "cudaEventRecord");
  check(launch_verify_pattern(res.buffer, words, seed, res.first_bad, nullptr), "verify kernel launch");
  check(cudaDeviceSynchronize(), "kernel execution");
  float ms = 0;
  check(cudaEventElapsedTime(&ms, res.start, res.stop), "cudaEventElapsedTime");
  if (ms > 0) r.fill_gbps = static_cast<double>(words * sizeof(uint32_t)) / (ms * 1e-3) / 1e9;

  unsigned long long first_bad = 0;
  check(cudaMemcpy(&first_bad, res.first_bad, sizeof first_bad, cudaMemcpyDeviceToHost), "cudaMemcpy");
  // The host checks a sample as well, so a verify kernel that wrongly passes is caught too.
  std::vector<uint32_t> head(std::min<size_t>(words, 4096));
  check(cudaMemcpy(head.data(), res.buffer, head.size() * sizeof(uint32_t), cudaMemcpyDeviceToHost), "cudaMemcpy");
  for (size_t i = 0; i < head.size() && first_bad == kNoMismatch; ++i)
    if (head[i] != pattern_word(seed, i)) first_bad = i;
  r.ok = first_bad == kNoMismatch;
  r.first_bad_word = first_bad;
}

}  // namespace

SelfTestRun run_selftest(size_t bytes_per_device) {
  SelfTestRun run;
  int count = 0;
  if (cudaError_t e = cudaGetDeviceCount(&count); e != cudaSuccess) {
    cudaGetLastError();
    run.cuda_error = static_cast<int>(e);
    run.cuda_error_name = cudaGetErrorName(e);
    cudaDriverGetVersion(&run.driver_version);
    return run;
  }
  for (int d = 0; d < count; ++d) {
    SelfTestResult r;
    r.device = d;
    try {
      test_device(d, bytes_per_device, r);
    } catch (const CudaError& e) {
      r.ok = false;
      r.error = e.what();
    }
    run.results.push_back(r);
  }
  return run;
}

}  // namespace rigcheck::kernels
