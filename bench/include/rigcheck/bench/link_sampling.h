#pragma once
// What the GPU link monitor (NVML) and the switch uplink monitor (sysfs) share: the range of link
// states seen, and the thread that samples while a transfer runs.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <thread>

#include "rigcheck/topology/pcie_link.h"

namespace rigcheck::bench::detail {

// Field by field; an unknown state yields to the other.
inline topology::LinkState lower_link(topology::LinkState a, topology::LinkState b) {
  if (!a.known()) return b;
  if (!b.known()) return a;
  return {std::min(a.gen, b.gen), std::min(a.width, b.width)};
}
inline topology::LinkState upper_link(topology::LinkState a, topology::LinkState b) {
  return {std::max(a.gen, b.gen), std::max(a.width, b.width)};
}

// Widens `into`'s [min_link, max_link] by `o`'s; `into` with no samples yet takes `o`'s minimum.
template <class Observation>
void fold_link_range(Observation& into, const Observation& o) {
  into.min_link = into.samples ? lower_link(into.min_link, o.min_link) : o.min_link;
  into.max_link = upper_link(into.max_link, o.max_link);
}

// Calls `sample` every `period_us` on its own thread between start() and stop().
class SamplingThread {
 public:
  ~SamplingThread() { stop(); }
  bool running() const { return running_; }
  void start(std::function<void()> sample, int period_us) {
    if (running_) return;
    running_ = true;
    thread_ = std::thread([this, sample = std::move(sample), period_us] {
      while (running_) {
        sample();
        std::this_thread::sleep_for(std::chrono::microseconds(period_us));
      }
    });
  }
  void stop() {
    running_ = false;
    if (thread_.joinable()) thread_.join();
  }

 private:
  std::atomic<bool> running_{false};
  std::thread thread_;
};

}  // namespace rigcheck::bench::detail
