#include <algorithm>

#include "rigcheck/bench/collective_runner.h"
#include "rigcheck/fabric/ring.h"

namespace rigcheck::bench {

const char* to_string(ProcessModel p) { return p == ProcessModel::single ? "single" : "per-gpu"; }

namespace {

// Latency of one ring step (launch, synchronisation, one hop): an assumption of the model, like
// the fabric's constants; small sizes are latency-bound in NCCL too.
constexpr double kStepLatencyUs = 8.0;

int ring_steps(Collective c, int n) {
  switch (c) {
    case Collective::all_reduce: return 2 * (n - 1);
    case Collective::all_gather:
    case Collective::reduce_scatter:
    case Collective::all_to_all: return n - 1;
    case Collective::broadcast:
    case Collective::reduce: return n - 1;  // pipelined along the chain
    case Collective::send_recv: return 1;
  }
  return 1;
}

}  // namespace

CollectiveRun simulate_collectives(const topology::Topology& t, const fabric::FabricConstants& c, const CollectiveOptions& o) {
  CollectiveRun run;
  run.simulated = true;
  run.backend = "simulated ring model";
  run.process = o.process;
  run.p2p_disabled = o.p2p_disabled;
  std::vector<int> gpus = o.gpus;
  if (gpus.empty())
    for (const auto& g : t.gpus) gpus.push_back(g.index);
  run.ranks = static_cast<int>(gpus.size());
  const int n = run.ranks;
  const fabric::Ring ring = fabric::ring_model(fabric::Fabric(t, c), gpus, o.p2p_disabled);
  for (const auto& hop : ring.hops) {
    ChannelRoute cr{0, hop.from_rank, hop.to_rank, hop.p2p ? "P2P" : "SHM", hop.p2p ? "P2P/direct (simulated)" : "SHM (simulated)"};
    ++run.transports.count_by_transport[cr.transport];
    run.transports.routes.push_back(cr);
  }
  const double ring_rate = ring.rate_gbps;
  for (Collective op : o.ops) {
    for (uint64_t bytes : o.sizes) {
      CollectiveResult r;
      r.op = op;
      r.bytes = bytes;
      r.count = bytes / 4;
      r.check = "ok";
      if (n <= 1) {
        r.time_us = kStepLatencyUs;  // a 1-rank communicator only copies locally
      } else {
        // busbw equals the ring rate once latency is amortised: time = steps*lat + bytes*factor/rate.
        const double factor = bus_factor(op, n);
        r.time_us = ring_steps(op, n) * kStepLatencyUs + static_cast<double>(bytes) * factor / (ring_rate * 1e9) * 1e6;
      }
      compute_bandwidths(r, n);
      run.results.push_back(r);
    }
  }
  return run;
}

}  // namespace rigcheck::bench
