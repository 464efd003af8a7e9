#include "rigcheck/bench/collective_runner.h"

namespace rigcheck::bench {

namespace {

CollectiveRun run_once(const topology::Topology& t, bool simulated, const CollectiveOptions& o) {
  return simulated ? simulate_collectives(t, fabric::default_fabric_constants(), o) : run_nccl_collectives(t, o);
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

namespace rigcheck::bench {

double collective_budget_s(const CollectiveOptions& o, double setup_s) {
  constexpr double kSlowBusGbps = 1.0;      // far below any working PCIe link
  constexpr double kPerIterationS = 1e-3;   // launch and synchronisation
  const int iterations = o.warmup_iterations + o.iterations + 2;  // + the checked run and its verification
  double per_sweep = 0;  // one operation over every size, out of place
  for (uint64_t bytes : o.sizes) per_sweep += iterations * (2.0 * static_cast<double>(bytes) / (kSlowBusGbps * 1e9) + kPerIterationS);
  return setup_s + per_sweep * 2 /* in place too */ * static_cast<double>(o.ops.size());
}

}  // namespace rigcheck::bench
