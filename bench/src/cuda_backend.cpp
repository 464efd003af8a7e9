// The real backend. Methodology (DESIGN.md §5, after nvbandwidth and nvbench): every stream of a
// group is queued behind a blocking spin kernel; stream 0 records the start event and every other
// stream waits on it, so all copies start together and launch overhead is not timed; the host
// releases the flag, waits for the stop events with a timeout, and then verifies every
// destination against the source's pattern.

#include <cuda_runtime_api.h>
#include <hwloc.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <map>
#include <memory>
#include <set>
#include <thread>

#include "rigcheck/bench/cuda_backend.h"
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

// Pinned host memory bound to one NUMA node: allocated with hwloc's membind (first touch there)
// and registered with CUDA; falls back to cudaHostAlloc where binding is not possible.
class HostBuffer {
 public:
  HostBuffer(hwloc_topology_t topo, size_t bytes, int numa_node) : bytes_(bytes) {
    if (topo && numa_node >= 0) {
      hwloc_bitmap_t set = hwloc_bitmap_alloc();
      hwloc_bitmap_only(set, static_cast<unsigned>(numa_node));
      ptr_ = hwloc_alloc_membind(topo, bytes, set, HWLOC_MEMBIND_BIND, HWLOC_MEMBIND_BYNODESET);
      hwloc_bitmap_free(set);
      if (ptr_) {
        std::memset(ptr_, 0, bytes);  // touch every page on the bound node
        if (cudaHostRegister(ptr_, bytes, cudaHostRegisterPortable | cudaHostRegisterMapped) == cudaSuccess) {
          topo_ = topo;
          bound_node_ = numa_node;
          map_for_devices();
          return;
        }
        cudaGetLastError();
        hwloc_free(topo, ptr_, bytes);
        ptr_ = nullptr;
      }
    }
    check(cudaHostAlloc(&ptr_, bytes, cudaHostAllocPortable | cudaHostAllocMapped), "cudaHostAlloc");
    map_for_devices();
  }
  ~HostBuffer() {
    if (topo_) {
      cudaHostUnregister(ptr_);
      hwloc_free(topo_, ptr_, bytes_);
    } else if (ptr_) {
      cudaFreeHost(ptr_);
    }
  }
  HostBuffer(const HostBuffer&) = delete;
  HostBuffer& operator=(const HostBuffer&) = delete;
  void* get() const { return ptr_; }
  // The address GPUs use; equal to get() where the GPU can use host pointers of registered
  // memory directly, different on systems where it cannot.
  void* device_view() const { return dev_ptr_; }
  int bound_node() const { return bound_node_; }

 private:
  void map_for_devices() { check(cudaHostGetDevicePointer(&dev_ptr_, ptr_, 0), "cudaHostGetDevicePointer"); }

  void* ptr_ = nullptr;
  void* dev_ptr_ = nullptr;
  size_t bytes_;
  hwloc_topology_t topo_ = nullptr;
  int bound_node_ = -1;
};

class DeviceBuffer {
 public:
  DeviceBuffer(int device, size_t bytes) : device_(device) {
    check(cudaSetDevice(device), "cudaSetDevice");
    check(cudaMalloc(&ptr_, bytes), "cudaMalloc");
  }
  ~DeviceBuffer() {
    cudaSetDevice(device_);
    cudaFree(ptr_);
  }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  void* get() const { return ptr_; }

 private:
  void* ptr_ = nullptr;
  int device_;
};

// A buffer at an endpoint: host (NUMA-bound) or device memory.
struct Buffer {
  std::unique_ptr<HostBuffer> host;
  std::unique_ptr<DeviceBuffer> device;
  void* device_view() const { return host ? host->device_view() : device->get(); }  // for kernels and copies
  void* cpu_view() const { return host ? host->get() : nullptr; }                   // host buffers only
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

// The host-mapped flags the spin kernels read and write.
struct Flags {
  int* release = nullptr;    // host view
  int* timed_out = nullptr;  // host view
  Flags() {
    check(cudaHostAlloc(reinterpret_cast<void**>(&release), sizeof(int), cudaHostAllocPortable | cudaHostAllocMapped),
          "cudaHostAlloc(release flag)");
    check(cudaHostAlloc(reinterpret_cast<void**>(&timed_out), sizeof(int), cudaHostAllocPortable | cudaHostAllocMapped),
          "cudaHostAlloc(timeout flag)");
  }
  ~Flags() {
    cudaFreeHost(release);
    cudaFreeHost(timed_out);
  }
};

constexpr unsigned long long kSpinTimeoutNs = 10ull * 1000 * 1000 * 1000;  // 10 s, as nvbandwidth

class CudaBackend : public Backend {
 public:
  explicit CudaBackend(const topology::Topology& t) : t_(t) {
    int runtime = 0, driver = 0;
    cudaRuntimeGetVersion(&runtime);
    cudaDriverGetVersion(&driver);
    description_ = "CUDA runtime " + topology::cuda_version_text(runtime) + ", driver CUDA " + topology::cuda_version_text(driver);
    for (const auto& g : t.gpus) {
      ordinal_.push_back(g.cuda_index);
      int sms = 0;
      if (g.cuda_index >= 0) cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, g.cuda_index);
      sm_count_.push_back(sms);
    }
    for (int d : ordinal_) {
      if (d < 0) continue;
      check(cudaSetDevice(d), "cudaSetDevice");
      check(kernels::preload_kernels(), "loading kernels");
    }
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
    if (hwloc_topology_init(&hwloc_) == 0 && hwloc_topology_load(hwloc_) == 0) {
      description_ += ", pinned host memory bound to each GPU's NUMA node";
    } else if (hwloc_) {
      hwloc_topology_destroy(hwloc_);
      hwloc_ = nullptr;
    }
  }
  ~CudaBackend() override {
    buffers_.clear();
    flags_.reset();
    if (hwloc_) hwloc_topology_destroy(hwloc_);
  }

  bool simulated() const override { return false; }
  std::string description() const override { return description_; }
  int device_count() const override { return static_cast<int>(ordinal_.size()); }

  PeerPath peer_path(int a, int b, Engine engine) const override {
    int can = 0;
    if (ordinal_[a] >= 0 && ordinal_[b] >= 0 && cudaDeviceCanAccessPeer(&can, ordinal_[a], ordinal_[b]) != cudaSuccess) {
      cudaGetLastError();
      can = 0;
    }
    if (can) return PeerPath::direct;
    return engine == Engine::ce ? PeerPath::host_staged : PeerPath::unsupported;
  }

  CopyOutcome run_copies(const std::vector<Transfer>& transfers, int repetitions, double timeout_s) override {
    try {
      return run_copies_checked(transfers, repetitions, timeout_s);
    } catch (const CudaError& e) {
      return CopyOutcome::failure(e.what());
    }
  }

  LatencyOutcome run_latency(int gpu, const Endpoint& memory, double timeout_s) override {
    try {
      return run_latency_checked(gpu, memory, timeout_s);
    } catch (const CudaError& e) {
      return LatencyOutcome{std::nullopt, false, e.what()};
    }
  }

 private:
  int device_of(const Endpoint& e) const { return e.is_host() ? -1 : ordinal_.at(e.gpu); }

  int numa_for(const Endpoint& host, const Endpoint& other) const {
    if (host.numa_node >= 0) return host.numa_node;
    return other.is_host() ? -1 : t_.gpus.at(other.gpu).numa_node;
  }

  // Buffers are kept between samples and reallocated only when the size changes.
  const Buffer& buffer(const std::string& key, const Endpoint& at, const Endpoint& other, size_t bytes) {
    auto it = buffers_.find(key);
    if (it != buffers_.end() && it->second.second == bytes) return it->second.first;
    Buffer b;
    if (at.is_host()) b.host = std::make_unique<HostBuffer>(hwloc_, bytes, numa_for(at, other));
    else b.device = std::make_unique<DeviceBuffer>(device_of(at), bytes);
    buffers_[key] = {std::move(b), bytes};
    return buffers_[key].first;
  }

  void enable_peer(int from, int to) {
    if (from == to || from < 0 || to < 0 || peers_enabled_.count({from, to})) return;
    int can = 0;
    check(cudaDeviceCanAccessPeer(&can, from, to), "cudaDeviceCanAccessPeer");
    if (!can) return;
    check(cudaSetDevice(from), "cudaSetDevice");
    cudaError_t e = cudaDeviceEnablePeerAccess(to, 0);
    if (e != cudaSuccess && e != cudaErrorPeerAccessAlreadyEnabled) check(e, "cudaDeviceEnablePeerAccess");
    cudaGetLastError();
    peers_enabled_.insert({from, to});
  }

  // The device that issues a transfer: the GPU end for host copies, else by initiator.
  int issuing_device(const Transfer& t) const {
    if (t.src.is_host()) return device_of(t.dst);
    if (t.dst.is_host()) return device_of(t.src);
    return t.initiator == Initiator::src ? device_of(t.src) : device_of(t.dst);
  }

  void fill(void* ptr, size_t bytes, uint32_t seed, int device) {
    check(cudaSetDevice(device), "cudaSetDevice");
    check(kernels::launch_fill_pattern(static_cast<uint32_t*>(ptr), bytes / 4, seed, nullptr), "fill kernel");
    check(cudaDeviceSynchronize(), "fill");
  }

  std::optional<uint64_t> verify(const void* ptr, size_t bytes, uint32_t seed, int device) {
    check(cudaSetDevice(device), "cudaSetDevice");
    unsigned long long* first_bad = nullptr;
    check(cudaMalloc(reinterpret_cast<void**>(&first_bad), sizeof *first_bad), "cudaMalloc");
    std::unique_ptr<unsigned long long, void (*)(unsigned long long*)> guard(first_bad, [](unsigned long long* p) { cudaFree(p); });
    const unsigned long long none = kernels::kNoMismatch;
    check(cudaMemcpy(first_bad, &none, sizeof none, cudaMemcpyHostToDevice), "cudaMemcpy");
    check(kernels::launch_verify_pattern(static_cast<const uint32_t*>(ptr), bytes / 4, seed, first_bad, nullptr),
          "verify kernel");
    unsigned long long result = 0;
    check(cudaMemcpy(&result, first_bad, sizeof result, cudaMemcpyDeviceToHost), "cudaMemcpy");
    if (result == kernels::kNoMismatch) return std::nullopt;
    return result * 4;  // word index to byte offset
  }

  // Zeroes a destination before each sample, so a copy that did not happen cannot pass
  // verification with the previous sample's data.
  void clear(const Buffer& b, size_t bytes, int device) {
    if (b.host) {
      std::memset(b.cpu_view(), 0, bytes);
      return;
    }
    check(cudaSetDevice(device), "cudaSetDevice");
    check(cudaMemset(b.device_view(), 0, bytes), "cudaMemset");
  }

  struct Prepared {
    void* src = nullptr;
    void* dst = nullptr;
    void* back_src = nullptr;  // split-warp: the other direction
    void* back_dst = nullptr;
    int device = 0;
    size_t bytes = 0;
    uint32_t seed = 0;
    int host_node = -1;  // NUMA node the host buffer is bound to, when it is bound
  };

  Prepared prepare(const Transfer& t, size_t index) {
    Prepared p;
    p.bytes = t.bytes & ~size_t{3};  // whole 32-bit words, so the pattern covers every byte
    p.device = issuing_device(t);
    p.seed = 0x9e370000u + static_cast<uint32_t>(index);
    const std::string k = std::to_string(index);
    const Buffer& src = buffer("src" + k, t.src, t.dst, p.bytes);
    const Buffer& dst = buffer("dst" + k, t.dst, t.src, p.bytes);
    p.src = src.device_view();
    p.dst = dst.device_view();
    if (!t.src.is_host() && !t.dst.is_host()) {
      // Kernels and direct CE copies need peer access from the issuing GPU.
      enable_peer(device_of(t.src), device_of(t.dst));
      enable_peer(device_of(t.dst), device_of(t.src));
    }
    if (src.host) p.host_node = src.host->bound_node();
    if (dst.host) p.host_node = dst.host->bound_node();
    fill(p.src, p.bytes, p.seed, p.device);
    clear(dst, p.bytes, p.device);
    if (t.split_bidirectional) {
      const Buffer& back_src = buffer("bsrc" + k, t.dst, t.src, p.bytes);
      const Buffer& back_dst = buffer("bdst" + k, t.src, t.dst, p.bytes);
      p.back_src = back_src.device_view();
      p.back_dst = back_dst.device_view();
      fill(p.back_src, p.bytes, p.seed ^ 0xffffu, p.device);
      clear(back_dst, p.bytes, p.device);
    }
    return p;
  }

  void enqueue_copy(const Transfer& t, const Prepared& p, int repetitions, cudaStream_t s) {
    if (t.engine == Engine::sm) {
      const int sms = sm_count_.at(t.src.is_host() ? t.dst.gpu : (t.initiator == Initiator::src ? t.src.gpu : t.dst.gpu));
      if (t.split_bidirectional)
        check(kernels::launch_split_warp_copy(p.dst, p.src, p.back_dst, p.back_src, p.bytes, repetitions, sms, s),
              "split-warp copy kernel");
      else
        check(kernels::launch_sm_copy(p.dst, p.src, p.bytes, repetitions, sms, s), "SM copy kernel");
      return;
    }
    for (int r = 0; r < repetitions; ++r) {
      if (!t.src.is_host() && !t.dst.is_host() && device_of(t.src) != device_of(t.dst))
        // Without peer access the driver stages this through host memory: the host-staged path.
        check(cudaMemcpyPeerAsync(p.dst, device_of(t.dst), p.src, device_of(t.src), p.bytes, s), "cudaMemcpyPeerAsync");
      else
        check(cudaMemcpyAsync(p.dst, p.src, p.bytes, cudaMemcpyDefault, s), "cudaMemcpyAsync");
    }
  }

  CopyOutcome run_copies_checked(const std::vector<Transfer>& transfers, int repetitions, double timeout_s) {
    if (!flags_) flags_ = std::make_unique<Flags>();
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
    *flags_->release = 0;
    *flags_->timed_out = 0;
    int* release_dev = nullptr;
    int* timed_out_dev = nullptr;
    check(cudaHostGetDevicePointer(reinterpret_cast<void**>(&release_dev), flags_->release, 0), "cudaHostGetDevicePointer");
    check(cudaHostGetDevicePointer(reinterpret_cast<void**>(&timed_out_dev), flags_->timed_out, 0),
          "cudaHostGetDevicePointer");

    for (size_t i = 0; i < streams.size(); ++i) {
      check(cudaSetDevice(streams[i]->device), "cudaSetDevice");
      check(kernels::launch_spin_kernel(release_dev, timed_out_dev, kSpinTimeoutNs, streams[i]->stream), "spin kernel");
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
    __atomic_store_n(flags_->release, 1, __ATOMIC_SEQ_CST);

    CopyOutcome out;
    for (const Prepared& p : prepared) out.host_numa_node = std::max(out.host_numa_node, p.host_node);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
    for (auto& se : streams) {
      for (;;) {
        cudaError_t q = cudaEventQuery(se->stop);
        if (q == cudaSuccess) break;
        if (q != cudaErrorNotReady) check(q, "waiting for the copies");
        if (std::chrono::steady_clock::now() > deadline) {
          out.hang = true;
          return out;  // the GPU may still finish later; the caller records a hang
        }
        std::this_thread::sleep_for(std::chrono::microseconds(50));
      }
    }
    if (monitor) out.observations = monitor->stop();
    if (*flags_->timed_out) {
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
      if (t.measured) {
        timing.first_bad_offset = verify(prepared[i].dst, prepared[i].bytes, prepared[i].seed, prepared[i].device);
        if (!timing.first_bad_offset && t.split_bidirectional)
          timing.first_bad_offset =
              verify(prepared[i].back_dst, prepared[i].bytes, prepared[i].seed ^ 0xffffu, prepared[i].device);
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
    if (!memory.is_host()) {
      if (peer_path(gpu, memory.gpu, Engine::sm) != PeerPath::direct)
        return {std::nullopt, false, "no peer access between the GPUs"};
      enable_peer(device, device_of(memory));
    }
    // The ring holds the addresses the GPU uses (the device view of host memory).
    char* base = static_cast<char*>(buffer(memory.is_host() ? "lat-host" : "lat-dev" + std::to_string(memory.gpu), memory,
                                           Endpoint::device(gpu), kBytes)
                                        .device_view());
    std::vector<unsigned long long> ring(kBytes / sizeof(unsigned long long), 0);
    for (size_t i = 0; i < kNodes; ++i)
      ring[i * kStride / sizeof(unsigned long long)] = reinterpret_cast<unsigned long long>(base + ((i + 1) % kNodes) * kStride);
    check(cudaMemcpy(base, ring.data(), kBytes, cudaMemcpyDefault), "cudaMemcpy(pointer ring)");
    StreamEvents se;
    se.device = device;
    check(cudaSetDevice(device), "cudaSetDevice");
    check(cudaStreamCreateWithFlags(&se.stream, cudaStreamNonBlocking), "cudaStreamCreate");
    check(cudaEventCreate(&se.start), "cudaEventCreate");
    check(cudaEventCreate(&se.stop), "cudaEventCreate");
    unsigned long long* sink = nullptr;
    check(cudaMalloc(reinterpret_cast<void**>(&sink), sizeof *sink), "cudaMalloc");
    std::unique_ptr<unsigned long long, void (*)(unsigned long long*)> guard(sink, [](unsigned long long* p) { cudaFree(p); });
    check(kernels::launch_pointer_chase(base, 1000, sink, se.stream), "pointer chase (warm-up)");
    check(cudaEventRecord(se.start, se.stream), "cudaEventRecord");
    check(kernels::launch_pointer_chase(base, kSteps, sink, se.stream), "pointer chase");
    check(cudaEventRecord(se.stop, se.stream), "cudaEventRecord");
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
    for (;;) {
      cudaError_t q = cudaEventQuery(se.stop);
      if (q == cudaSuccess) break;
      if (q != cudaErrorNotReady) check(q, "pointer chase");
      if (std::chrono::steady_clock::now() > deadline) return {std::nullopt, true, {}};
      std::this_thread::sleep_for(std::chrono::microseconds(50));
    }
    float ms = 0;
    check(cudaEventElapsedTime(&ms, se.start, se.stop), "cudaEventElapsedTime");
    return {ms * 1e6 / kSteps, false, {}};
  }

  // Starts NVML sampling of every GPU the group touches (nullptr without NVML).
  std::unique_ptr<LinkMonitor> start_monitor(const std::vector<Transfer>& transfers) {
    if (!nvml_) return nullptr;
    std::vector<LinkMonitor::Target> targets;
    std::set<int> seen;
    for (const Transfer& t : transfers)
      for (const Endpoint& e : {t.src, t.dst}) {
        if (e.is_host() || !seen.insert(e.gpu).second) continue;
        if (auto it = nvml_device_.find(e.gpu); it != nvml_device_.end()) targets.push_back({e.gpu, it->second});
      }
    if (targets.empty()) return nullptr;
    auto m = std::make_unique<LinkMonitor>(*nvml_, std::move(targets));
    m->start();
    return m;
  }

  const topology::Topology& t_;
  std::unique_ptr<topology::Nvml> nvml_;
  std::map<int, topology::Nvml::Device> nvml_device_;
  std::string description_;
  std::vector<int> ordinal_;
  std::vector<int> sm_count_;
  hwloc_topology_t hwloc_ = nullptr;
  std::map<std::string, std::pair<Buffer, size_t>> buffers_;
  std::set<std::pair<int, int>> peers_enabled_;
  std::unique_ptr<Flags> flags_;
};

}  // namespace

std::unique_ptr<Backend> make_cuda_backend(const topology::Topology& t) {
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
  try {
    return std::make_unique<CudaBackend>(t);
  } catch (const CudaError& e) {
    throw CudaUnavailable(std::string("CUDA could not start: ") + e.what());
  }
}

}  // namespace rigcheck::bench
