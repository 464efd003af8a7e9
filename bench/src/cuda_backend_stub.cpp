// Built when RIGCHECK_CUDA is OFF: the real backend cannot exist, and says why.
#include "rigcheck/bench/cuda_backend.h"

namespace rigcheck::bench {

std::unique_ptr<Backend> make_cuda_backend(const topology::Topology&, std::unique_ptr<HostMemory>) {
  throw CudaUnavailable(
      "rigcheck was built without CUDA (RIGCHECK_CUDA=OFF): nothing can be measured; rebuild with the CUDA toolkit, "
      "or use --simulate RIG.json");
}

}  // namespace rigcheck::bench
