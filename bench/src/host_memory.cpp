#include "rigcheck/bench/host_memory.h"

#include <hwloc.h>

#include <cstring>

namespace rigcheck::bench {

namespace {

class HwlocHostMemory : public HostMemory {
 public:
  HwlocHostMemory() {
    if (hwloc_topology_init(&topo_) != 0) {
      topo_ = nullptr;
      return;
    }
    if (hwloc_topology_load(topo_) != 0) {
      hwloc_topology_destroy(topo_);
      topo_ = nullptr;
    }
  }
  ~HwlocHostMemory() override {
    if (topo_) hwloc_topology_destroy(topo_);
  }

  HostPages allocate(size_t bytes, int numa_node) override {
    if (!topo_ || numa_node < 0) return {};
    hwloc_bitmap_t set = hwloc_bitmap_alloc();
    if (!set) return {};
    hwloc_bitmap_only(set, static_cast<unsigned>(numa_node));
    void* p = hwloc_alloc_membind(topo_, bytes, set, HWLOC_MEMBIND_BIND, HWLOC_MEMBIND_BYNODESET | HWLOC_MEMBIND_STRICT);
    hwloc_bitmap_free(set);
    if (!p) return {};
    std::memset(p, 0, bytes);  // first touch: every page now lives on the bound node
    return {p, numa_node};
  }

  void release(void* ptr, size_t bytes) override {
    if (topo_ && ptr) hwloc_free(topo_, ptr, bytes);
  }

  std::string description() const override {
    return topo_ ? "pinned host memory bound to each GPU's NUMA node" : "pinned host memory not NUMA-bound (hwloc could not load)";
  }

 private:
  hwloc_topology_t topo_ = nullptr;
};

}  // namespace

std::unique_ptr<HostMemory> make_numa_host_memory() { return std::make_unique<HwlocHostMemory>(); }

}  // namespace rigcheck::bench
