#pragma once
// The fake driver's state: devices, allocations, streams as ordered queues with a thread each,
// events, peer mappings, the sticky error. One mutex guards it all; one condition variable wakes
// every waiter on any change (simple, and fast enough for tests).

#include <cuda_runtime_api.h>

#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "rigcheck/fake_cuda/fake_cuda.h"

namespace rigcheck::fake_cuda::detail {

struct Allocation {
  uintptr_t base = 0;
  size_t bytes = 0;
  int owner = kHost;        // device ordinal or kHost
  bool registered = false;  // host: cudaHostRegister'ed (else cudaHostAlloc'ed)
  void* storage = nullptr;  // what to free (device and cudaHostAlloc memory)
};

// A completed-or-not mark in a stream: what cudaEventRecord enqueues.
struct Mark {
  bool done = false;
  double time = 0;  // modelled seconds on the recording stream's clock
  int device = 0;
};

// A memory range an operation will touch, checked when it runs.
struct Access {
  const void* ptr = nullptr;
  size_t bytes = 0;
  bool write = false;
};

struct Op {
  std::string name;
  int device = 0;                          // issuing device
  std::vector<Access> accesses;            // checked for kernels and memsets
  bool check_access = false;               // kernels and memsets: access rules apply
  bool staged = false;
  uint64_t bytes = 0;
  double seconds = 0;                      // modelled duration
  std::function<void()> run;               // moves the bytes (after the access check passed)
  std::shared_ptr<Mark> record;            // cudaEventRecord
  std::vector<std::shared_ptr<Mark>> waits;  // cudaStreamWaitEvent, legacy-stream ordering
  bool hang = false;
  bool fault = false;
  bool refuse = false;  // the enqueueing call fails instead
  std::optional<uint64_t> corrupt_offset;
  void* corrupt_target = nullptr;
};

struct Stream {
  int device = 0;
  bool legacy = false;       // the device's NULL stream
  bool blocking = true;      // synchronises with the legacy stream
  bool destroyed = false;
  bool abandoned = false;    // reset() gave up on it: a hung operation never finishes
  std::deque<Op> queue;      // not yet finished, front is running
  double clock = 0;          // modelled time of the last finished op
  std::shared_ptr<Mark> last;  // mark of the last enqueued op (for legacy ordering)
};

struct Event {
  int device = 0;
  std::shared_ptr<Mark> mark;  // last record, null before the first
};

class Driver {
 public:
  static Driver& get();  // never destroyed: stream threads may outlive main() when a copy hangs

  std::mutex m;
  std::condition_variable cv;

  bool installed = false;
  bool initialised = false;
  bool forked_after_init = false;
  MachineSpec machine;
  std::vector<int> visible;  // ordinal -> physical device index
  int sticky = 0;
  std::vector<Fault> faults;
  std::vector<int> fault_seen;  // matching ops seen per fault
  std::vector<OpRecord> log;
  std::vector<std::string> broken_rules;
  std::map<uintptr_t, Allocation> allocations;  // by base
  std::vector<std::pair<uintptr_t, size_t>> host_numa_ranges;
  std::vector<int> host_numa_nodes;
  std::set<std::pair<int, int>> peers;  // (from, to) ordinals
  std::set<Stream*> streams;
  std::map<int, Stream*> legacy;        // per device ordinal
  std::set<Event*> events;

  // Waits until every stream is idle or hung, abandons the hung ones, frees everything.
  void reset(const MachineSpec* spec, std::unique_lock<std::mutex>& lock);
  // Starts the driver on the first call: CUDA_VISIBLE_DEVICES is read now.
  void initialise();
  int device_count() const { return static_cast<int>(visible.size()); }
  const DeviceSpec& spec(int ordinal) const { return machine.devices.at(static_cast<size_t>(visible.at(ordinal))); }
  bool can_access(int from, int to) const;

  // Device addresses of registered host memory are its host address plus this.
  static constexpr uintptr_t kDeviceAlias = uintptr_t{1} << 46;
  // The host address behind a device address of registered memory; `p` itself otherwise.
  const void* host_of(const void* p) const;
  const Allocation* find(const void* p, size_t bytes = 1) const;
  int numa_of(uintptr_t p) const;
  // Whether an operation issued on `device` may touch this range; why not, otherwise.
  bool accessible(int device, const Access& a, std::string& why) const;

  Stream* new_stream(int device, bool blocking, bool legacy);  // with its thread running
  Stream* legacy_stream(int device);
  Stream* resolve(cudaStream_t s, int current);  // nullptr: invalid handle
  // Queues `op` on `s`, blocking while the stream is full, and starts it.
  void enqueue(Stream* s, Op op, std::unique_lock<std::mutex>& lock);
  void wait_idle(Stream* s, std::unique_lock<std::mutex>& lock);
  void wait_device_idle(int device, std::unique_lock<std::mutex>& lock);
  void wait_all_idle(std::unique_lock<std::mutex>& lock);

  double rate_gbps(int issuer, int src_owner, int dst_owner, bool staged) const;
  void apply_faults(Op& op, const std::vector<int>& owners);
  void broke(std::string rule) { broken_rules.push_back(std::move(rule)); }

 private:
  void run_stream(Stream* s);
};

// Per-thread current device and last error, as the runtime keeps them.
int& current_device();
cudaError_t& last_error();

}  // namespace rigcheck::fake_cuda::detail
