#include "rigcheck/fabric/ring.h"

#include <algorithm>
#include <limits>

namespace rigcheck::fabric {

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
    ring.hops.push_back({i, (i + 1) % n, p2p});
  }
  std::vector<const Route*> flows;
  for (const auto& r : routes) flows.push_back(&r);
  double rate = std::numeric_limits<double>::infinity();
  for (double r : fabric.fair_rates(flows)) rate = std::min(rate, r);
  ring.rate_gbps = rate;
  return ring;
}

}  // namespace rigcheck::fabric
