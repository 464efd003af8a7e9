#include "rigcheck/topology/nvml.h"

#include <dlfcn.h>

#include <cstdlib>
#include <map>

namespace rigcheck::topology {

namespace {

using nvmlReturn_t = int;
using nvmlDevice_t = void*;
constexpr nvmlReturn_t kSuccess = 0;
struct nvmlPciInfo_t {
  char busIdLegacy[16];
  unsigned domain, bus, device;
  unsigned pciDeviceId;
  unsigned pciSubSystemId;
  char busId[32];
};
constexpr int kClockSm = 1;          // NVML_CLOCK_SM
constexpr int kP2PCapsRead = 0;      // NVML_P2P_CAPS_INDEX_READ

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

}  // namespace

struct Nvml::Api {
  nvmlReturn_t (*init)() = nullptr;
  nvmlReturn_t (*shutdown)() = nullptr;
  const char* (*error_string)(nvmlReturn_t) = nullptr;
  nvmlReturn_t (*driver_version)(char*, unsigned) = nullptr;
  nvmlReturn_t (*count)(unsigned*) = nullptr;
  nvmlReturn_t (*by_index)(unsigned, nvmlDevice_t*) = nullptr;
  nvmlReturn_t (*pci_info)(nvmlDevice_t, nvmlPciInfo_t*) = nullptr;
  nvmlReturn_t (*name)(nvmlDevice_t, char*, unsigned) = nullptr;
  nvmlReturn_t (*gpu_max_gen)(nvmlDevice_t, unsigned*) = nullptr;
  nvmlReturn_t (*curr_gen)(nvmlDevice_t, unsigned*) = nullptr;
  nvmlReturn_t (*curr_width)(nvmlDevice_t, unsigned*) = nullptr;
  nvmlReturn_t (*clock)(nvmlDevice_t, int, unsigned*) = nullptr;
  nvmlReturn_t (*clock_reasons)(nvmlDevice_t, unsigned long long*) = nullptr;
  nvmlReturn_t (*replay)(nvmlDevice_t, unsigned*) = nullptr;
  nvmlReturn_t (*nvlink_state)(nvmlDevice_t, unsigned, int*) = nullptr;
  nvmlReturn_t (*nvlink_version)(nvmlDevice_t, unsigned, unsigned*) = nullptr;
  nvmlReturn_t (*nvlink_remote_pci)(nvmlDevice_t, unsigned, nvmlPciInfo_t*) = nullptr;
  nvmlReturn_t (*nvlink_remote_type)(nvmlDevice_t, unsigned, int*) = nullptr;
  nvmlReturn_t (*p2p_status)(nvmlDevice_t, nvmlDevice_t, int, int*) = nullptr;
};

std::unique_ptr<Nvml> Nvml::open(std::string& why_not) {
  const char* override_path = std::getenv("RIGCHECK_NVML_LIBRARY");
  const char* path = override_path && *override_path ? override_path : "libnvidia-ml.so.1";
  void* lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (!lib) {
    const char* e = dlerror();
    why_not = e ? e : "dlopen failed";
    return nullptr;
  }
  std::unique_ptr<Nvml> n(new Nvml);
  n->lib_ = lib;
  n->api_ = std::make_unique<Api>();
  Api& a = *n->api_;
  auto bind = [lib](auto& fn, const char* symbol) { fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(dlsym(lib, symbol)); };
  bind(a.init, "nvmlInit_v2");
  bind(a.shutdown, "nvmlShutdown");
  bind(a.error_string, "nvmlErrorString");
  bind(a.driver_version, "nvmlSystemGetDriverVersion");
  bind(a.count, "nvmlDeviceGetCount_v2");
  bind(a.by_index, "nvmlDeviceGetHandleByIndex_v2");
  bind(a.pci_info, "nvmlDeviceGetPciInfo_v3");
  bind(a.name, "nvmlDeviceGetName");
  bind(a.gpu_max_gen, "nvmlDeviceGetGpuMaxPcieLinkGeneration");
  bind(a.curr_gen, "nvmlDeviceGetCurrPcieLinkGeneration");
  bind(a.curr_width, "nvmlDeviceGetCurrPcieLinkWidth");
  bind(a.clock, "nvmlDeviceGetClockInfo");
  // Renamed from ...CurrentClocksThrottleReasons in newer drivers; both have the same signature.
  bind(a.clock_reasons, "nvmlDeviceGetCurrentClocksEventReasons");
  if (!a.clock_reasons) bind(a.clock_reasons, "nvmlDeviceGetCurrentClocksThrottleReasons");
  bind(a.replay, "nvmlDeviceGetPcieReplayCounter");
  bind(a.nvlink_state, "nvmlDeviceGetNvLinkState");
  bind(a.nvlink_version, "nvmlDeviceGetNvLinkVersion");
  bind(a.nvlink_remote_pci, "nvmlDeviceGetNvLinkRemotePciInfo_v2");
  bind(a.nvlink_remote_type, "nvmlDeviceGetNvLinkRemoteDeviceType");
  bind(a.p2p_status, "nvmlDeviceGetP2PStatus");
  if (!a.init || !a.shutdown || !a.count || !a.by_index || !a.pci_info) {
    why_not = std::string(path) + " lacks the NVML functions rigcheck needs (driver too old?)";
    return nullptr;  // ~Nvml closes the library; shutdown is not called because init never ran
  }
  if (nvmlReturn_t r = a.init(); r != kSuccess) {
    why_not = std::string("NVML could not start (") +
              (a.error_string ? a.error_string(r) : "error " + std::to_string(r)) + ")";
    return nullptr;
  }
  n->initialized_ = true;
  return n;
}

Nvml::~Nvml() {
  if (initialized_) api_->shutdown();
  if (lib_) dlclose(lib_);
}

std::string Nvml::driver_version() const {
  char v[96] = {};
  if (api_->driver_version && api_->driver_version(v, sizeof v) == kSuccess) return v;
  return {};
}

std::vector<Nvml::Device> Nvml::devices() const {
  unsigned count = 0;
  std::vector<Device> out;
  if (api_->count(&count) != kSuccess) return out;
  for (unsigned i = 0; i < count; ++i) {
    nvmlDevice_t d = nullptr;
    if (api_->by_index(i, &d) == kSuccess) out.push_back(d);
  }
  return out;
}

std::optional<PciAddress> Nvml::address(Device d) const {
  nvmlPciInfo_t pci{};
  if (api_->pci_info(d, &pci) != kSuccess) return std::nullopt;
  return PciAddress::parse(pci.busId);
}

std::string Nvml::name(Device d) const {
  char n[96] = {};
  if (api_->name && api_->name(d, n, sizeof n) == kSuccess) return n;
  return {};
}

std::optional<int> Nvml::gpu_max_link_gen(Device d) const {
  unsigned v = 0;
  if (api_->gpu_max_gen && api_->gpu_max_gen(d, &v) == kSuccess) return static_cast<int>(v);
  return std::nullopt;
}

LinkState Nvml::current_link(Device d) const {
  unsigned gen = 0, width = 0;
  if (!api_->curr_gen || api_->curr_gen(d, &gen) != kSuccess) gen = 0;
  if (!api_->curr_width || api_->curr_width(d, &width) != kSuccess) width = 0;
  return LinkState{static_cast<int>(gen), static_cast<int>(width)};
}

std::optional<unsigned> Nvml::sm_clock_mhz(Device d) const {
  unsigned v = 0;
  if (api_->clock && api_->clock(d, kClockSm, &v) == kSuccess) return v;
  return std::nullopt;
}

std::optional<uint64_t> Nvml::clock_event_reasons(Device d) const {
  unsigned long long v = 0;
  if (api_->clock_reasons && api_->clock_reasons(d, &v) == kSuccess) return v;
  return std::nullopt;
}

std::optional<unsigned> Nvml::pcie_replay_counter(Device d) const {
  unsigned v = 0;
  if (api_->replay && api_->replay(d, &v) == kSuccess) return v;
  return std::nullopt;
}

std::vector<Nvml::NvLink> Nvml::active_nvlinks(Device d) const {
  // NVML enum: 1 = 1.0, 2 = 2.0, 3 = 2.2, 4 = 3.0, 5 = 3.1, 6 = 4.0, 7 = 5.0, 8 = 6.0.
  static const std::map<unsigned, int> generation{{1, 1}, {2, 2}, {3, 2}, {4, 3}, {5, 3}, {6, 4}, {7, 5}, {8, 6}};
  std::vector<NvLink> out;
  if (!api_->nvlink_state) return out;
  // Link numbers start at 0; the first one NVML rejects ends the list (its maximum has grown
  // across header versions, so it is not hard-coded).
  for (unsigned link = 0; link < 64; ++link) {
    int active = 0;
    if (api_->nvlink_state(d, link, &active) != kSuccess) break;
    if (!active) continue;
    NvLink l;
    l.link = link;
    nvmlPciInfo_t remote{};
    if (api_->nvlink_remote_pci && api_->nvlink_remote_pci(d, link, &remote) == kSuccess) l.remote = PciAddress::parse(remote.busId);
    int type = 0;  // NVML_NVLINK_DEVICE_TYPE_GPU = 0, IBMNPU = 1, SWITCH = 2
    if (api_->nvlink_remote_type) api_->nvlink_remote_type(d, link, &type);
    l.remote_kind = type == 2 ? "nvswitch" : (type == 1 ? "cpu" : "gpu");
    unsigned version = 0;
    if (api_->nvlink_version && api_->nvlink_version(d, link, &version) == kSuccess) {
      auto it = generation.find(version);
      l.generation = it == generation.end() ? 0 : it->second;
    }
    out.push_back(l);
  }
  return out;
}

std::string Nvml::p2p_read_status(Device a, Device b) const {
  int status = 6;
  if (!api_->p2p_status || api_->p2p_status(a, b, kP2PCapsRead, &status) != kSuccess) return {};
  return p2p_status_name(status);
}

std::vector<std::string> Nvml::describe_clock_event_reasons(uint64_t mask) {
  // nvmlClocksEventReason* bit values from nvml.h.
  static const std::pair<uint64_t, const char*> bits[] = {
      {0x1, "gpu_idle"},       {0x2, "applications_clocks_setting"}, {0x4, "sw_power_cap"},
      {0x8, "hw_slowdown"},    {0x10, "sync_boost"},                 {0x20, "sw_thermal_slowdown"},
      {0x40, "hw_thermal_slowdown"}, {0x80, "hw_power_brake_slowdown"}, {0x100, "display_clock_setting"}};
  std::vector<std::string> out;
  for (auto [bit, name] : bits)
    if (mask & bit) out.push_back(name);
  return out;
}

}  // namespace rigcheck::topology
