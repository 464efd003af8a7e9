#include "rigcheck/bench/sim_backend.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace rigcheck::bench {

SimBackend::SimBackend(const topology::Topology& topology, const fabric::FabricConstants& constants, uint64_t seed)
    : topology_(topology), constants_(constants), fabric_(topology, constants), seed_(seed), rng_(seed) {}

std::string SimBackend::description() const { return "simulated fabric (seed " + std::to_string(seed_) + ")"; }

int SimBackend::device_count() const { return static_cast<int>(topology_.gpus.size()); }

PeerPath SimBackend::peer_path(int src_gpu, int dst_gpu, Engine engine) const {
  return fabric_.peer_path(src_gpu, dst_gpu, engine);
}

double SimBackend::noise() {
  if (constants_.noise_sigma <= 0) return 1.0;  // normal_distribution needs a positive sigma
  std::normal_distribution<double> d(1.0, constants_.noise_sigma);
  return std::max(0.5, d(rng_));
}

CopyOutcome SimBackend::run_copies(const std::vector<Transfer>& transfers, int repetitions, double timeout_s) {
  // Each transfer becomes one flow (two for a split-warp bidirectional copy); flows share links
  // max-min fairly, and when one finishes the others speed up (event-driven).
  struct Flow {
    size_t transfer;
    fabric::Route route;
    double remaining_bytes;
    double finish_s = 0;
  };
  std::vector<Flow> flows;
  for (size_t i = 0; i < transfers.size(); ++i) {
    const Transfer& t = transfers[i];
    const double bytes = static_cast<double>(t.bytes) * repetitions;
    flows.push_back({i, fabric_.route(t.src, t.dst, t.engine), bytes});
    if (t.split_bidirectional) flows.push_back({i, fabric_.route(t.dst, t.src, t.engine), bytes});
  }
  CopyOutcome out;
  out.timings.resize(transfers.size());
  for (const Flow& f : flows) {
    if (f.route.path == PeerPath::unsupported) {
      out.error = "this copy cannot run on this path (" + describe(transfers[f.transfer].src) + " -> " +
                  describe(transfers[f.transfer].dst) + ")";
      return out;
    }
  }
  double now = 0;
  std::vector<size_t> active(flows.size());
  for (size_t i = 0; i < flows.size(); ++i) active[i] = i;
  while (!active.empty()) {
    std::vector<const fabric::Route*> routes;
    for (size_t i : active) routes.push_back(&flows[i].route);
    std::vector<double> rates = fabric_.fair_rates(routes);  // GB/s
    double dt = std::numeric_limits<double>::infinity();
    for (size_t k = 0; k < active.size(); ++k) dt = std::min(dt, flows[active[k]].remaining_bytes / (rates[k] * 1e9));
    if (dt == std::numeric_limits<double>::infinity()) {
      // No active flow can make progress: that is a hang of the model, not a reason to loop.
      out.hang = true;
      for (size_t k : active) flows[k].finish_s = timeout_s;
      break;
    }
    if (!(dt >= 0) || !std::isfinite(dt)) dt = 0;  // unlimited flows finish at once
    now += dt;
    std::vector<size_t> still;
    for (size_t k = 0; k < active.size(); ++k) {
      Flow& f = flows[active[k]];
      f.remaining_bytes -= std::isfinite(rates[k]) ? rates[k] * 1e9 * dt : f.remaining_bytes;
      // Written so that NaN (an infinite rate times a zero step) finishes the flow instead of
      // keeping it, and the loop, alive forever; topologies are validated, this is the backstop.
      if (!(f.remaining_bytes > 1e-6 * static_cast<double>(transfers[f.transfer].bytes))) f.finish_s = now;
      else still.push_back(active[k]);
    }
    active.swap(still);
  }
  const double overhead = constants_.copy_overhead_us * 1e-6 * repetitions;
  for (const Flow& f : flows) {
    double s = (f.finish_s + overhead) * noise();
    out.timings[f.transfer].seconds = std::max(out.timings[f.transfer].seconds, s);
  }
  for (const auto& t : out.timings)
    if (t.seconds > timeout_s) out.hang = true;
  // What NVML would show under load: the links at the state the model runs them at.
  for (const Transfer& t : transfers)
    for (const Endpoint& e : {t.src, t.dst}) {
      if (e.is_host() || e.gpu < 0) continue;
      const auto& node = topology_.pci[topology_.gpus[e.gpu].node];
      if (!node.link || !node.link->current.known()) continue;
      LinkObservation o;
      o.gpu = e.gpu;
      o.min_link = o.max_link = fabric::loaded_link(topology_, *node.link);
      o.samples = 1;
      merge_observations(out.observations, {o});
    }
  // And what sysfs would show of the switch uplinks the copies cross.
  for (int up : switch_uplinks_crossed(topology_, transfers)) {
    const auto& link = topology_.pci[up].link;
    if (!link || !link->current.known()) continue;
    UplinkObservation u;
    u.pci_node = up;
    u.address = topology_.pci[up].address->str();
    u.min_link = u.max_link = fabric::loaded_link(topology_, *link);
    u.samples = 1;
    merge_uplinks(out.uplinks, {u});
  }
  return out;
}

LatencyOutcome SimBackend::run_latency(int gpu, const Endpoint& memory, double) {
  LatencyOutcome out;
  fabric::Route r = fabric_.route(Endpoint::device(gpu), memory, Engine::sm);
  if (r.path == PeerPath::unsupported || r.path == PeerPath::host_staged) {
    out.error = "no peer access: a GPU cannot load from that memory";
    return out;
  }
  out.ns = r.latency_ns * noise();
  return out;
}

}  // namespace rigcheck::bench
