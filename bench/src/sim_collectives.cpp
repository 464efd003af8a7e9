#include <algorithm>
#include <limits>

#include "rigcheck/bench/collective_runner.h"

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

CollectiveRun simulate_collectives(const topology::Topology& t, const FabricConstants& c, const CollectiveOptions& o) {
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
  Fabric fabric(t, c);

  // The ring in rank order: every rank sends to the next at the same time.
  std::vector<Route> routes;
  double ring_rate = std::numeric_limits<double>::infinity();
  if (n > 1) {
    for (int i = 0; i < n; ++i) {
      const int a = gpus[i], b = gpus[(i + 1) % n];
      const bool p2p = !o.p2p_disabled && fabric.peer_path(a, b, Engine::sm) == PeerPath::direct;
      // NCCL's kernels move the data (SM copies); without P2P it stages through shared host memory.
      Route r = p2p ? fabric.route(Endpoint::device(a), Endpoint::device(b), Engine::sm)
                    : fabric.host_staged_route(a, b, Engine::sm);
      routes.push_back(r);
      ChannelRoute cr{0, i, (i + 1) % n, p2p ? "P2P" : "SHM", p2p ? "P2P/direct (simulated)" : "SHM (simulated)"};
      ++run.transports.count_by_transport[cr.transport];
      run.transports.routes.push_back(cr);
    }
    std::vector<const Route*> flows;
    for (const auto& r : routes) flows.push_back(&r);
    for (double rate : fabric.fair_rates(flows)) ring_rate = std::min(ring_rate, rate);
  }
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
