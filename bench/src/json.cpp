#include "rigcheck/bench/json.h"

namespace rigcheck::bench {
namespace {

nlohmann::json endpoint(const Endpoint& e) {
  if (e.is_host()) return {{"kind", "host"}, {"numa_node", e.numa_node}};
  return {{"kind", "gpu"}, {"gpu", e.gpu}};
}

nlohmann::json observations(const std::vector<LinkObservation>& obs) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& o : obs) {
    out.push_back({{"gpu", o.gpu},
                   {"link_min", {{"gen", o.min_link.gen}, {"width", o.min_link.width}}},
                   {"link_max", {{"gen", o.max_link.gen}, {"width", o.max_link.width}}},
                   {"sm_clock_min_mhz", o.min_sm_clock_mhz},
                   {"sm_clock_max_mhz", o.max_sm_clock_mhz},
                   {"clock_event_reasons", topology::Nvml::describe_clock_event_reasons(o.clock_event_reasons)},
                   {"pcie_replays", o.replay_delta ? nlohmann::json(*o.replay_delta) : nlohmann::json(nullptr)},
                   {"samples", o.samples}});
  }
  return out;
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
                     {"total_gbps", c.total_gbps},
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
                     {"samples", c.sampling.samples},
                     {"host_numa_node", c.host_numa_node},
                     {"observations", observations(c.observations)}});
  }
  return {{"schema", kBenchSchema},
          {"mode", run.simulated ? "simulated" : "real"},
          {"backend", run.backend},
          {"bytes", run.bytes},
          {"repetitions", run.repetitions},
          {"cells", cells}};
}

}  // namespace rigcheck::bench
