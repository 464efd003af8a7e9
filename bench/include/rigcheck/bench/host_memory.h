#pragma once
// Where the real backend's host buffers come from: pages bound to a NUMA node, so that a GPU's
// host copies use the memory next to its root port. The CUDA backend pins them
// (cudaHostRegister); this interface only places them, which is the operating system's part, and
// lets tests say where memory "is" on a machine with other NUMA nodes than the test host.

#include <cstddef>
#include <memory>
#include <string>

namespace rigcheck::bench {

struct HostPages {
  void* ptr = nullptr;  // nullptr: could not be placed there (the backend falls back to cudaHostAlloc)
  int numa_node = -1;   // where the pages are bound, -1 when not bound
};

class HostMemory {
 public:
  virtual ~HostMemory() = default;
  // `bytes` of zeroed memory whose pages are bound to `numa_node` (every page touched there).
  virtual HostPages allocate(size_t bytes, int numa_node) = 0;
  virtual void release(void* ptr, size_t bytes) = 0;
  virtual std::string description() const = 0;  // "bound to each GPU's NUMA node (hwloc)"
};

// hwloc's membind on this machine; when hwloc cannot load the topology, every allocation comes
// back unplaced.
std::unique_ptr<HostMemory> make_numa_host_memory();

}  // namespace rigcheck::bench
