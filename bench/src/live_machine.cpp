#include "rigcheck/bench/live_machine.h"

#include <stdexcept>

#include "rigcheck/bench/cuda_backend.h"
#include "rigcheck/bench/isolation.h"
#include "rigcheck/topology/discover.h"
#include "rigcheck/topology/json.h"

namespace rigcheck::bench {

LiveMachine discover_in_worker(double timeout_s) {
  IsolatedOutcome o = run_isolated(
      [] {
        topology::Topology t = topology::discover({});
        std::string unavailable;
        try {
          make_cuda_backend(t);
        } catch (const CudaUnavailable& e) {
          unavailable = e.what();
        }
        return nlohmann::json{{"topology", topology::to_json(t)}, {"unavailable", unavailable}};
      },
      timeout_s);
  if (o.kind != IsolatedOutcome::Kind::ok) throw std::runtime_error("topology discovery failed: " + o.detail);
  return {topology::topology_from_json(o.result.at("topology")), o.result.at("unavailable").get<std::string>()};
}

}  // namespace rigcheck::bench
