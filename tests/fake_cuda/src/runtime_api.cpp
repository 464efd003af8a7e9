// The CUDA runtime entry points rigcheck calls, on the fake driver. Each call takes the driver's
// lock, answers the sticky error first (as the real runtime does after a fault), validates its
// arguments as the real API does, and queues work on the fake streams.

#include <cuda_runtime_api.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "driver.h"

using rigcheck::fake_cuda::kHost;
using rigcheck::fake_cuda::detail::Access;
using rigcheck::fake_cuda::detail::Allocation;
using rigcheck::fake_cuda::detail::current_device;
using rigcheck::fake_cuda::detail::Driver;
using rigcheck::fake_cuda::detail::Event;
using rigcheck::fake_cuda::detail::last_error;
using rigcheck::fake_cuda::detail::Op;
using rigcheck::fake_cuda::detail::Stream;

namespace {

cudaError_t set(cudaError_t e) {
  if (e != cudaSuccess) last_error() = e;
  return e;
}

// Entry of every call: the lock, and the answer for a driver that cannot run anything now.
struct Call {
  Driver& d = Driver::get();
  std::unique_lock<std::mutex> lock{d.m};
  cudaError_t status = cudaSuccess;
  explicit Call(bool sticky_applies = true) {
    if (!d.installed) status = cudaErrorInsufficientDriver;
    else if (d.forked_after_init) status = cudaErrorInitializationError;
    else {
      d.initialise();
      if (d.device_count() == 0) status = cudaErrorNoDevice;
      else if (sticky_applies && d.sticky) status = static_cast<cudaError_t>(d.sticky);
    }
  }
  bool ok() const { return status == cudaSuccess; }
  bool valid_device(int dev) const { return dev >= 0 && dev < d.device_count(); }
};

#define FAKE_ENTER()          \
  Call c;                     \
  if (!c.ok()) return set(c.status)

void* aligned_storage(size_t bytes) {
  void* p = nullptr;
  if (posix_memalign(&p, 256, std::max<size_t>(bytes, 1)) != 0) return nullptr;
  return p;
}

int owner_of(const Driver& d, const void* p, size_t bytes) {
  const Allocation* a = d.find(p, std::max<size_t>(bytes, 1));
  return a ? a->owner : kHost;
}

bool pageable(const Driver& d, const void* p, size_t bytes) { return d.find(p, std::max<size_t>(bytes, 1)) == nullptr; }

// A copy engine copy on `s`: direct between devices with peer access either way, else staged
// through host memory by the driver.
cudaError_t copy(Call& c, void* dst, const void* src, size_t bytes, Stream* s, const char* name, bool sync) {
  Driver& d = c.d;
  const int so = owner_of(d, src, bytes), dso = owner_of(d, dst, bytes);
  Op op;
  op.name = name;
  op.device = s->device;
  op.bytes = bytes;
  op.accesses = {{src, bytes, false}, {dst, bytes, true}};
  const bool cross = so != kHost && dso != kHost && so != dso;
  op.staged = cross && !d.peers.count({so, dso}) && !d.peers.count({dso, so});
  op.seconds = static_cast<double>(bytes) / (d.rate_gbps(s->device, so, dso, op.staged) * 1e9);
  void* hd = const_cast<void*>(d.host_of(dst));
  const void* hs = d.host_of(src);
  op.run = [hd, hs, bytes] { std::memmove(hd, hs, bytes); };
  op.corrupt_target = hd;
  d.apply_faults(op, {so, dso});
  if (op.refuse) return set(cudaErrorLaunchFailure);
  const bool staged = op.staged;
  if (staged) d.wait_idle(s, c.lock);  // the driver stages through host memory from this thread
  d.enqueue(s, std::move(op), c.lock);
  // Pageable host memory is copied synchronously; so is everything staged and cudaMemcpy.
  if (sync || staged || pageable(d, src, bytes) || pageable(d, dst, bytes)) d.wait_idle(s, c.lock);
  return c.d.sticky ? set(static_cast<cudaError_t>(c.d.sticky)) : cudaSuccess;
}

cudaError_t memset_on(Call& c, void* p, int value, size_t bytes, Stream* s) {
  Driver& d = c.d;
  if (!d.find(p, bytes) || owner_of(d, p, bytes) == kHost) return set(cudaErrorInvalidValue);
  Op op;
  op.name = "memset";
  op.device = s->device;
  op.bytes = bytes;
  op.accesses = {{p, bytes, true}};
  op.check_access = true;  // a memset is a kernel of the issuing device
  op.seconds = static_cast<double>(bytes) / (d.spec(s->device).local_gbps * 1e9);
  void* hp = const_cast<void*>(d.host_of(p));
  op.run = [hp, value, bytes] { std::memset(hp, value, bytes); };
  d.apply_faults(op, {owner_of(d, p, bytes)});
  d.enqueue(s, std::move(op), c.lock);
  return cudaSuccess;
}

struct ErrorText {
  cudaError_t e;
  const char* name;
  const char* text;
};
constexpr ErrorText kErrors[] = {
    {cudaSuccess, "cudaSuccess", "no error"},
    {cudaErrorInvalidValue, "cudaErrorInvalidValue", "invalid argument"},
    {cudaErrorMemoryAllocation, "cudaErrorMemoryAllocation", "out of memory"},
    {cudaErrorInitializationError, "cudaErrorInitializationError", "initialization error"},
    {cudaErrorInsufficientDriver, "cudaErrorInsufficientDriver",
     "CUDA driver version is insufficient for CUDA runtime version"},
    {cudaErrorInvalidDevice, "cudaErrorInvalidDevice", "invalid device ordinal"},
    {cudaErrorNoDevice, "cudaErrorNoDevice", "no CUDA-capable device is detected"},
    {cudaErrorNoKernelImageForDevice, "cudaErrorNoKernelImageForDevice",
     "no kernel image is available for execution on the device"},
    {cudaErrorPeerAccessUnsupported, "cudaErrorPeerAccessUnsupported", "peer access is not supported between these two devices"},
    {cudaErrorInvalidResourceHandle, "cudaErrorInvalidResourceHandle", "invalid resource handle"},
    {cudaErrorNotReady, "cudaErrorNotReady", "device not ready"},
    {cudaErrorIllegalAddress, "cudaErrorIllegalAddress", "an illegal memory access was encountered"},
    {cudaErrorPeerAccessAlreadyEnabled, "cudaErrorPeerAccessAlreadyEnabled", "peer access is already enabled"},
    {cudaErrorPeerAccessNotEnabled, "cudaErrorPeerAccessNotEnabled", "peer access has not been enabled"},
    {cudaErrorTooManyPeers, "cudaErrorTooManyPeers", "peer mapping resources exhausted"},
    {cudaErrorHostMemoryAlreadyRegistered, "cudaErrorHostMemoryAlreadyRegistered",
     "part or all of the requested memory range is already mapped"},
    {cudaErrorHostMemoryNotRegistered, "cudaErrorHostMemoryNotRegistered", "pointer does not correspond to a registered memory region"},
    {cudaErrorNotSupported, "cudaErrorNotSupported", "operation not supported"},
    {cudaErrorLaunchFailure, "cudaErrorLaunchFailure", "unspecified launch failure"},
};

const ErrorText* lookup(cudaError_t e) {
  for (const auto& t : kErrors)
    if (t.e == e) return &t;
  return nullptr;
}

}  // namespace

const char* cudaGetErrorName(cudaError_t e) {
  const ErrorText* t = lookup(e);
  return t ? t->name : "cudaErrorUnknown";
}

const char* cudaGetErrorString(cudaError_t e) {
  const ErrorText* t = lookup(e);
  return t ? t->text : "unknown error";
}

cudaError_t cudaGetLastError() {
  Driver& d = Driver::get();
  std::lock_guard lock(d.m);
  if (d.sticky) return static_cast<cudaError_t>(d.sticky);  // sticky errors are not cleared
  cudaError_t e = last_error();
  last_error() = cudaSuccess;
  return e;
}

cudaError_t cudaPeekAtLastError() {
  Driver& d = Driver::get();
  std::lock_guard lock(d.m);
  return d.sticky ? static_cast<cudaError_t>(d.sticky) : last_error();
}

cudaError_t cudaDriverGetVersion(int* v) {
  if (!v) return set(cudaErrorInvalidValue);
  Driver& d = Driver::get();
  std::lock_guard lock(d.m);
  *v = d.installed ? d.machine.driver_version : 0;
  return cudaSuccess;
}

cudaError_t cudaRuntimeGetVersion(int* v) {
  if (!v) return set(cudaErrorInvalidValue);
  Driver& d = Driver::get();
  std::lock_guard lock(d.m);
  *v = d.installed ? d.machine.runtime_version : 13000;
  return cudaSuccess;
}

cudaError_t cudaGetDeviceCount(int* count) {
  FAKE_ENTER();
  if (!count) return set(cudaErrorInvalidValue);
  *count = c.d.device_count();
  return cudaSuccess;
}

cudaError_t cudaSetDevice(int dev) {
  FAKE_ENTER();
  if (!c.valid_device(dev)) {
    c.d.broke("cudaSetDevice(" + std::to_string(dev) + ") with " + std::to_string(c.d.device_count()) + " devices");
    return set(cudaErrorInvalidDevice);
  }
  current_device() = dev;
  return cudaSuccess;
}

cudaError_t cudaGetDevice(int* dev) {
  FAKE_ENTER();
  if (!dev) return set(cudaErrorInvalidValue);
  *dev = current_device();
  return cudaSuccess;
}

cudaError_t cudaGetDeviceProperties(cudaDeviceProp* prop, int dev) {
  FAKE_ENTER();
  if (!prop || !c.valid_device(dev)) return set(!prop ? cudaErrorInvalidValue : cudaErrorInvalidDevice);
  const auto& s = c.d.spec(dev);
  *prop = cudaDeviceProp{};
  std::snprintf(prop->name, sizeof prop->name, "%s", s.name.c_str());
  prop->major = s.major;
  prop->minor = s.minor;
  prop->multiProcessorCount = s.sm_count;
  prop->totalGlobalMem = s.memory_bytes;
  unsigned domain = 0, bus = 0, device = 0, function = 0;
  std::sscanf(s.pci_bus_id.c_str(), "%x:%x:%x.%x", &domain, &bus, &device, &function);
  prop->pciDomainID = static_cast<int>(domain);
  prop->pciBusID = static_cast<int>(bus);
  prop->pciDeviceID = static_cast<int>(device);
  return cudaSuccess;
}

cudaError_t cudaDeviceGetAttribute(int* value, cudaDeviceAttr attr, int dev) {
  FAKE_ENTER();
  if (!value || !c.valid_device(dev)) return set(!value ? cudaErrorInvalidValue : cudaErrorInvalidDevice);
  const auto& s = c.d.spec(dev);
  switch (attr) {
    case cudaDevAttrMultiProcessorCount: *value = s.sm_count; return cudaSuccess;
    case cudaDevAttrComputeCapabilityMajor: *value = s.major; return cudaSuccess;
    case cudaDevAttrComputeCapabilityMinor: *value = s.minor; return cudaSuccess;
    default:
      c.d.broke("cudaDeviceGetAttribute(" + std::to_string(static_cast<int>(attr)) + ") is not modelled by the fake");
      return set(cudaErrorNotSupported);
  }
}

cudaError_t cudaDeviceGetPCIBusId(char* out, int len, int dev) {
  FAKE_ENTER();
  if (!out || len <= 0 || !c.valid_device(dev)) return set(!c.valid_device(dev) ? cudaErrorInvalidDevice : cudaErrorInvalidValue);
  std::snprintf(out, static_cast<size_t>(len), "%s", c.d.spec(dev).pci_bus_id.c_str());
  return cudaSuccess;
}

cudaError_t cudaDeviceCanAccessPeer(int* can, int dev, int peer) {
  FAKE_ENTER();
  if (!can) return set(cudaErrorInvalidValue);
  if (!c.valid_device(dev) || !c.valid_device(peer)) return set(cudaErrorInvalidDevice);
  *can = dev != peer && c.d.can_access(dev, peer);
  return cudaSuccess;
}

cudaError_t cudaDeviceEnablePeerAccess(int peer, unsigned flags) {
  FAKE_ENTER();
  const int dev = current_device();
  if (flags != 0) return set(cudaErrorInvalidValue);
  if (!c.valid_device(peer) || peer == dev) return set(cudaErrorInvalidDevice);
  if (!c.d.can_access(dev, peer)) {
    c.d.broke("peer access " + std::to_string(dev) + "->" + std::to_string(peer) + " enabled where it is not supported");
    return set(cudaErrorPeerAccessUnsupported);
  }
  if (c.d.peers.count({dev, peer})) return set(cudaErrorPeerAccessAlreadyEnabled);
  const auto mapped = std::count_if(c.d.peers.begin(), c.d.peers.end(), [&](const auto& p) { return p.first == dev; });
  if (mapped >= 8 && !c.d.machine.nvswitch) {
    c.d.broke("device " + std::to_string(dev) + " asked for a ninth peer mapping");
    return set(cudaErrorTooManyPeers);
  }
  c.d.peers.insert({dev, peer});
  return cudaSuccess;
}

cudaError_t cudaDeviceDisablePeerAccess(int peer) {
  FAKE_ENTER();
  const int dev = current_device();
  if (!c.valid_device(peer)) return set(cudaErrorInvalidDevice);
  if (!c.d.peers.erase({dev, peer})) return set(cudaErrorPeerAccessNotEnabled);
  return cudaSuccess;
}

cudaError_t cudaMalloc(void** p, size_t bytes) {
  FAKE_ENTER();
  if (!p) return set(cudaErrorInvalidValue);
  void* storage = aligned_storage(bytes);
  if (!storage) return set(cudaErrorMemoryAllocation);
  const auto base = reinterpret_cast<uintptr_t>(storage);
  c.d.allocations[base] = Allocation{base, std::max<size_t>(bytes, 1), current_device(), false, storage};
  *p = storage;
  return cudaSuccess;
}

cudaError_t cudaFree(void* p) {
  FAKE_ENTER();
  if (!p) return cudaSuccess;
  auto it = c.d.allocations.find(reinterpret_cast<uintptr_t>(p));
  if (it == c.d.allocations.end() || it->second.owner == kHost) return set(cudaErrorInvalidValue);
  c.d.wait_device_idle(it->second.owner, c.lock);  // cudaFree synchronises the device
  it = c.d.allocations.find(reinterpret_cast<uintptr_t>(p));
  if (it == c.d.allocations.end()) return set(cudaErrorInvalidValue);  // the driver was reset meanwhile
  std::free(it->second.storage);
  c.d.allocations.erase(it);
  return cudaSuccess;
}

cudaError_t cudaHostAlloc(void** p, size_t bytes, unsigned /*flags*/) {
  FAKE_ENTER();
  if (!p) return set(cudaErrorInvalidValue);
  void* storage = aligned_storage(bytes);
  if (!storage) return set(cudaErrorMemoryAllocation);
  std::memset(storage, 0, bytes);
  const auto base = reinterpret_cast<uintptr_t>(storage);
  c.d.allocations[base] = Allocation{base, std::max<size_t>(bytes, 1), kHost, false, storage};
  *p = storage;
  return cudaSuccess;
}

cudaError_t cudaMallocHost(void** p, size_t bytes) { return cudaHostAlloc(p, bytes, 0); }

cudaError_t cudaFreeHost(void* p) {
  FAKE_ENTER();
  if (!p) return cudaSuccess;
  auto it = c.d.allocations.find(reinterpret_cast<uintptr_t>(p));
  if (it == c.d.allocations.end() || it->second.owner != kHost || it->second.registered) return set(cudaErrorInvalidValue);
  c.d.wait_all_idle(c.lock);
  it = c.d.allocations.find(reinterpret_cast<uintptr_t>(p));
  if (it == c.d.allocations.end()) return set(cudaErrorInvalidValue);
  std::free(it->second.storage);
  c.d.allocations.erase(it);
  return cudaSuccess;
}

cudaError_t cudaHostRegister(void* p, size_t bytes, unsigned /*flags*/) {
  FAKE_ENTER();
  if (!p || bytes == 0) return set(cudaErrorInvalidValue);
  const auto base = reinterpret_cast<uintptr_t>(p);
  for (const auto& [b, a] : c.d.allocations)
    if (base < a.base + a.bytes && a.base < base + bytes) return set(cudaErrorHostMemoryAlreadyRegistered);
  c.d.allocations[base] = Allocation{base, bytes, kHost, true, nullptr};
  return cudaSuccess;
}

cudaError_t cudaHostUnregister(void* p) {
  FAKE_ENTER();
  auto it = c.d.allocations.find(reinterpret_cast<uintptr_t>(p));
  if (it == c.d.allocations.end() || !it->second.registered) return set(cudaErrorHostMemoryNotRegistered);
  c.d.wait_all_idle(c.lock);  // unregistering waits for work that may use the pages
  c.d.allocations.erase(reinterpret_cast<uintptr_t>(p));
  return cudaSuccess;
}

cudaError_t cudaHostGetDevicePointer(void** dev, void* host, unsigned flags) {
  FAKE_ENTER();
  const Allocation* a = c.d.find(host);
  if (!dev || flags != 0 || !a || a->owner != kHost) return set(cudaErrorInvalidValue);
  // cudaHostAlloc'ed memory has one address for both; registered memory may not.
  *dev = a->registered && !c.d.machine.registered_host_pointer_is_device_pointer
             ? reinterpret_cast<void*>(reinterpret_cast<uintptr_t>(host) + Driver::kDeviceAlias)
             : host;
  return cudaSuccess;
}

cudaError_t cudaStreamCreateWithFlags(cudaStream_t* out, unsigned flags) {
  FAKE_ENTER();
  if (!out) return set(cudaErrorInvalidValue);
  Stream* s = c.d.new_stream(current_device(), (flags & cudaStreamNonBlocking) == 0, false);
  *out = reinterpret_cast<cudaStream_t>(s);
  return cudaSuccess;
}

cudaError_t cudaStreamCreate(cudaStream_t* out) { return cudaStreamCreateWithFlags(out, cudaStreamDefault); }

cudaError_t cudaStreamDestroy(cudaStream_t handle) {
  FAKE_ENTER();
  auto* s = reinterpret_cast<Stream*>(handle);
  if (!handle || !c.d.streams.count(s) || s->destroyed || s->legacy) return set(cudaErrorInvalidResourceHandle);
  s->destroyed = true;  // its thread finishes the queued work, then ends (as CUDA does)
  c.d.cv.notify_all();
  return cudaSuccess;
}

cudaError_t cudaStreamSynchronize(cudaStream_t handle) {
  FAKE_ENTER();
  Stream* s = c.d.resolve(handle, current_device());
  if (!s) return set(cudaErrorInvalidResourceHandle);
  c.d.wait_idle(s, c.lock);
  return c.d.sticky ? set(static_cast<cudaError_t>(c.d.sticky)) : cudaSuccess;
}

cudaError_t cudaStreamQuery(cudaStream_t handle) {
  FAKE_ENTER();
  Stream* s = c.d.resolve(handle, current_device());
  if (!s) return set(cudaErrorInvalidResourceHandle);
  return s->queue.empty() ? cudaSuccess : cudaErrorNotReady;
}

cudaError_t cudaDeviceSynchronize() {
  FAKE_ENTER();
  c.d.wait_device_idle(current_device(), c.lock);
  return c.d.sticky ? set(static_cast<cudaError_t>(c.d.sticky)) : cudaSuccess;
}

cudaError_t cudaEventCreateWithFlags(cudaEvent_t* out, unsigned /*flags*/) {
  FAKE_ENTER();
  if (!out) return set(cudaErrorInvalidValue);
  auto* e = new Event;
  e->device = current_device();
  c.d.events.insert(e);
  *out = reinterpret_cast<cudaEvent_t>(e);
  return cudaSuccess;
}

cudaError_t cudaEventCreate(cudaEvent_t* out) { return cudaEventCreateWithFlags(out, cudaEventDefault); }

cudaError_t cudaEventDestroy(cudaEvent_t handle) {
  FAKE_ENTER();
  auto* e = reinterpret_cast<Event*>(handle);
  if (!c.d.events.erase(e)) return set(cudaErrorInvalidResourceHandle);
  delete e;
  return cudaSuccess;
}

cudaError_t cudaEventRecord(cudaEvent_t handle, cudaStream_t stream) {
  FAKE_ENTER();
  auto* e = reinterpret_cast<Event*>(handle);
  Stream* s = c.d.resolve(stream, current_device());
  if (!c.d.events.count(e) || !s) return set(cudaErrorInvalidResourceHandle);
  if (s->device != e->device) {
    c.d.broke("cudaEventRecord of device " + std::to_string(e->device) + "'s event on device " + std::to_string(s->device) +
              "'s stream");
    return set(cudaErrorInvalidResourceHandle);
  }
  Op op;
  op.name = "event";
  op.device = s->device;
  op.record = std::make_shared<rigcheck::fake_cuda::detail::Mark>();
  e->mark = op.record;
  c.d.enqueue(s, std::move(op), c.lock);
  return cudaSuccess;
}

cudaError_t cudaStreamWaitEvent(cudaStream_t stream, cudaEvent_t handle, unsigned flags) {
  FAKE_ENTER();
  auto* e = reinterpret_cast<Event*>(handle);
  Stream* s = c.d.resolve(stream, current_device());
  if (!c.d.events.count(e) || !s || flags != 0) return set(cudaErrorInvalidResourceHandle);
  if (!e->mark) return cudaSuccess;  // never recorded: nothing to wait for
  Op op;
  op.name = "wait";
  op.device = s->device;
  op.waits.push_back(e->mark);  // the record captured now, not a later one
  c.d.enqueue(s, std::move(op), c.lock);
  return cudaSuccess;
}

cudaError_t cudaEventQuery(cudaEvent_t handle) {
  FAKE_ENTER();
  auto* e = reinterpret_cast<Event*>(handle);
  if (!c.d.events.count(e)) return set(cudaErrorInvalidResourceHandle);
  return !e->mark || e->mark->done ? cudaSuccess : cudaErrorNotReady;
}

cudaError_t cudaEventSynchronize(cudaEvent_t handle) {
  FAKE_ENTER();
  auto* e = reinterpret_cast<Event*>(handle);
  if (!c.d.events.count(e)) return set(cudaErrorInvalidResourceHandle);
  if (e->mark) {
    auto mark = e->mark;
    c.d.cv.wait(c.lock, [&] { return mark->done; });
  }
  return c.d.sticky ? set(static_cast<cudaError_t>(c.d.sticky)) : cudaSuccess;
}

cudaError_t cudaEventElapsedTime(float* ms, cudaEvent_t start, cudaEvent_t end) {
  FAKE_ENTER();
  auto *a = reinterpret_cast<Event*>(start), *b = reinterpret_cast<Event*>(end);
  if (!ms || !c.d.events.count(a) || !c.d.events.count(b)) return set(cudaErrorInvalidResourceHandle);
  if (!a->mark || !b->mark) return set(cudaErrorInvalidResourceHandle);
  if (a->device != b->device) {
    c.d.broke("cudaEventElapsedTime between events of devices " + std::to_string(a->device) + " and " +
              std::to_string(b->device));
    return set(cudaErrorInvalidResourceHandle);
  }
  if (!a->mark->done || !b->mark->done) return set(cudaErrorNotReady);
  *ms = static_cast<float>((b->mark->time - a->mark->time) * 1e3);
  return cudaSuccess;
}

cudaError_t cudaMemcpy(void* dst, const void* src, size_t bytes, cudaMemcpyKind /*kind*/) {
  FAKE_ENTER();
  return copy(c, dst, src, bytes, c.d.legacy_stream(current_device()), "memcpy", true);
}

cudaError_t cudaMemcpyAsync(void* dst, const void* src, size_t bytes, cudaMemcpyKind /*kind*/, cudaStream_t stream) {
  FAKE_ENTER();
  Stream* s = c.d.resolve(stream, current_device());
  if (!s) return set(cudaErrorInvalidResourceHandle);
  return copy(c, dst, src, bytes, s, "memcpy", false);
}

cudaError_t cudaMemcpyPeerAsync(void* dst, int dst_dev, const void* src, int src_dev, size_t bytes, cudaStream_t stream) {
  FAKE_ENTER();
  Stream* s = c.d.resolve(stream, current_device());
  if (!s) return set(cudaErrorInvalidResourceHandle);
  if (!c.valid_device(dst_dev) || !c.valid_device(src_dev)) return set(cudaErrorInvalidDevice);
  if (owner_of(c.d, dst, bytes) != dst_dev || owner_of(c.d, src, bytes) != src_dev) {
    c.d.broke("cudaMemcpyPeerAsync with a pointer that is not on the device it names");
    return set(cudaErrorInvalidValue);
  }
  return copy(c, dst, src, bytes, s, "memcpy_peer", false);
}

cudaError_t cudaMemset(void* p, int value, size_t bytes) {
  FAKE_ENTER();
  // Asynchronous with respect to the host for device memory, on the legacy stream.
  return memset_on(c, p, value, bytes, c.d.legacy_stream(current_device()));
}

cudaError_t cudaMemsetAsync(void* p, int value, size_t bytes, cudaStream_t stream) {
  FAKE_ENTER();
  Stream* s = c.d.resolve(stream, current_device());
  if (!s) return set(cudaErrorInvalidResourceHandle);
  return memset_on(c, p, value, bytes, s);
}
