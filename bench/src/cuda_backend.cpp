// The real backend. Methodology, after nvbandwidth and nvbench: every stream of a group is queued
// behind a blocking spin kernel; stream 0 records the start event and every other stream waits on
// it, so all copies start together and launch overhead is not timed; the host releases the flag,
// waits for the stop events with a timeout, and then verifies every destination against the
// source's pattern. Host-staged copies are not gated (the driver stages them from the enqueueing
// thread, which a gated stream would block), so their timing includes the enqueue.
//
// Rules that keep the numbers true (each has a test on the strict CUDA double):
// - buffers belong to one endpoint: a cell for GPU1 never reuses GPU0's buffers, a host buffer
//   sits on the NUMA node of the GPU it serves;
// - a buffer is filled, cleared and verified by a GPU that may touch it: device memory by its
//   owner, pinned host memory by the GPU of the transfer, on a private stream, synchronised before
//   the timed copies start;
// - peer access is enabled for the group that needs it and disabled when the next group does
//   not (a GPU maps at most 8 peers without NVSwitch);
// - after a hang the GPUs involved are "wedged": nothing waits for them again (no synchronise,
//   no free), groups that need them are not run, and the process can return what it measured.

#include <cuda_runtime_api.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <map>
#include <memory>
#include <set>
#include <thread>

#include "rigcheck/bench/cuda_backend.h"
#include "rigcheck/bench/host_memory.h"
#include "rigcheck/kernels/copy_kernels.h"
#include "rigcheck/kernels/cuda_check.h"
#include "rigcheck/kernels/pattern.h"
#include "rigcheck/kernels/pattern_kernels.h"
#include "rigcheck/topology/cuda_status.h"
#include "rigcheck/topology/nvml.h"
#include "rigcheck/topology/versions.h"

namespace rigcheck::bench {
namespace {

using kernels::check;
using kernels::CudaError;

constexpr unsigned long long kSpinTimeoutNs = 10ull * 1000 * 1000 * 1000;  // 10 s, as nvbandwidth
// Copies queued behind one spin kernel at most: the driver blocks the enqueueing thread when a
// stream's queue is full, and a blocked thread cannot release the spin kernel. Larger groups run
// ungated.
constexpr int kMaxGatedCopiesPerStream = 64;
constexpr int kFlagSlots = 64;  // one release/timeout pair per group, reused round-robin

// Pinned host memory: placed by HostMemory and registered, or cudaHostAlloc'ed when it cannot be
// placed. Never freed while the backend is wedged (freeing waits for every GPU).
class HostBuffer {
 public:
  HostBuffer(HostMemory& placement, size_t bytes, int numa_node, const bool& wedged)
      : placement_(placement), bytes_(bytes), wedged_(wedged) {
    HostPages pages = placement.allocate(bytes, numa_node);
    if (pages.ptr) {
      if (cudaHostRegister(pages.ptr, bytes, cudaHostRegisterPortable | cudaHostRegisterMapped) == cudaSuccess) {
        ptr_ = pages.ptr;
        registered_ = true;
        bound_node_ = pages.numa_node;
        map_for_devices();
        return;
      }
      cudaGetLastError();  // a registration failure is not sticky: fall back below
      placement.release(pages.ptr, bytes);
    }
    check(cudaHostAlloc(&ptr_, bytes, cudaHostAllocPortable | cudaHostAllocMapped), "cudaHostAlloc");
    map_for_devices();
  }
  ~HostBuffer() {
    if (wedged_ || !ptr_) return;
    if (registered_) {
      cudaHostUnregister(ptr_);
      placement_.release(ptr_, bytes_);
    } else {
      cudaFreeHost(ptr_);
    }
  }
  HostBuffer(const HostBuffer&) = delete;
  HostBuffer& operator=(const HostBuffer&) = delete;
  void* get() const { return ptr_; }
  // The address kernels use. Equal to get() where the GPU can use host pointers of registered
  // memory (cudaDevAttrCanUseHostPointerForRegisteredMem), different where it cannot.
  void* device_view() const { return device_view_; }
  int bound_node() const { return bound_node_; }

 private:
  void map_for_devices() { check(cudaHostGetDevicePointer(&device_view_, ptr_, 0), "cudaHostGetDevicePointer"); }

  HostMemory& placement_;
  void* ptr_ = nullptr;
  void* device_view_ = nullptr;
  size_t bytes_;
  const bool& wedged_;
  bool registered_ = false;
  int bound_node_ = -1;
};

class DeviceBuffer {
 public:
  DeviceBuffer(int device, size_t bytes, const bool& wedged) : device_(device), wedged_(wedged) {
    check(cudaSetDevice(device), "cudaSetDevice");
    check(cudaMalloc(&ptr_, bytes), "cudaMalloc");
  }
  ~DeviceBuffer() {
    if (wedged_) return;
    cudaSetDevice(device_);
    cudaFree(ptr_);
  }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  void* get() const { return ptr_; }

 private:
  void* ptr_ = nullptr;
  int device_;
  const bool& wedged_;
};

// A buffer at an endpoint: host (NUMA-bound) or device memory.
struct Buffer {
  std::unique_ptr<HostBuffer> host;
  std::unique_ptr<DeviceBuffer> device;
  int owner = -1;  // CUDA ordinal of the device that owns it, -1 for host memory
  size_t bytes = 0;
  uint32_t filled_with = 0;  // seed of the pattern it holds as a source (0: none)
  void* get() const { return host ? host->get() : device->get(); }  // for the CPU and copy engines
  void* kernel_view() const { return host ? host->device_view() : device->get(); }  // for kernels
};

struct StreamEvents {
  int device = 0;
  cudaStream_t stream = nullptr;
  cudaEvent_t start = nullptr, stop = nullptr;
  ~StreamEvents() {
    cudaSetDevice(device);
    if (start) cudaEventDestroy(start);
    if (stop) cudaEventDestroy(stop);
    if (stream) cudaStreamDestroy(stream);
  }
};

// The host-mapped flags the spin kernels read and write, one pair per group in a ring, so a spin
// kernel of an earlier group can never set the timeout flag of a later one.
struct Flags {
  int* release = nullptr;    // host views
  int* timed_out = nullptr;
  int* release_dev = nullptr;  // what the spin kernels read and write
  int* timed_out_dev = nullptr;
  int next = 0;
  Flags() {
    check(cudaHostAlloc(reinterpret_cast<void**>(&release), kFlagSlots * sizeof(int), cudaHostAllocPortable | cudaHostAllocMapped),
          "cudaHostAlloc(release flags)");
    check(cudaHostAlloc(reinterpret_cast<void**>(&timed_out), kFlagSlots * sizeof(int),
                        cudaHostAllocPortable | cudaHostAllocMapped),
          "cudaHostAlloc(timeout flags)");
    check(cudaHostGetDevicePointer(reinterpret_cast<void**>(&release_dev), release, 0), "cudaHostGetDevicePointer");
    check(cudaHostGetDevicePointer(reinterpret_cast<void**>(&timed_out_dev), timed_out, 0), "cudaHostGetDevicePointer");
  }
  int take() {
    const int slot = next;
    next = (next + 1) % kFlagSlots;
    __atomic_store_n(&release[slot], 0, __ATOMIC_SEQ_CST);
    __atomic_store_n(&timed_out[slot], 0, __ATOMIC_SEQ_CST);
    return slot;
  }
};

// Releases the spin kernels of a group on every way out, so an exception while queueing cannot
// leave them spinning into the next group.
struct Release {
  int* flag;
  ~Release() { __atomic_store_n(flag, 1, __ATOMIC_SEQ_CST); }
};

class CudaBackend : public Backend {
 public:
  CudaBackend(const topology::Topology& t, std::unique_ptr<HostMemory> placement)
      : t_(t), placement_(std::move(placement)) {
    int runtime = 0, driver = 0;
    cudaRuntimeGetVersion(&runtime);
    cudaDriverGetVersion(&driver);
    description_ = "CUDA runtime " + topology::cuda_version_text(runtime) + ", driver CUDA " + topology::cuda_version_text(driver);
    for (const auto& g : t.gpus) {
      ordinal_.push_back(g.cuda_index);
      sm_count_.push_back(0);
      unusable_.emplace_back();
      if (g.cuda_index < 0) {
        unusable_.back() = "GPU" + std::to_string(g.index) + " is not visible to CUDA (hidden by CUDA_VISIBLE_DEVICES, or no driver for it)";
        continue;
      }
      check(cudaDeviceGetAttribute(&sm_count_.back(), cudaDevAttrMultiProcessorCount, g.cuda_index), "cudaDeviceGetAttribute");
      check(cudaSetDevice(g.cuda_index), "cudaSetDevice");
      // One GPU this build has no kernels for (Pascal on CUDA 13) must not stop the others.
      if (cudaError_t e = kernels::preload_kernels(); e == cudaErrorNoKernelImageForDevice) {
        cudaGetLastError();
        unusable_.back() = "GPU" + std::to_string(g.index) + " (compute capability " + g.compute_capability +
                           ") has no kernel image in this build";
      } else {
        check(e, "loading kernels");
      }
    }
    if (std::all_of(unusable_.begin(), unusable_.end(), [](const std::string& s) { return !s.empty(); }))
      throw CudaUnavailable(unusable_.empty() ? "no GPU" : unusable_.front());
    std::string why_not;
    nvml_ = topology::Nvml::open(why_not);
    if (nvml_) {
      for (topology::Nvml::Device d : nvml_->devices()) {
        auto address = nvml_->address(d);
        for (const auto& g : t.gpus)
          if (address && g.address == *address) nvml_device_[g.index] = d;
      }
      description_ += ", link/clock/throttle sampled with NVML";
    } else {
      description_ += ", no NVML (" + why_not + "): link state under load not sampled";
    }
    description_ += ", " + placement_->description();
  }
  ~CudaBackend() override {
    buffers_.clear();
    if (!wedged_) {
      release_peers({});
      for (auto& [device, u] : utility_) {
        cudaSetDevice(device);
        cudaFree(u.first_bad);
        cudaStreamDestroy(u.stream);
      }
      if (flags_) {
        cudaFreeHost(flags_->release);
        cudaFreeHost(flags_->timed_out);
      }
    }
  }

  bool simulated() const override { return false; }
  std::string description() const override { return description_; }
  int device_count() const override { return static_cast<int>(ordinal_.size()); }
  bool wedged() const override { return wedged_; }

  PeerPath peer_path(int accessor, int owner, Engine engine) const override {
    int can = 0;
    if (ordinal_[accessor] >= 0 && ordinal_[owner] >= 0 &&
        cudaDeviceCanAccessPeer(&can, ordinal_[accessor], ordinal_[owner]) != cudaSuccess) {
      cudaGetLastError();
      can = 0;
    }
    if (can) return PeerPath::direct;
    return engine == Engine::ce ? PeerPath::host_staged : PeerPath::unsupported;
  }

  CopyOutcome run_copies(const std::vector<Transfer>& transfers, int repetitions, double timeout_s) override {
    if (std::string why = cannot_use(gpus_of(transfers)); !why.empty()) return CopyOutcome::cannot_run(why);
    if (std::string why = busy(gpus_of(transfers)); !why.empty()) return CopyOutcome::skipped(why);
    try {
      return run_copies_checked(transfers, repetitions, timeout_s);
    } catch (const CudaError& e) {
      note_if_sticky(e);
      return CopyOutcome::failure(e.what());
    }
  }

  LatencyOutcome run_latency(int gpu, const Endpoint& memory, double timeout_s) override {
    std::vector<int> gpus{gpu};
    if (!memory.is_host()) gpus.push_back(memory.gpu);
    LatencyOutcome out;
    if (out.unsupported = cannot_use(gpus); !out.unsupported.empty()) return out;
    if (out.not_run = busy(gpus); !out.not_run.empty()) return out;
    try {
      return run_latency_checked(gpu, memory, timeout_s);
    } catch (const CudaError& e) {
      note_if_sticky(e);
      out.error = e.what();
      return out;
    }
  }

 private:
  static std::vector<int> gpus_of(const std::vector<Transfer>& transfers) {
    std::vector<int> out;
    for (const Transfer& t : transfers)
      for (const Endpoint& e : {t.src, t.dst})
        if (!e.is_host()) out.push_back(e.gpu);
    return out;
  }

  std::string cannot_use(const std::vector<int>& gpus) const {
    for (int g : gpus)
      if (!unusable_.at(g).empty()) return unusable_[g];
    return {};
  }

  // A sticky error (an illegal address, a kernel fault) survives cudaGetLastError: every later call
  // of this process fails with it, so later groups are not run here (a fresh process can).
  void note_if_sticky(const CudaError& e) {
    const cudaError_t first = cudaGetLastError();
    if (first != cudaSuccess && cudaGetLastError() == first) {
      broken_ = e.what();
      wedged_ = true;  // nothing can be freed through a broken context either
    }
  }

  std::string busy(const std::vector<int>& gpus) const {
    if (!broken_.empty()) return "not measured: CUDA is unusable in this process after an earlier error (" + broken_ + ")";
    for (int g : gpus)
      if (wedged_gpus_.count(g))
        return "not measured: GPU" + std::to_string(g) + " is still busy with a copy that hung earlier in this process";
    return {};
  }

  // A wedged GPU is never waited for again; neither is any host buffer (unregistering waits for
  // every GPU), so from now on nothing is freed.
  void wedge(const std::vector<int>& gpus) {
    wedged_ = true;
    wedged_gpus_.insert(gpus.begin(), gpus.end());
  }

  int device_of(const Endpoint& e) const { return e.is_host() ? -1 : ordinal_.at(e.gpu); }

  // The NUMA node of a host endpoint: its own, or that of the GPU at the other end.
  int numa_for(const Endpoint& host, const Endpoint& other) const {
    if (host.numa_node >= 0) return host.numa_node;
    return other.is_host() ? -1 : t_.gpus.at(other.gpu).numa_node;
  }

  // The buffer of one role of one transfer slot at one endpoint. A slot's buffer is replaced when
  // its endpoint or size changes, so memory stays bounded by slots x roles.
  Buffer& buffer(const std::string& role, size_t slot, const Endpoint& at, const Endpoint& other, size_t bytes) {
    const int numa = at.is_host() ? numa_for(at, other) : -1;
    const std::string key = role + "/" + std::to_string(slot);
    const std::string where = at.is_host() ? "host:" + std::to_string(numa) : "gpu:" + std::to_string(at.gpu);
    auto it = buffers_.find(key);
    if (it != buffers_.end() && it->second.first == where && it->second.second.bytes == bytes) return it->second.second;
    if (it != buffers_.end()) buffers_.erase(it);  // frees the old one first: memory stays bounded
    Buffer b;
    b.bytes = bytes;
    if (at.is_host()) {
      b.host = std::make_unique<HostBuffer>(*placement_, bytes, numa, wedged_);
    } else {
      b.owner = device_of(at);
      b.device = std::make_unique<DeviceBuffer>(b.owner, bytes, wedged_);
    }
    auto& slot_entry = buffers_[key];
    slot_entry = {where, std::move(b)};
    return slot_entry.second;
  }

  // A private stream and a result word on a device, for filling, clearing and verifying.
  struct Utility {
    cudaStream_t stream = nullptr;
    unsigned long long* first_bad = nullptr;
  };
  Utility& utility(int device) {
    auto it = utility_.find(device);
    if (it != utility_.end()) return it->second;
    Utility u;
    check(cudaSetDevice(device), "cudaSetDevice");
    check(cudaStreamCreateWithFlags(&u.stream, cudaStreamNonBlocking), "cudaStreamCreate");
    check(cudaMalloc(reinterpret_cast<void**>(&u.first_bad), sizeof *u.first_bad), "cudaMalloc");
    return utility_[device] = u;
  }

  // The device that fills, clears and verifies a buffer: its owner, or for pinned host memory the
  // GPU at the other end of the transfer (every GPU may touch pinned, mapped host memory).
  static int worker_for(const Buffer& b, int other_device) { return b.owner >= 0 ? b.owner : other_device; }

  void fill(Buffer& b, uint32_t seed, int device) {
    if (b.filled_with == seed) return;  // copies never write their source: it still holds the pattern
    Utility& u = utility(device);
    check(cudaSetDevice(device), "cudaSetDevice");
    check(kernels::launch_fill_pattern(static_cast<uint32_t*>(b.kernel_view()), b.bytes / 4, seed, u.stream), "fill kernel");
    check(cudaStreamSynchronize(u.stream), "fill");
    b.filled_with = seed;
  }

  // Zeroes a destination before each sample, so a copy that did not happen cannot pass
  // verification with the previous sample's data.
  void clear(Buffer& b, int device) {
    b.filled_with = 0;
    if (b.host) {
      std::memset(b.get(), 0, b.bytes);
      return;
    }
    Utility& u = utility(device);
    check(cudaSetDevice(device), "cudaSetDevice");
    check(cudaMemsetAsync(b.get(), 0, b.bytes, u.stream), "cudaMemsetAsync");
    check(cudaStreamSynchronize(u.stream), "clear");
  }

  std::optional<uint64_t> verify(const Buffer& b, uint32_t seed, int device) {
    Utility& u = utility(device);
    check(cudaSetDevice(device), "cudaSetDevice");
    unsigned long long result = kernels::kNoMismatch;
    check(cudaMemcpyAsync(u.first_bad, &result, sizeof result, cudaMemcpyHostToDevice, u.stream), "cudaMemcpyAsync");
    check(kernels::launch_verify_pattern(static_cast<const uint32_t*>(b.kernel_view()), b.bytes / 4, seed, u.first_bad, u.stream),
          "verify kernel");
    check(cudaMemcpyAsync(&result, u.first_bad, sizeof result, cudaMemcpyDeviceToHost, u.stream), "cudaMemcpyAsync");
    check(cudaStreamSynchronize(u.stream), "verify");
    if (result == kernels::kNoMismatch) return std::nullopt;
    return result * 4;  // word index to byte offset
  }

  // Peer mappings: exactly those the group needs stay enabled.
  void release_peers(const std::set<std::pair<int, int>>& keep) {
    for (auto it = peers_enabled_.begin(); it != peers_enabled_.end();) {
      if (keep.count(*it)) {
        ++it;
        continue;
      }
      check(cudaSetDevice(it->first), "cudaSetDevice");
      check(cudaDeviceDisablePeerAccess(it->second), "cudaDeviceDisablePeerAccess");
      it = peers_enabled_.erase(it);
    }
  }

  void use_peers(const std::set<std::pair<int, int>>& needed) {
    release_peers(needed);
    for (const auto& [from, to] : needed) {
      if (peers_enabled_.count({from, to})) continue;
      check(cudaSetDevice(from), "cudaSetDevice");
      cudaError_t e = cudaDeviceEnablePeerAccess(to, 0);
      if (e == cudaErrorPeerAccessAlreadyEnabled) cudaGetLastError();
      else check(e, "cudaDeviceEnablePeerAccess");
      peers_enabled_.insert({from, to});
    }
  }

  // The device that issues a transfer: the GPU end for host copies, else by initiator.
  int issuing_device(const Transfer& t) const { return ordinal_.at(issuing_gpu(t)); }
  int issuing_gpu(const Transfer& t) const {
    if (t.src.is_host()) return t.dst.gpu;
    if (t.dst.is_host()) return t.src.gpu;
    return t.initiator == Initiator::src ? t.src.gpu : t.dst.gpu;
  }

  bool staged(const Transfer& t) const {
    if (t.src.is_host() || t.dst.is_host() || t.src.gpu == t.dst.gpu) return false;
    const int issuer = issuing_gpu(t), other = issuer == t.src.gpu ? t.dst.gpu : t.src.gpu;
    return peer_path(issuer, other, t.engine) != PeerPath::direct;
  }

  struct Prepared {
    Buffer* src = nullptr;
    Buffer* dst = nullptr;
    Buffer* back_src = nullptr;  // split-warp: the other direction
    Buffer* back_dst = nullptr;
    int device = 0;              // issuing device
    size_t bytes = 0;
    uint32_t seed = 0;
    int host_node = -1;  // NUMA node the host buffer is bound to, when it is bound
  };

  Prepared prepare(const Transfer& t, size_t index) {
    Prepared p;
    p.bytes = t.bytes & ~size_t{3};  // whole 32-bit words, so the pattern covers every byte
    p.device = issuing_device(t);
    p.seed = 0x9e370000u + static_cast<uint32_t>(index);
    p.src = &buffer("src", index, t.src, t.dst, p.bytes);
    p.dst = &buffer("dst", index, t.dst, t.src, p.bytes);
    const int src_worker = worker_for(*p.src, device_of(t.dst)), dst_worker = worker_for(*p.dst, device_of(t.src));
    fill(*p.src, p.seed, src_worker);
    clear(*p.dst, dst_worker);
    for (Buffer* b : {p.src, p.dst})
      if (b->host) p.host_node = b->host->bound_node();
    if (t.split_bidirectional) {
      p.back_src = &buffer("back-src", index, t.dst, t.src, p.bytes);
      p.back_dst = &buffer("back-dst", index, t.src, t.dst, p.bytes);
      fill(*p.back_src, p.seed ^ 0xffffu, worker_for(*p.back_src, device_of(t.src)));
      clear(*p.back_dst, worker_for(*p.back_dst, device_of(t.dst)));
    }
    return p;
  }

  void enqueue_copy(const Transfer& t, const Prepared& p, int repetitions, cudaStream_t s) {
    if (t.engine == Engine::sm) {
      const int sms = sm_count_.at(issuing_gpu(t));
      if (t.split_bidirectional)
        check(kernels::launch_split_warp_copy(p.dst->kernel_view(), p.src->kernel_view(), p.back_dst->kernel_view(),
                                              p.back_src->kernel_view(), p.bytes,
                                              repetitions, sms, s),
              "split-warp copy kernel");
      else
        check(kernels::launch_sm_copy(p.dst->kernel_view(), p.src->kernel_view(), p.bytes, repetitions, sms, s), "SM copy kernel");
      return;
    }
    for (int r = 0; r < repetitions; ++r) {
      if (!t.src.is_host() && !t.dst.is_host() && device_of(t.src) != device_of(t.dst))
        // Without peer access the driver stages this through host memory: the host-staged path.
        check(cudaMemcpyPeerAsync(p.dst->get(), device_of(t.dst), p.src->get(), device_of(t.src), p.bytes, s),
              "cudaMemcpyPeerAsync");
      else
        check(cudaMemcpyAsync(p.dst->get(), p.src->get(), p.bytes, cudaMemcpyDefault, s), "cudaMemcpyAsync");
    }
  }

  CopyOutcome run_copies_checked(const std::vector<Transfer>& transfers, int repetitions, double timeout_s) {
    if (!flags_) flags_ = std::make_unique<Flags>();
    std::set<std::pair<int, int>> needed;
    bool any_staged = false;
    for (const Transfer& t : transfers) {
      if (staged(t)) {
        any_staged = true;
      } else if (!t.src.is_host() && !t.dst.is_host() && t.src.gpu != t.dst.gpu) {
        const int issuer = issuing_device(t);
        needed.insert({issuer, issuer == device_of(t.src) ? device_of(t.dst) : device_of(t.src)});
      }
    }
    use_peers(needed);
    std::vector<Prepared> prepared;
    for (size_t i = 0; i < transfers.size(); ++i) prepared.push_back(prepare(transfers[i], i));

    std::vector<std::unique_ptr<StreamEvents>> streams;
    for (const Prepared& p : prepared) {
      auto se = std::make_unique<StreamEvents>();
      se->device = p.device;
      check(cudaSetDevice(p.device), "cudaSetDevice");
      check(cudaStreamCreateWithFlags(&se->stream, cudaStreamNonBlocking), "cudaStreamCreate");
      check(cudaEventCreate(&se->start), "cudaEventCreate");
      check(cudaEventCreate(&se->stop), "cudaEventCreate");
      streams.push_back(std::move(se));
    }
    const bool gated = !any_staged && repetitions <= kMaxGatedCopiesPerStream;
    const int slot = flags_->take();
    Release release{&flags_->release[slot]};
    if (gated)
      for (const auto& se : streams) {
        check(cudaSetDevice(se->device), "cudaSetDevice");
        check(kernels::launch_spin_kernel(&flags_->release_dev[slot], &flags_->timed_out_dev[slot], kSpinTimeoutNs, se->stream),
              "spin kernel");
      }
    // Start-event fan-out: stream 0 records, every other stream waits on it and then records its
    // own start (elapsed time needs two events of the same device).
    check(cudaSetDevice(streams[0]->device), "cudaSetDevice");
    check(cudaEventRecord(streams[0]->start, streams[0]->stream), "cudaEventRecord");
    for (size_t i = 1; i < streams.size(); ++i) {
      check(cudaSetDevice(streams[i]->device), "cudaSetDevice");
      check(cudaStreamWaitEvent(streams[i]->stream, streams[0]->start, 0), "cudaStreamWaitEvent");
      check(cudaEventRecord(streams[i]->start, streams[i]->stream), "cudaEventRecord");
    }
    for (size_t i = 0; i < streams.size(); ++i) {
      check(cudaSetDevice(streams[i]->device), "cudaSetDevice");
      enqueue_copy(transfers[i], prepared[i], repetitions, streams[i]->stream);
      check(cudaEventRecord(streams[i]->stop, streams[i]->stream), "cudaEventRecord");
    }
    std::unique_ptr<LinkMonitor> monitor = start_monitor(transfers);
    std::unique_ptr<UplinkMonitor> uplinks = start_uplink_monitor(transfers);
    __atomic_store_n(&flags_->release[slot], 1, __ATOMIC_SEQ_CST);

    CopyOutcome out;
    // The node of the measured transfer's host buffer (interference copies may use other nodes).
    for (size_t i = 0; i < prepared.size() && out.host_numa_node < 0; ++i)
      if (transfers[i].measured) out.host_numa_node = prepared[i].host_node;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
    for (auto& se : streams) {
      for (;;) {
        cudaError_t q = cudaEventQuery(se->stop);
        if (q == cudaSuccess) break;
        if (q != cudaErrorNotReady) check(q, "waiting for the copies");
        if (std::chrono::steady_clock::now() > deadline) {
          wedge(gpus_of(transfers));
          if (monitor) monitor->stop();
          if (uplinks) uplinks->stop();
          return CopyOutcome::hung();  // the GPU may still finish later; nothing waits for it now
        }
        std::this_thread::sleep_for(std::chrono::microseconds(50));
      }
    }
    if (monitor) out.observations = monitor->stop();
    if (uplinks) out.uplinks = uplinks->stop();
    if (__atomic_load_n(&flags_->timed_out[slot], __ATOMIC_SEQ_CST)) {
      out.error = "the blocking kernel timed out before the copies were queued; the timing would include launch "
                  "overhead";
      return out;
    }
    for (size_t i = 0; i < streams.size(); ++i) {
      float ms = 0;
      check(cudaEventElapsedTime(&ms, streams[i]->start, streams[i]->stop), "cudaEventElapsedTime");
      TransferTiming timing;
      timing.seconds = ms * 1e-3;
      const Transfer& t = transfers[i];
      const Prepared& p = prepared[i];
      if (t.measured) {
        timing.first_bad_offset = verify(*p.dst, p.seed, worker_for(*p.dst, device_of(t.src)));
        if (!timing.first_bad_offset && t.split_bidirectional)
          timing.first_bad_offset = verify(*p.back_dst, p.seed ^ 0xffffu, worker_for(*p.back_dst, device_of(t.dst)));
      }
      out.timings.push_back(timing);
    }
    return out;
  }

  LatencyOutcome run_latency_checked(int gpu, const Endpoint& memory, double timeout_s) {
    // A ring of pointers 128 bytes apart in a 2 MiB buffer (nvbandwidth's layout): every load
    // depends on the previous one, so the time per step is the access latency.
    constexpr size_t kBytes = 2u << 20, kStride = 128, kNodes = kBytes / kStride;
    constexpr uint64_t kSteps = 200000;
    const int device = ordinal_.at(gpu);
    LatencyOutcome out;
    if (!memory.is_host()) {
      if (peer_path(gpu, memory.gpu, Engine::sm) != PeerPath::direct) {
        out.unsupported = "no peer access from GPU" + std::to_string(gpu) + " to GPU" + std::to_string(memory.gpu);
        return out;
      }
      use_peers({{device, device_of(memory)}});
    } else {
      use_peers({});
    }
    Buffer& ring_buffer = buffer("latency", 0, memory, Endpoint::device(gpu), kBytes);
    ring_buffer.filled_with = 0;
    // The ring holds the addresses the GPU follows (the device view of host memory).
    char* base = static_cast<char*>(ring_buffer.kernel_view());
    std::vector<unsigned long long> ring(kBytes / sizeof(unsigned long long), 0);
    for (size_t i = 0; i < kNodes; ++i)
      ring[i * kStride / sizeof(unsigned long long)] = reinterpret_cast<unsigned long long>(base + ((i + 1) % kNodes) * kStride);
    check(cudaSetDevice(device), "cudaSetDevice");
    Utility& u = utility(device);
    check(cudaMemcpyAsync(base, ring.data(), kBytes, cudaMemcpyDefault, u.stream), "cudaMemcpyAsync(pointer ring)");
    check(cudaStreamSynchronize(u.stream), "pointer ring");
    StreamEvents se;
    se.device = device;
    check(cudaStreamCreateWithFlags(&se.stream, cudaStreamNonBlocking), "cudaStreamCreate");
    check(cudaEventCreate(&se.start), "cudaEventCreate");
    check(cudaEventCreate(&se.stop), "cudaEventCreate");
    check(kernels::launch_pointer_chase(base, 1000, u.first_bad, se.stream), "pointer chase (warm-up)");
    check(cudaEventRecord(se.start, se.stream), "cudaEventRecord");
    check(kernels::launch_pointer_chase(base, kSteps, u.first_bad, se.stream), "pointer chase");
    check(cudaEventRecord(se.stop, se.stream), "cudaEventRecord");
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
    for (;;) {
      cudaError_t q = cudaEventQuery(se.stop);
      if (q == cudaSuccess) break;
      if (q != cudaErrorNotReady) check(q, "pointer chase");
      if (std::chrono::steady_clock::now() > deadline) {
        std::vector<int> gpus{gpu};
        if (!memory.is_host()) gpus.push_back(memory.gpu);
        wedge(gpus);
        out.hang = true;
        return out;
      }
      std::this_thread::sleep_for(std::chrono::microseconds(50));
    }
    float ms = 0;
    check(cudaEventElapsedTime(&ms, se.start, se.stop), "cudaEventElapsedTime");
    out.ns = ms * 1e6 / kSteps;
    return out;
  }

  // Starts NVML sampling of every GPU the group touches (nullptr without NVML).
  std::unique_ptr<LinkMonitor> start_monitor(const std::vector<Transfer>& transfers) {
    if (!nvml_) return nullptr;
    std::vector<LinkMonitor::Target> targets;
    std::set<int> seen;
    for (int g : gpus_of(transfers)) {
      if (!seen.insert(g).second) continue;
      if (auto it = nvml_device_.find(g); it != nvml_device_.end()) targets.push_back({g, it->second});
    }
    if (targets.empty()) return nullptr;
    auto m = std::make_unique<LinkMonitor>(*nvml_, std::move(targets));
    m->start();
    return m;
  }

  // Starts sysfs sampling of the switch uplinks above the group's GPUs (nullptr when none).
  std::unique_ptr<UplinkMonitor> start_uplink_monitor(const std::vector<Transfer>& transfers) {
    std::vector<int> nodes = switch_uplinks_crossed(t_, transfers);
    if (nodes.empty()) return nullptr;
    auto m = std::make_unique<UplinkMonitor>(live_fs_, t_, std::move(nodes));
    m->start();
    return m;
  }

  const topology::Topology& t_;
  const topology::RootedFs live_fs_;  // the running machine's /sys
  std::unique_ptr<HostMemory> placement_;
  std::unique_ptr<topology::Nvml> nvml_;
  std::map<int, topology::Nvml::Device> nvml_device_;
  std::string description_;
  std::vector<int> ordinal_;
  std::vector<int> sm_count_;
  std::vector<std::string> unusable_;  // per GPU: why it cannot be measured ("" when it can)
  bool wedged_ = false;
  std::set<int> wedged_gpus_;
  std::string broken_;  // the sticky error that ended CUDA in this process ("" while it works)
  std::map<std::string, std::pair<std::string, Buffer>> buffers_;  // slot key -> (endpoint, buffer)
  std::map<int, Utility> utility_;
  std::set<std::pair<int, int>> peers_enabled_;
  std::unique_ptr<Flags> flags_;
};

}  // namespace

std::unique_ptr<Backend> make_cuda_backend(const topology::Topology& t, std::unique_ptr<HostMemory> placement) {
  int count = 0;
  if (cudaError_t e = cudaGetDeviceCount(&count); e != cudaSuccess) {
    cudaGetLastError();
    int driver = 0;
    cudaDriverGetVersion(&driver);
    throw CudaUnavailable(topology::explain_cuda_device_count_error(static_cast<int>(e), driver, cudaGetErrorName(e)));
  }
  int joined = 0;
  for (const auto& g : t.gpus) joined += g.cuda_index >= 0;
  if (count == 0 || joined == 0)
    throw CudaUnavailable(count == 0 ? "CUDA reports no GPU" : "no CUDA device could be joined to the PCI topology");
  if (!placement) placement = make_numa_host_memory();
  try {
    return std::make_unique<CudaBackend>(t, std::move(placement));
  } catch (const CudaError& e) {
    throw CudaUnavailable(std::string("CUDA could not start: ") + e.what());
  }
}

}  // namespace rigcheck::bench
