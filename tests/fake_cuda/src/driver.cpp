#include "driver.h"

#include <pthread.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <thread>

namespace rigcheck::fake_cuda::detail {

namespace {

std::string owner_text(int owner) { return owner == kHost ? "host" : "device " + std::to_string(owner); }

// CUDA_VISIBLE_DEVICES as the driver reads it: a comma list of indexes, read up to the first
// entry that is not a valid index; unset means every device.
std::vector<int> visible_devices(size_t count) {
  std::vector<int> out;
  const char* env = std::getenv("CUDA_VISIBLE_DEVICES");
  if (!env) {
    for (size_t i = 0; i < count; ++i) out.push_back(static_cast<int>(i));
    return out;
  }
  std::stringstream ss(env);
  std::string item;
  while (std::getline(ss, item, ',')) {
    char* end = nullptr;
    long v = std::strtol(item.c_str(), &end, 10);
    if (item.empty() || *end != '\0' || v < 0 || static_cast<size_t>(v) >= count) break;
    if (std::find(out.begin(), out.end(), static_cast<int>(v)) != out.end()) break;
    out.push_back(static_cast<int>(v));
  }
  return out;
}

}  // namespace

Driver& Driver::get() {
  static Driver* d = [] {
    auto* driver = new Driver;
    // Keep the state consistent across fork(): no stream thread may hold the lock while the
    // child is made, and a child of an initialised process cannot use CUDA (as on hardware).
    pthread_atfork([] { Driver::get().m.lock(); }, [] { Driver::get().m.unlock(); },
                   [] {
                     Driver& dr = Driver::get();
                     if (dr.initialised) dr.forked_after_init = true;
                     dr.m.unlock();
                   });
    return driver;
  }();
  return *d;
}

int& current_device() {
  thread_local int d = 0;
  return d;
}

cudaError_t& last_error() {
  thread_local cudaError_t e = cudaSuccess;
  return e;
}

void Driver::reset(const MachineSpec* spec, std::unique_lock<std::mutex>& lock) {
  // Work still running is waited for a while; what cannot finish (a hung copy, or work waiting
  // for it) is abandoned.
  cv.wait_for(lock, std::chrono::seconds(5), [&] {
    for (Stream* s : streams) {
      if (s->queue.empty()) continue;
      const Op& front = s->queue.front();
      const bool stuck = front.hang || std::any_of(front.waits.begin(), front.waits.end(), [](const auto& w) { return !w->done; });
      if (!stuck) return false;
    }
    return true;
  });
  for (Stream* s : streams) {
    s->destroyed = true;
    if (!s->queue.empty()) s->abandoned = true;  // its thread leaves the hung op and exits
    s->queue.clear();
  }
  streams.clear();  // each thread deletes its own stream when it exits
  legacy.clear();
  cv.notify_all();
  for (Event* e : events) delete e;
  events.clear();
  for (auto& [base, a] : allocations) std::free(a.storage);
  allocations.clear();
  host_numa_ranges.clear();
  host_numa_nodes.clear();
  peers.clear();
  faults.clear();
  fault_seen.clear();
  log.clear();
  broken_rules.clear();
  sticky = 0;
  initialised = false;
  forked_after_init = false;
  visible.clear();
  installed = spec != nullptr;
  if (spec) machine = *spec;
}

void Driver::initialise() {
  if (initialised) return;
  initialised = true;
  visible = visible_devices(machine.devices.size());
}

bool Driver::can_access(int from, int to) const {
  const size_t a = static_cast<size_t>(visible.at(from)), b = static_cast<size_t>(visible.at(to));
  return a < machine.can_access.size() && b < machine.can_access[a].size() && machine.can_access[a][b];
}

const void* Driver::host_of(const void* p) const {
  const auto addr = reinterpret_cast<uintptr_t>(p);
  if (addr < kDeviceAlias) return p;
  const auto host = addr - kDeviceAlias;
  auto it = allocations.upper_bound(host);
  if (it == allocations.begin()) return p;
  --it;
  const Allocation& a = it->second;
  return a.registered && host < a.base + a.bytes ? reinterpret_cast<const void*>(host) : p;
}

const Allocation* Driver::find(const void* p, size_t bytes) const {
  const auto addr = reinterpret_cast<uintptr_t>(host_of(p));
  auto it = allocations.upper_bound(addr);
  if (it == allocations.begin()) return nullptr;
  --it;
  const Allocation& a = it->second;
  if (addr < a.base || addr + bytes > a.base + a.bytes) return nullptr;
  return &a;
}

int Driver::numa_of(uintptr_t p) const {
  for (size_t i = 0; i < host_numa_ranges.size(); ++i)
    if (p >= host_numa_ranges[i].first && p < host_numa_ranges[i].first + host_numa_ranges[i].second)
      return host_numa_nodes[i];
  return -1;
}

bool Driver::accessible(int device, const Access& a, std::string& why) const {
  const Allocation* alloc = find(a.ptr, std::max<size_t>(a.bytes, 1));
  if (!alloc) {
    why = "touched memory that is neither a CUDA allocation nor pinned host memory";
    return false;
  }
  if (alloc->registered && !machine.registered_host_pointer_is_device_pointer && host_of(a.ptr) == a.ptr) {
    why = "used the host address of registered memory; kernels need cudaHostGetDevicePointer's on this machine";
    return false;
  }
  if (alloc->owner == kHost || alloc->owner == device) return true;
  if (peers.count({device, alloc->owner})) return true;
  why = "touched device " + std::to_string(alloc->owner) + "'s memory without peer access";
  return false;
}

Stream* Driver::legacy_stream(int device) {
  auto it = legacy.find(device);
  if (it != legacy.end()) return it->second;
  Stream* s = new_stream(device, true, true);
  legacy[device] = s;
  return s;
}

Stream* Driver::new_stream(int device, bool blocking, bool is_legacy) {
  auto* s = new Stream;
  s->device = device;
  s->blocking = blocking;
  s->legacy = is_legacy;
  streams.insert(s);
  std::thread(&Driver::run_stream, this, s).detach();
  return s;
}

Stream* Driver::resolve(cudaStream_t handle, int current) {
  if (handle == nullptr || handle == cudaStreamLegacy) return legacy_stream(current);
  auto* s = reinterpret_cast<Stream*>(handle);
  if (!streams.count(s) || s->destroyed) return nullptr;
  return s;
}

void Driver::enqueue(Stream* s, Op op, std::unique_lock<std::mutex>& lock) {
  cv.wait(lock, [&] { return s->queue.size() < machine.stream_depth || s->destroyed; });
  // The legacy stream and blocking streams of one device are ordered with each other.
  if (s->legacy) {
    for (Stream* o : streams)
      if (o != s && o->device == s->device && o->blocking && o->last) op.waits.push_back(o->last);
  } else if (s->blocking) {
    if (auto it = legacy.find(s->device); it != legacy.end() && it->second->last) op.waits.push_back(it->second->last);
  }
  if (!op.record) op.record = std::make_shared<Mark>();
  op.record->device = s->device;
  s->last = op.record;
  s->queue.push_back(std::move(op));
  cv.notify_all();
}

void Driver::wait_idle(Stream* s, std::unique_lock<std::mutex>& lock) {
  cv.wait(lock, [&] { return s->queue.empty(); });
}

void Driver::wait_device_idle(int device, std::unique_lock<std::mutex>& lock) {
  cv.wait(lock, [&] {
    for (Stream* s : streams)
      if (s->device == device && !s->queue.empty()) return false;
    return true;
  });
}

void Driver::wait_all_idle(std::unique_lock<std::mutex>& lock) {
  cv.wait(lock, [&] {
    for (Stream* s : streams)
      if (!s->queue.empty()) return false;
    return true;
  });
}

double Driver::rate_gbps(int issuer, int src_owner, int dst_owner, bool staged) const {
  if (src_owner == kHost && dst_owner == kHost) return spec(issuer).h2d_gbps;
  if (src_owner == kHost) return spec(dst_owner).h2d_gbps;
  if (dst_owner == kHost) return spec(src_owner).d2h_gbps;
  if (src_owner == dst_owner) return spec(src_owner).local_gbps;
  return staged ? machine.staged_gbps : machine.peer_gbps;
}

void Driver::apply_faults(Op& op, const std::vector<int>& owners) {
  for (size_t i = 0; i < faults.size(); ++i) {
    const Fault& f = faults[i];
    const bool named = f.op.empty() ? (op.name.rfind("memcpy", 0) == 0 || op.name.rfind("kernel:", 0) == 0)
                                    : op.name.rfind(f.op, 0) == 0;
    if (!named) continue;
    if (f.device != kAny && f.device != op.device) continue;
    if (f.touches != kAny && std::find(owners.begin(), owners.end(), f.touches) == owners.end()) continue;
    if (op.bytes < f.min_bytes || (f.kind == Fault::Kind::corrupt && f.offset >= op.bytes)) continue;
    const int seen = fault_seen[i]++;
    if (seen < f.skip || (f.count >= 0 && seen >= f.skip + f.count)) continue;
    switch (f.kind) {
      case Fault::Kind::hang: op.hang = true; break;
      case Fault::Kind::illegal_address: op.fault = true; break;
      case Fault::Kind::corrupt: op.corrupt_offset = f.offset; break;
      case Fault::Kind::refuse: op.refuse = true; break;
    }
  }
}

void Driver::run_stream(Stream* s) {
  std::unique_lock lock(m);
  for (;;) {
    cv.wait(lock, [&] { return !s->queue.empty() || s->destroyed; });
    if (s->queue.empty()) break;  // destroyed and drained
    Op& op = s->queue.front();    // deque: references survive push_back by other threads
    cv.wait(lock, [&] {
      return s->abandoned || std::all_of(op.waits.begin(), op.waits.end(), [](const auto& w) { return w->done; });
    });
    if (s->abandoned) break;
    double start = s->clock;
    for (const auto& w : op.waits) start = std::max(start, w->time);
    if (op.hang) {
      cv.wait(lock, [&] { return s->abandoned; });  // never finishes, as a wedged copy on a GPU
      break;
    }
    OpRecord rec{op.name, op.device, op.staged, false, op.bytes, {}};
    bool ok = sticky == 0;  // after a fault the context runs nothing more
    for (const Access& a : op.accesses) {
      const Allocation* alloc = find(a.ptr, std::max<size_t>(a.bytes, 1));
      Touch t;
      t.owner = alloc ? alloc->owner : kHost;
      t.pinned = alloc != nullptr;
      t.write = a.write;
      t.allocation = alloc ? alloc->base : reinterpret_cast<uintptr_t>(a.ptr);
      if (t.owner == kHost) t.numa_node = numa_of(t.allocation);
      rec.touched.push_back(t);
      std::string why;
      if (op.check_access && !accessible(op.device, a, why)) {
        broke(op.name + " on device " + std::to_string(op.device) + " " + why);
        ok = false;
      }
    }
    if (op.fault) ok = false;
    if (!ok && sticky == 0) sticky = cudaErrorIllegalAddress;
    rec.faulted = !ok;
    if (ok && op.run) {
      auto run = op.run;
      lock.unlock();
      run();
      lock.lock();
      if (s->abandoned) break;  // reset() gave up waiting for it
    }
    if (ok && op.corrupt_offset && op.corrupt_target) static_cast<unsigned char*>(op.corrupt_target)[*op.corrupt_offset] ^= 0x5a;
    s->clock = start + op.seconds;
    op.record->time = s->clock;
    op.record->done = true;
    log.push_back(std::move(rec));
    s->queue.pop_front();
    cv.notify_all();
  }
  streams.erase(s);
  if (auto it = legacy.find(s->device); it != legacy.end() && it->second == s) legacy.erase(it);
  delete s;
  cv.notify_all();
}

}  // namespace rigcheck::fake_cuda::detail

namespace rigcheck::fake_cuda {

using detail::Driver;

void install(const MachineSpec& machine) {
  Driver& d = Driver::get();
  std::unique_lock lock(d.m);
  d.reset(&machine, lock);
}

void uninstall() {
  Driver& d = Driver::get();
  std::unique_lock lock(d.m);
  d.reset(nullptr, lock);
}

void inject(const Fault& fault) {
  Driver& d = Driver::get();
  std::lock_guard lock(d.m);
  d.faults.push_back(fault);
  d.fault_seen.push_back(0);
}

std::vector<OpRecord> op_log() {
  Driver& d = Driver::get();
  std::lock_guard lock(d.m);
  return d.log;
}

void clear_op_log() {
  Driver& d = Driver::get();
  std::lock_guard lock(d.m);
  d.log.clear();
}

std::vector<std::string> violations() {
  Driver& d = Driver::get();
  std::lock_guard lock(d.m);
  return d.broken_rules;
}

void note_host_numa(const void* ptr, size_t bytes, int numa_node) {
  Driver& d = Driver::get();
  std::lock_guard lock(d.m);
  // Memory is reused: a new placement replaces what was noted for any overlapping range.
  const auto base = reinterpret_cast<uintptr_t>(ptr);
  for (size_t i = d.host_numa_ranges.size(); i-- > 0;) {
    const auto [b, n] = d.host_numa_ranges[i];
    if (b < base + bytes && base < b + n) {
      d.host_numa_ranges.erase(d.host_numa_ranges.begin() + static_cast<long>(i));
      d.host_numa_nodes.erase(d.host_numa_nodes.begin() + static_cast<long>(i));
    }
  }
  d.host_numa_ranges.emplace_back(base, bytes);
  d.host_numa_nodes.push_back(numa_node);
}

int enabled_peer_count(int device) {
  Driver& d = Driver::get();
  std::lock_guard lock(d.m);
  return static_cast<int>(std::count_if(d.peers.begin(), d.peers.end(), [&](const auto& p) { return p.first == device; }));
}

size_t live_device_allocations() {
  Driver& d = Driver::get();
  std::lock_guard lock(d.m);
  return static_cast<size_t>(std::count_if(d.allocations.begin(), d.allocations.end(),
                                           [](const auto& a) { return a.second.owner != kHost; }));
}

size_t live_host_allocations() {
  Driver& d = Driver::get();
  std::lock_guard lock(d.m);
  return static_cast<size_t>(std::count_if(d.allocations.begin(), d.allocations.end(),
                                           [](const auto& a) { return a.second.owner == kHost; }));
}

size_t unfinished_operations() {
  Driver& d = Driver::get();
  std::lock_guard lock(d.m);
  size_t n = 0;
  for (const auto* s : d.streams) n += s->queue.size();
  return n;
}

int sticky_error() {
  Driver& d = Driver::get();
  std::lock_guard lock(d.m);
  return d.sticky;
}

}  // namespace rigcheck::fake_cuda
