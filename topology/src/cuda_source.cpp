#include "cuda_source.h"

#include "rigcheck/topology/cuda_status.h"

#include <map>

#if RIGCHECK_HAVE_CUDA
#include <cuda_runtime_api.h>
#endif
#if RIGCHECK_HAVE_NCCL
#include <nccl.h>
#endif

namespace rigcheck::topology::detail {

#if RIGCHECK_HAVE_CUDA

namespace {

std::string cuda_error(cudaError_t e) { return std::string(cudaGetErrorName(e)) + ": " + cudaGetErrorString(e); }

void join_device(int ordinal, DiscoveryState& state, std::map<int, int>& gpu_of_ordinal) {
  cudaDeviceProp prop{};
  if (cudaError_t e = cudaGetDeviceProperties(&prop, ordinal); e != cudaSuccess) {
    state.note("cuda", "cudaGetDeviceProperties(" + std::to_string(ordinal) + ") failed: " + cuda_error(e));
    cudaGetLastError();
    return;
  }
  PciAddress address{static_cast<uint32_t>(prop.pciDomainID), static_cast<uint8_t>(prop.pciBusID),
                     static_cast<uint8_t>(prop.pciDeviceID), 0};
  for (Gpu& g : state.topo.gpus) {
    if (g.address != address) continue;
    g.cuda_index = ordinal;
    g.name = prop.name;
    g.compute_capability = std::to_string(prop.major) + "." + std::to_string(prop.minor);
    g.memory_bytes = prop.totalGlobalMem;
    gpu_of_ordinal[ordinal] = g.index;
    return;
  }
  state.note("cuda", "CUDA device " + std::to_string(ordinal) + " (" + address.str() + ") is not in the PCI tree");
}

}  // namespace

void apply_cuda(DiscoveryState& state) {
  SystemState& sys = state.topo.system;
  int runtime = 0, driver = 0;
  if (cudaRuntimeGetVersion(&runtime) == cudaSuccess) sys.cuda_runtime_version = runtime;
  if (cudaDriverGetVersion(&driver) == cudaSuccess) sys.cuda_driver_version = driver;
#if RIGCHECK_HAVE_NCCL
  int nccl = 0;
  if (ncclGetVersion(&nccl) == ncclSuccess) sys.nccl_version = nccl;
#endif

  int count = 0;  // not written on error, so it must start at 0
  if (cudaError_t e = cudaGetDeviceCount(&count); e != cudaSuccess) {
    cudaGetLastError();  // clear the sticky error so later CUDA calls start clean
    state.note("cuda", explain_cuda_device_count_error(static_cast<int>(e), driver, cudaGetErrorName(e)));
    return;
  }
  std::map<int, int> gpu_of_ordinal;
  for (int d = 0; d < count; ++d) join_device(d, state, gpu_of_ordinal);

  for (auto& p : state.topo.pairs) {
    int da = state.topo.gpus[p.a].cuda_index, db = state.topo.gpus[p.b].cuda_index;
    if (da < 0 || db < 0) continue;
    int ab = 0, ba = 0;
    if (cudaDeviceCanAccessPeer(&ab, da, db) != cudaSuccess || cudaDeviceCanAccessPeer(&ba, db, da) != cudaSuccess) {
      cudaGetLastError();
      continue;
    }
    p.p2p.cuda = ab && ba;
  }
}

#else

void apply_cuda(DiscoveryState& state) {
  state.note("cuda", "rigcheck was built without CUDA (RIGCHECK_CUDA=OFF): CUDA devices and peer access not read");
}

#endif

}  // namespace rigcheck::topology::detail
