#include "rigcheck/fabric/ring.h"

#include <algorithm>
#include <limits>

namespace rigcheck::fabric {

namespace {

bool sxm_part(const topology::Gpu& g) { return g.name.find("SXM") != std::string::npos; }

// Which NCCL transport (as fabric.json's efficiencies name them) a hop's route is.
std::string transport_of(const topology::Topology& t, const Route& r, int a, int b, bool p2p) {
  if (!p2p) return "shm";
  if (!r.nvlink) return "pcie";
  if (r.edges.size() > 1) return "nvswitch";  // GPU -> NVSwitch -> GPU
  return sxm_part(t.gpus[a]) && sxm_part(t.gpus[b]) ? "nvlink-sxm" : "nvlink-bridge";
}

double nccl_rate(const FabricConstants& c, const std::string& transport, double sm_rate) {
  if (transport == "nvswitch") return sm_rate * c.nccl_efficiency_nvswitch;
  if (transport == "nvlink-sxm") return sm_rate * c.nccl_efficiency_nvlink_sxm;
  if (transport == "nvlink-bridge") return sm_rate * c.nccl_efficiency_nvlink_bridge;
  if (transport == "pcie") {
    const double r = sm_rate * c.nccl_efficiency_pcie;
    return c.nccl_ceiling_pcie_gbps > 0 ? std::min(r, c.nccl_ceiling_pcie_gbps) : r;
  }
  return sm_rate * c.nccl_efficiency_shm;
}

}  // namespace

Ring ring_model(const Fabric& fabric, const std::vector<int>& gpus, bool p2p_disabled) {
  Ring ring;
  const int n = static_cast<int>(gpus.size());
  if (n <= 1) return ring;
  std::vector<Route> routes;
  routes.reserve(n);
  for (int i = 0; i < n; ++i) {
    const int a = gpus[i], b = gpus[(i + 1) % n];
    const bool p2p = !p2p_disabled && fabric.peer_path(a, b, Engine::sm) == PeerPath::direct;
    routes.push_back(p2p ? fabric.route(Endpoint::device(a), Endpoint::device(b), Engine::sm)
                         : fabric.host_staged_route(a, b, Engine::sm));
    ring.hops.push_back({i, (i + 1) % n, p2p, transport_of(fabric.topology(), routes.back(), a, b, p2p), 0});
  }
  std::vector<const Route*> flows;
  for (const auto& r : routes) flows.push_back(&r);
  const std::vector<double> rates = fabric.fair_rates(flows);
  double rate = std::numeric_limits<double>::infinity();
  for (int i = 0; i < n; ++i) {
    ring.hops[i].rate_gbps = nccl_rate(fabric.constants(), ring.hops[i].transport, rates[i]);
    rate = std::min(rate, ring.hops[i].rate_gbps);
  }
  ring.rate_gbps = rate;
  return ring;
}

}  // namespace rigcheck::fabric
