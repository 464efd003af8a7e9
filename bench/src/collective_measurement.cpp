#include "rigcheck/bench/collective_runner.h"

namespace rigcheck::bench {

namespace {

CollectiveRun run_once(const topology::Topology& t, bool simulated, const CollectiveOptions& o) {
  return simulated ? simulate_collectives(t, default_fabric_constants(), o) : run_nccl_collectives(t, o);
}

}  // namespace

CollectiveMeasurement measure_collectives(const topology::Topology& t, bool simulated, const CollectiveOptions& o,
                                          bool with_control) {
  CollectiveMeasurement m;
  m.main = run_once(t, simulated, o);
  if (with_control && m.main.status == "ok" && m.main.ranks > 1 && !o.sizes.empty()) {
    CollectiveOptions c = o;
    c.p2p_disabled = true;
    c.sizes = {o.sizes.front(), o.sizes.back()};  // one small and one large size
    m.control = run_once(t, simulated, c);
  }
  return m;
}

}  // namespace rigcheck::bench
