#include "nvml_source.h"

#include <map>

#include "rigcheck/topology/nvml.h"

namespace rigcheck::topology::detail {

void apply_nvml(DiscoveryState& state) {
  std::string why_not;
  std::unique_ptr<Nvml> nvml = Nvml::open(why_not);
  if (!nvml) {
    state.note("nvml", "NVML not available (" + why_not +
                           "): NVLink state and NVML P2P status not read; install the NVIDIA driver to get them");
    return;
  }
  std::map<int, int> gpu_of_node;
  for (const auto& g : state.topo.gpus) gpu_of_node[g.node] = g.index;
  std::map<int, Nvml::Device> device_of_gpu;

  for (Nvml::Device dev : nvml->devices()) {
    auto address = nvml->address(dev);
    int node = address ? state.find(*address) : -1;
    auto gpu_it = gpu_of_node.find(node);
    if (gpu_it == gpu_of_node.end()) {
      state.note("nvml", "NVML device " + (address ? address->str() : std::string("?")) + " is not in the PCI tree; ignored");
      continue;
    }
    Gpu& g = state.topo.gpus[gpu_it->second];
    device_of_gpu[g.index] = dev;
    if (std::string name = nvml->name(dev); !name.empty()) g.name = name;
    if (auto gen = nvml->gpu_max_link_gen(dev)) g.gpu_max_gen = *gen;

    // One bundle per remote end, as nvidia-smi's NV# counts links.
    for (const Nvml::NvLink& l : nvml->active_nvlinks(dev)) {
      int to_node = l.remote ? state.find(*l.remote) : -1;
      bool merged = false;
      for (auto& existing : state.nvlinks) {
        if (existing.from_node == g.node && existing.to_kind == l.remote_kind && existing.to_node == to_node &&
            existing.links > 0 && to_node >= 0) {
          existing.links += 1;
          merged = true;
          break;
        }
      }
      if (merged) continue;
      RawNvLink raw;
      raw.from_node = g.node;
      raw.to_kind = l.remote_kind;
      raw.to_node = to_node;
      raw.version = l.generation;
      raw.links = 1;
      state.nvlinks.push_back(raw);
    }
  }

  for (auto& [a, da] : device_of_gpu) {
    for (auto& [b, db] : device_of_gpu) {
      if (a >= b) continue;
      std::string status = nvml->p2p_read_status(da, db);
      if (status.empty()) continue;
      GpuPair* p = nullptr;
      for (auto& pair : state.topo.pairs)
        if (pair.a == a && pair.b == b) p = &pair;
      if (!p) {
        state.topo.pairs.push_back(GpuPair{});
        p = &state.topo.pairs.back();
        p->a = a;
        p->b = b;
      }
      p->p2p.nvml_read = status;
    }
  }
  if (state.topo.system.nvidia_driver.empty()) state.topo.system.nvidia_driver = nvml->driver_version();
}

}  // namespace rigcheck::topology::detail
