#include "nvml_source.h"

#include <dlfcn.h>

#include <map>
#include <memory>
#include <string>

#include "rigcheck/topology/pci_address.h"

namespace rigcheck::topology::detail {
namespace {

// Minimal private declarations; values and layouts from nvml.h (NVML_API_VERSION 13), see
// shared/research/platform-hwloc-pci-sysfs-nvml.md §5. Only versioned symbols are resolved.
using nvmlReturn_t = int;
using nvmlDevice_t = struct nvmlDevice_st*;
constexpr nvmlReturn_t NVML_SUCCESS = 0;
struct nvmlPciInfo_t {
  char busIdLegacy[16];
  unsigned domain, bus, device;
  unsigned pciDeviceId;
  unsigned pciSubSystemId;
  char busId[32];
};
constexpr int NVML_P2P_CAPS_INDEX_READ = 0;

const char* p2p_status_name(int s) {
  switch (s) {
    case 0: return "OK";
    case 1: return "CHIPSET_NOT_SUPPORTED";
    case 2: return "GPU_NOT_SUPPORTED";
    case 3: return "IOH_TOPOLOGY_NOT_SUPPORTED";
    case 4: return "DISABLED_BY_REGKEY";
    case 5: return "NOT_SUPPORTED";
    default: return "UNKNOWN";
  }
}

struct Nvml {
  void* lib = nullptr;
  nvmlReturn_t (*init)() = nullptr;
  nvmlReturn_t (*shutdown)() = nullptr;
  const char* (*error_string)(nvmlReturn_t) = nullptr;
  nvmlReturn_t (*driver_version)(char*, unsigned) = nullptr;
  nvmlReturn_t (*count)(unsigned*) = nullptr;
  nvmlReturn_t (*by_index)(unsigned, nvmlDevice_t*) = nullptr;
  nvmlReturn_t (*pci_info)(nvmlDevice_t, nvmlPciInfo_t*) = nullptr;
  nvmlReturn_t (*name)(nvmlDevice_t, char*, unsigned) = nullptr;
  nvmlReturn_t (*max_gen)(nvmlDevice_t, unsigned*) = nullptr;
  nvmlReturn_t (*max_width)(nvmlDevice_t, unsigned*) = nullptr;
  nvmlReturn_t (*gpu_max_gen)(nvmlDevice_t, unsigned*) = nullptr;
  nvmlReturn_t (*nvlink_state)(nvmlDevice_t, unsigned, int*) = nullptr;
  nvmlReturn_t (*nvlink_version)(nvmlDevice_t, unsigned, unsigned*) = nullptr;
  nvmlReturn_t (*nvlink_remote_pci)(nvmlDevice_t, unsigned, nvmlPciInfo_t*) = nullptr;
  nvmlReturn_t (*nvlink_remote_type)(nvmlDevice_t, unsigned, int*) = nullptr;
  nvmlReturn_t (*p2p_status)(nvmlDevice_t, nvmlDevice_t, int, int*) = nullptr;

  ~Nvml() {
    if (shutdown) shutdown();
    if (lib) dlclose(lib);
  }

  template <typename F>
  void bind(F& fn, const char* symbol) {
    fn = reinterpret_cast<F>(dlsym(lib, symbol));
  }
};

std::string err(const Nvml& n, nvmlReturn_t r) {
  return n.error_string ? n.error_string(r) : "NVML error " + std::to_string(r);
}

// NVML's NVLink version enum (1 = 1.0, 2 = 2.0, 3 = 2.2, 4 = 3.0, 5 = 3.1, 6 = 4.0, 7 = 5.0)
// mapped to the NVLink generation used by the GPU model table.
int nvlink_generation(unsigned nvml_version) {
  static const std::map<unsigned, int> gen{{1, 1}, {2, 2}, {3, 2}, {4, 3}, {5, 3}, {6, 4}, {7, 5}, {8, 6}};
  auto it = gen.find(nvml_version);
  return it == gen.end() ? 0 : it->second;
}

}  // namespace

void apply_nvml(DiscoveryState& state) {
  auto nvml = std::make_unique<Nvml>();
  nvml->lib = dlopen("libnvidia-ml.so.1", RTLD_NOW | RTLD_LOCAL);
  if (!nvml->lib) {
    state.note("nvml", std::string("NVML not available (") + dlerror() +
                           "): NVLink state and NVML P2P status not read; install the NVIDIA driver to get them");
    return;
  }
  Nvml& n = *nvml;
  n.bind(n.init, "nvmlInit_v2");
  n.bind(n.error_string, "nvmlErrorString");
  n.bind(n.driver_version, "nvmlSystemGetDriverVersion");
  n.bind(n.count, "nvmlDeviceGetCount_v2");
  n.bind(n.by_index, "nvmlDeviceGetHandleByIndex_v2");
  n.bind(n.pci_info, "nvmlDeviceGetPciInfo_v3");
  n.bind(n.name, "nvmlDeviceGetName");
  n.bind(n.max_gen, "nvmlDeviceGetMaxPcieLinkGeneration");
  n.bind(n.max_width, "nvmlDeviceGetMaxPcieLinkWidth");
  n.bind(n.gpu_max_gen, "nvmlDeviceGetGpuMaxPcieLinkGeneration");
  n.bind(n.nvlink_state, "nvmlDeviceGetNvLinkState");
  n.bind(n.nvlink_version, "nvmlDeviceGetNvLinkVersion");
  n.bind(n.nvlink_remote_pci, "nvmlDeviceGetNvLinkRemotePciInfo_v2");
  n.bind(n.nvlink_remote_type, "nvmlDeviceGetNvLinkRemoteDeviceType");
  n.bind(n.p2p_status, "nvmlDeviceGetP2PStatus");
  if (!n.init || !n.count || !n.by_index || !n.pci_info) {
    state.note("nvml", "libnvidia-ml.so.1 lacks the NVML functions rigcheck needs; driver too old?");
    return;
  }
  if (nvmlReturn_t r = n.init(); r != NVML_SUCCESS) {
    state.note("nvml", "NVML could not start (" + err(n, r) + "): NVLink and NVML P2P status not read");
    return;
  }
  n.bind(n.shutdown, "nvmlShutdown");

  unsigned count = 0;
  if (nvmlReturn_t r = n.count(&count); r != NVML_SUCCESS) {
    state.note("nvml", "nvmlDeviceGetCount failed: " + err(n, r));
    return;
  }
  std::map<int, nvmlDevice_t> handle_of_gpu;
  std::map<int, int> gpu_of_node;
  for (const auto& g : state.topo.gpus) gpu_of_node[g.node] = g.index;

  for (unsigned i = 0; i < count; ++i) {
    nvmlDevice_t dev = nullptr;
    nvmlPciInfo_t pci{};
    if (n.by_index(i, &dev) != NVML_SUCCESS || n.pci_info(dev, &pci) != NVML_SUCCESS) continue;
    auto address = PciAddress::parse(pci.busId);
    int node = address ? state.find(*address) : -1;
    auto gpu_it = gpu_of_node.find(node);
    if (gpu_it == gpu_of_node.end()) {
      state.note("nvml", std::string("NVML device ") + pci.busId + " is not in the PCI tree; ignored");
      continue;
    }
    Gpu& g = state.topo.gpus[gpu_it->second];
    handle_of_gpu[g.index] = dev;
    char name[96] = {};
    if (n.name && n.name(dev, name, sizeof name) == NVML_SUCCESS && name[0]) g.name = name;
    unsigned v = 0;
    if (n.gpu_max_gen && n.gpu_max_gen(dev, &v) == NVML_SUCCESS) g.gpu_max_gen = static_cast<int>(v);

    // NVLink: links are numbered from 0; stop at the first index NVML rejects.
    std::map<std::string, NvLinkBundle> bundles;
    for (unsigned link = 0; n.nvlink_state && link < 64; ++link) {
      int active = 0;
      nvmlReturn_t r = n.nvlink_state(dev, link, &active);
      if (r != NVML_SUCCESS) break;
      if (!active) continue;
      nvmlPciInfo_t remote{};
      if (!n.nvlink_remote_pci || n.nvlink_remote_pci(dev, link, &remote) != NVML_SUCCESS) continue;
      unsigned version = 0;
      if (n.nvlink_version) n.nvlink_version(dev, link, &version);
      int type = 0xff;  // NVML_NVLINK_DEVICE_TYPE_GPU = 0, IBMNPU = 1, SWITCH = 2
      if (n.nvlink_remote_type) n.nvlink_remote_type(dev, link, &type);
      auto remote_address = PciAddress::parse(remote.busId);
      RawNvLink raw;
      raw.from_node = g.node;
      raw.to_kind = type == 2 ? "nvswitch" : (type == 1 ? "cpu" : "gpu");
      raw.to_node = remote_address ? state.find(*remote_address) : -1;
      raw.version = nvlink_generation(version);
      raw.links = 1;
      // Merge links to the same remote into one bundle (nvidia-smi's NV#).
      bool merged = false;
      for (auto& existing : state.nvlinks) {
        if (existing.from_node == raw.from_node && existing.to_node == raw.to_node && existing.to_kind == raw.to_kind &&
            existing.links > 0 && raw.to_node >= 0) {
          existing.links += 1;
          merged = true;
          break;
        }
      }
      if (!merged) state.nvlinks.push_back(raw);
    }
  }

  if (n.p2p_status) {
    for (auto& [a, ha] : handle_of_gpu) {
      for (auto& [b, hb] : handle_of_gpu) {
        if (a >= b) continue;
        int status = 6;
        if (n.p2p_status(ha, hb, NVML_P2P_CAPS_INDEX_READ, &status) != NVML_SUCCESS) continue;
        GpuPair* p = nullptr;
        for (auto& pair : state.topo.pairs)
          if (pair.a == a && pair.b == b) p = &pair;
        if (!p) {
          state.topo.pairs.push_back(GpuPair{});
          p = &state.topo.pairs.back();
          p->a = a;
          p->b = b;
        }
        p->p2p.nvml_read = p2p_status_name(status);
      }
    }
  }
  if (n.driver_version) {
    char version[96] = {};
    if (n.driver_version(version, sizeof version) == NVML_SUCCESS && state.topo.system.nvidia_driver.empty())
      state.topo.system.nvidia_driver = version;
  }
}

}  // namespace rigcheck::topology::detail
