#include "rigcheck/bench/json.h"

namespace rigcheck::bench {
namespace {

nlohmann::json endpoint(const Endpoint& e) {
  if (e.is_host()) return {{"kind", "host"}, {"numa_node", e.numa_node}};
  return {{"kind", "gpu"}, {"gpu", e.gpu}};
}

}  // namespace

nlohmann::json to_json(const BenchRun& run) {
  nlohmann::json cells = nlohmann::json::array();
  for (const auto& c : run.cells) {
    const auto& st = c.sampling.stats;
    cells.push_back({{"test", c.plan.test},
                     {"name", c.plan.name()},
                     {"src", endpoint(c.plan.src)},
                     {"dst", endpoint(c.plan.dst)},
                     {"engine", to_string(c.plan.engine)},
                     {"initiator", to_string(c.plan.initiator)},
                     {"direction", c.plan.direction},
                     {"concurrency", c.plan.concurrency},
                     {"bytes_counted", c.plan.bytes_counted},
                     {"path", to_string(c.plan.path)},
                     {"status", to_string(c.status)},
                     {"detail", c.detail},
                     {"unit", c.unit},
                     {"median", st.median},
                     {"min", st.min},
                     {"max", st.max},
                     {"mean", st.mean},
                     {"cv", st.cv},
                     {"spread", c.sampling.robust_spread},
                     {"stop", to_string(c.sampling.stop)},
                     {"outliers", c.sampling.outliers},
                     {"samples", c.sampling.samples}});
  }
  return {{"schema", kBenchSchema},
          {"mode", run.simulated ? "simulated" : "real"},
          {"backend", run.backend},
          {"bytes", run.bytes},
          {"repetitions", run.repetitions},
          {"cells", cells}};
}

}  // namespace rigcheck::bench
