// A stand-in for libnvidia-ml.so.1 describing the reference fake machine (fake_machine.h), so the
// NVML code paths run in tests: loaded through RIGCHECK_NVML_LIBRARY. Only the functions rigcheck
// resolves are exported; values are scripted.
//
//   GPUs 0000:03:00.0 and 0000:04:00.0 are joined by a 2-link NVLink 3.0 bridge (RTX 3090 pair);
//   P2P reads are OK between those two and GPU_NOT_SUPPORTED elsewhere; 0000:04:00.0 runs Gen4 x8;
//   every read of the replay counter adds 3; GPU 0000:05:00.0 reports SW power capping.

#include <cstdio>
#include <cstring>

namespace {

struct FakeGpu {
  const char* bus_id;  // NVML's format: 8-digit domain
  const char* name;
  unsigned gen, width, max_gen;
};

const FakeGpu kGpus[] = {
    {"00000000:03:00.0", "NVIDIA GeForce RTX 3090", 4, 16, 4},
    {"00000000:04:00.0", "NVIDIA GeForce RTX 3090", 4, 8, 4},
    {"00000000:05:00.0", "NVIDIA GeForce RTX 3090", 3, 16, 4},
    {"00000000:06:00.0", "NVIDIA GeForce GTX 1060 6GB", 3, 1, 3},
    {"00000000:41:00.0", "NVIDIA GeForce RTX 3090", 4, 16, 4},
    {"00000000:81:00.0", "NVIDIA H100 80GB HBM3", 5, 16, 5},
};
constexpr unsigned kCount = sizeof kGpus / sizeof kGpus[0];
unsigned g_replay[kCount] = {};
bool g_initialized = false;

struct PciInfo {
  char busIdLegacy[16];
  unsigned domain, bus, device;
  unsigned pciDeviceId;
  unsigned pciSubSystemId;
  char busId[32];
};

long index_of(void* d) { return reinterpret_cast<long>(d) - 1; }
bool valid(void* d) { return index_of(d) >= 0 && index_of(d) < static_cast<long>(kCount); }

constexpr int kSuccess = 0, kUninitialized = 1, kInvalidArgument = 2, kNotSupported = 3;

}  // namespace

extern "C" {

int nvmlInit_v2() {
  g_initialized = true;
  return kSuccess;
}
int nvmlShutdown() {
  g_initialized = false;
  return kSuccess;
}
const char* nvmlErrorString(int) { return "fake NVML error"; }
int nvmlSystemGetDriverVersion(char* v, unsigned n) {
  std::snprintf(v, n, "580.82.07");
  return kSuccess;
}
int nvmlDeviceGetCount_v2(unsigned* c) {
  if (!g_initialized) return kUninitialized;
  *c = kCount;
  return kSuccess;
}
int nvmlDeviceGetHandleByIndex_v2(unsigned i, void** d) {
  if (i >= kCount) return kInvalidArgument;
  *d = reinterpret_cast<void*>(static_cast<long>(i) + 1);
  return kSuccess;
}
int nvmlDeviceGetPciInfo_v3(void* d, PciInfo* p) {
  if (!valid(d)) return kInvalidArgument;
  std::memset(p, 0, sizeof *p);
  std::snprintf(p->busId, sizeof p->busId, "%s", kGpus[index_of(d)].bus_id);
  return kSuccess;
}
int nvmlDeviceGetName(void* d, char* n, unsigned len) {
  if (!valid(d)) return kInvalidArgument;
  std::snprintf(n, len, "%s", kGpus[index_of(d)].name);
  return kSuccess;
}
int nvmlDeviceGetGpuMaxPcieLinkGeneration(void* d, unsigned* g) {
  if (!valid(d)) return kInvalidArgument;
  *g = kGpus[index_of(d)].max_gen;
  return kSuccess;
}
int nvmlDeviceGetCurrPcieLinkGeneration(void* d, unsigned* g) {
  if (!valid(d)) return kInvalidArgument;
  *g = kGpus[index_of(d)].gen;
  return kSuccess;
}
int nvmlDeviceGetCurrPcieLinkWidth(void* d, unsigned* w) {
  if (!valid(d)) return kInvalidArgument;
  *w = kGpus[index_of(d)].width;
  return kSuccess;
}
int nvmlDeviceGetClockInfo(void* d, int, unsigned* mhz) {
  if (!valid(d)) return kInvalidArgument;
  *mhz = 1695;
  return kSuccess;
}
int nvmlDeviceGetCurrentClocksEventReasons(void* d, unsigned long long* r) {
  if (!valid(d)) return kInvalidArgument;
  *r = index_of(d) == 2 ? 0x4ull : 0;  // sw_power_cap on 0000:05:00.0
  return kSuccess;
}
int nvmlDeviceGetPcieReplayCounter(void* d, unsigned* v) {
  if (!valid(d)) return kInvalidArgument;
  g_replay[index_of(d)] += 3;
  *v = g_replay[index_of(d)];
  return kSuccess;
}
int nvmlDeviceGetNvLinkState(void* d, unsigned link, int* active) {
  if (!valid(d)) return kInvalidArgument;
  if (link >= 4) return kInvalidArgument;  // four NVLink ports, two in use on the bridged pair
  *active = (index_of(d) <= 1 && link < 2) ? 1 : 0;
  return kSuccess;
}
int nvmlDeviceGetNvLinkVersion(void*, unsigned, unsigned* v) {
  *v = 4;  // NVML_NVLINK_VERSION_3_0
  return kSuccess;
}
int nvmlDeviceGetNvLinkRemotePciInfo_v2(void* d, unsigned, PciInfo* p) {
  if (!valid(d) || index_of(d) > 1) return kNotSupported;
  std::memset(p, 0, sizeof *p);
  std::snprintf(p->busId, sizeof p->busId, "%s", kGpus[1 - index_of(d)].bus_id);
  return kSuccess;
}
int nvmlDeviceGetNvLinkRemoteDeviceType(void*, unsigned, int* type) {
  *type = 0;  // GPU
  return kSuccess;
}
int nvmlDeviceGetP2PStatus(void* a, void* b, int, int* status) {
  if (!valid(a) || !valid(b)) return kInvalidArgument;
  long x = index_of(a), y = index_of(b);
  *status = ((x == 0 && y == 1) || (x == 1 && y == 0)) ? 0 : 2;
  return kSuccess;
}

}  // extern "C"
