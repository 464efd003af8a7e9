#pragma once
// The measurement catalogue: every test by name, and how a test expands into cells (one per GPU
// or per GPU pair), each a group of concurrent transfers with an explicit source, destination,
// initiator, direction, concurrency and byte count.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "rigcheck/bench/backend.h"
#include "rigcheck/topology/model.h"

namespace rigcheck::bench {

enum class TestKind { bandwidth, latency };
enum class TestShape { per_gpu, per_pair };  // a row of N values, or an N×N matrix

// Which timings make the reported number.
enum class Aggregation {
  first,  // transfer 0 only; the others are interference traffic
  total,  // all measured bytes over the time from the common start to the last end
};

struct TestSpec {
  std::string name;
  std::string description;
  TestKind kind = TestKind::bandwidth;
  TestShape shape = TestShape::per_gpu;
  Engine engine = Engine::ce;
};

const std::vector<TestSpec>& catalogue();
const TestSpec* find_test(std::string_view name);

struct CellPlan {
  std::string test;
  int row = -1;  // per_pair: source GPU; per_gpu: -1
  int col = -1;  // per_pair: destination GPU; per_gpu: the GPU
  Endpoint src;
  Endpoint dst;
  Engine engine = Engine::ce;
  Initiator initiator = Initiator::src;
  std::string direction;       // "uni" or "bi"
  int concurrency = 1;         // transfers running at once (measured and interference)
  std::vector<Transfer> transfers;  // measured ones first
  Aggregation aggregation = Aggregation::first;
  uint64_t bytes_counted = 0;  // bytes per repetition the reported number counts
  // Bidirectional cells report one direction (row -> column) measured while the other runs, as
  // nvbandwidth does; the total of both directions, these bytes per repetition over the time to
  // the last end, is reported beside it (0: not a bidirectional cell).
  uint64_t total_bytes = 0;
  PeerPath path = PeerPath::direct;
  double path_gbps = 0;        // theoretical rate of the slowest link the cell's traffic crosses (0: unknown)
  std::string name() const;    // "device_to_device_read_ce/gpu0-gpu1"
  bool plan_is_pair() const { return row >= 0; }
};

struct PlanOptions {
  uint64_t bytes = 256ull << 20;
  std::vector<int> gpus;  // empty: all
};

// How many peers one GPU may map at once: CUDA allows 8 without NVSwitch (cudaErrorTooManyPeers
// beyond), so the fan-out tests take at most that many peers there.
int peer_mapping_limit(const topology::Topology& t);

std::vector<CellPlan> plan_cells(const TestSpec& spec, const topology::Topology& t, const Backend& backend,
                                 const PlanOptions& options);

}  // namespace rigcheck::bench
