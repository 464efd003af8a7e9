// CPU implementations of rigcheck's kernel launchers, queued on the fake streams with the same
// contracts as kernels/src/*.cu: a launch on a device without a kernel image fails, a kernel
// reaches only memory its device may access (else a sticky illegal address), the spin kernel
// waits for its host flag and honours its timeout, the copies copy, the pattern kernels write and
// check the pattern, the pointer chase walks its ring.

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <thread>

#include "driver.h"
#include "rigcheck/kernels/collective_kernels.h"
#include "rigcheck/kernels/copy_kernels.h"
#include "rigcheck/kernels/pattern.h"
#include "rigcheck/kernels/pattern_kernels.h"

namespace rigcheck::kernels {

namespace {

using fake_cuda::kHost;
using fake_cuda::detail::Access;
using fake_cuda::detail::current_device;
using fake_cuda::detail::Driver;
using fake_cuda::detail::last_error;
using fake_cuda::detail::Op;
using fake_cuda::detail::Stream;

constexpr double kHostLatencyNs = 800, kLocalLatencyNs = 550, kPeerLatencyNs = 1700;

cudaError_t fail(cudaError_t e) {
  last_error() = e;
  return e;
}

// Queues a kernel on `stream` of the current device; `seconds` is filled from the driver state.
cudaError_t launch(const char* name, cudaStream_t stream, std::vector<Access> accesses,
                   const std::function<double(const Driver&)>& seconds, std::function<void()> run,
                   void* corrupt_target = nullptr) {
  Driver& d = Driver::get();
  std::unique_lock lock(d.m);
  if (!d.installed) return fail(cudaErrorInsufficientDriver);
  if (d.forked_after_init) return fail(cudaErrorInitializationError);
  d.initialise();
  if (d.sticky) return static_cast<cudaError_t>(d.sticky);
  const int dev = current_device();
  Stream* s = d.resolve(stream, dev);
  if (!s) return fail(cudaErrorInvalidResourceHandle);
  if (s->device != dev) {
    d.broke(std::string("kernel:") + name + " launched on device " + std::to_string(dev) + " into device " +
            std::to_string(s->device) + "'s stream");
    return fail(cudaErrorInvalidResourceHandle);
  }
  if (!d.spec(dev).kernel_image) return fail(cudaErrorNoKernelImageForDevice);
  Op op;
  op.name = std::string("kernel:") + name;
  op.device = dev;
  op.check_access = true;
  std::vector<int> owners;
  for (const Access& a : accesses) {
    const auto* alloc = d.find(a.ptr, std::max<size_t>(a.bytes, 1));
    owners.push_back(alloc ? alloc->owner : kHost);
    if (a.write) op.bytes = std::max<uint64_t>(op.bytes, a.bytes);
  }
  op.accesses = std::move(accesses);
  op.seconds = seconds(d);
  op.run = std::move(run);
  op.corrupt_target = corrupt_target;
  d.apply_faults(op, owners);
  if (op.refuse) return fail(cudaErrorLaunchFailure);
  d.enqueue(s, std::move(op), lock);
  return cudaSuccess;
}

// The host memory behind an address a kernel was given: device addresses of registered memory
// differ from host ones. The access check sees the address as given; the CPU work uses this.
template <class T>
T* host(T* p) {
  Driver& d = Driver::get();
  std::lock_guard lock(d.m);
  return static_cast<T*>(const_cast<void*>(d.host_of(p)));
}

int owner(const Driver& d, const void* p) {
  const auto* a = d.find(p);
  return a ? a->owner : kHost;
}

double copy_seconds(const Driver& d, const void* dst, const void* src, size_t bytes, int repetitions) {
  const int dev = current_device();
  return static_cast<double>(bytes) * repetitions / (d.rate_gbps(dev, owner(d, src), owner(d, dst), false) * 1e9);
}

cudaError_t kernel_image_here() {
  Driver& d = Driver::get();
  std::lock_guard lock(d.m);
  if (!d.installed) return fail(cudaErrorInsufficientDriver);
  d.initialise();
  if (d.device_count() == 0) return fail(cudaErrorNoDevice);
  return d.spec(current_device()).kernel_image ? cudaSuccess : fail(cudaErrorNoKernelImageForDevice);
}

}  // namespace

cudaError_t launch_sm_copy(void* dst, const void* src, size_t bytes, int repetitions, int, cudaStream_t stream) {
  return launch(
      "sm_copy", stream, {{src, bytes, false}, {dst, bytes, true}},
      [=](const Driver& d) { return copy_seconds(d, dst, src, bytes, repetitions); },
      [d = host(dst), s = host(src), bytes] { std::memmove(d, s, bytes); }, host(dst));
}

cudaError_t launch_split_warp_copy(void* b_dst, const void* a_src, void* a_dst, const void* b_src, size_t bytes,
                                   int repetitions, int, cudaStream_t stream) {
  return launch(
      "split_warp_copy", stream, {{a_src, bytes, false}, {b_dst, bytes, true}, {b_src, bytes, false}, {a_dst, bytes, true}},
      [=](const Driver& d) {
        return std::max(copy_seconds(d, b_dst, a_src, bytes, repetitions), copy_seconds(d, a_dst, b_src, bytes, repetitions));
      },
      [bd = host(b_dst), as = host(a_src), ad = host(a_dst), bs = host(b_src), bytes] {
        std::memmove(bd, as, bytes);
        std::memmove(ad, bs, bytes);
      },
      host(b_dst));
}

cudaError_t launch_spin_kernel(const volatile int* release, int* timed_out, unsigned long long timeout_ns,
                               cudaStream_t stream) {
  return launch(
      "spin", stream, {{const_cast<const int*>(release), sizeof(int), false}, {timed_out, sizeof(int), true}},
      [](const Driver&) { return 0.0; },
      [release = host(const_cast<const int*>(release)), timed_out = host(timed_out), timeout_ns] {
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::nanoseconds(timeout_ns);
        while (__atomic_load_n(release, __ATOMIC_SEQ_CST) == 0) {
          if (std::chrono::steady_clock::now() > deadline) {
            __atomic_store_n(timed_out, 1, __ATOMIC_SEQ_CST);
            return;
          }
          std::this_thread::sleep_for(std::chrono::microseconds(20));
        }
      });
}

cudaError_t launch_pointer_chase(const void* start, uint64_t steps, unsigned long long* sink, cudaStream_t stream) {
  Driver& d = Driver::get();
  size_t ring_bytes = 1;
  {
    std::lock_guard lock(d.m);
    if (const auto* a = d.find(start)) ring_bytes = a->base + a->bytes - reinterpret_cast<uintptr_t>(d.host_of(start));
  }
  return launch(
      "pointer_chase", stream, {{start, ring_bytes, false}, {sink, sizeof *sink, true}},
      [=](const Driver& dr) {
        const int o = owner(dr, start), dev = current_device();
        const double ns = o == kHost ? kHostLatencyNs : (o == dev ? kLocalLatencyNs : kPeerLatencyNs);
        return static_cast<double>(steps) * ns * 1e-9;
      },
      [=, delta = reinterpret_cast<uintptr_t>(start) - reinterpret_cast<uintptr_t>(host(start)), sink = host(sink)] {
        // The ring holds the addresses the kernel follows; it must stay inside the buffer the
        // access check allowed.
        const auto lo = reinterpret_cast<uintptr_t>(start), hi = lo + ring_bytes;
        uintptr_t p = lo;
        for (uint64_t i = 0; i < steps; ++i) {
          if (p < lo || p + sizeof(unsigned long long) > hi) {
            std::fprintf(stderr, "fake CUDA: the pointer chase left its buffer at step %llu\n",
                         static_cast<unsigned long long>(i));
            std::abort();  // an illegal address inside a kernel: the process would be dead
          }
          p = static_cast<uintptr_t>(*reinterpret_cast<const unsigned long long*>(p - delta));
        }
        *sink = p;
      });
}

cudaError_t preload_kernels() { return kernel_image_here(); }

cudaError_t preload_pattern_kernels() { return kernel_image_here(); }

cudaError_t launch_fill_pattern(uint32_t* dst, size_t words, uint32_t seed, cudaStream_t stream) {
  return launch(
      "fill_pattern", stream, {{dst, words * 4, true}},
      [=](const Driver& d) { return words * 4.0 / (d.spec(current_device()).local_gbps * 1e9); },
      [dst = host(dst), words, seed] {
        for (size_t i = 0; i < words; ++i) dst[i] = pattern_word(seed, i);
      },
      host(dst));
}

cudaError_t launch_verify_pattern(const uint32_t* src, size_t words, uint32_t seed, unsigned long long* first_bad,
                                  cudaStream_t stream) {
  return launch(
      "verify_pattern", stream, {{src, words * 4, false}, {first_bad, sizeof *first_bad, true}},
      [=](const Driver& d) { return words * 4.0 / (d.spec(current_device()).local_gbps * 1e9); },
      [src = host(src), first_bad = host(first_bad), words, seed] {
        for (size_t i = 0; i < words; ++i)
          if (src[i] != pattern_word(seed, i)) {
            *first_bad = std::min<unsigned long long>(*first_bad, i);
            return;
          }
      });
}

cudaError_t launch_fill_float(float* dst, size_t count, float value, cudaStream_t stream) {
  return launch(
      "fill_float", stream, {{dst, count * sizeof(float), true}},
      [=](const Driver& d) { return count * 4.0 / (d.spec(current_device()).local_gbps * 1e9); },
      [dst = host(dst), count, value] { std::fill(dst, dst + count, value); });
}

cudaError_t launch_verify_float(const float* src, size_t count, float expected, unsigned long long* first_bad,
                                cudaStream_t stream) {
  return launch(
      "verify_float", stream, {{src, count * sizeof(float), false}, {first_bad, sizeof *first_bad, true}},
      [=](const Driver& d) { return count * 4.0 / (d.spec(current_device()).local_gbps * 1e9); },
      [src = host(src), first_bad = host(first_bad), count, expected] {
        for (size_t i = 0; i < count; ++i)
          if (src[i] != expected) {
            *first_bad = std::min<unsigned long long>(*first_bad, i);
            return;
          }
      });
}

}  // namespace rigcheck::kernels
