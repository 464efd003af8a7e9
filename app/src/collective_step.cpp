#include "rigcheck/app/collective_step.h"

#include <algorithm>

#include "rigcheck/bench/collective_runner.h"
#include "rigcheck/diagnosis/collective_rules.h"
#include "rigcheck/report/collectives_view.h"

namespace rigcheck::app {

nlohmann::json run_collective_step(const topology::Topology& t, bool simulated, const std::vector<uint64_t>& sizes,
                                   const std::vector<int>& gpus, double timeout_s,
                                   std::vector<diagnosis::Finding>& findings) {
  nlohmann::json out = nlohmann::json::array();
  for (auto model : {bench::ProcessModel::single, bench::ProcessModel::per_gpu}) {
    bench::CollectiveOptions o;
    o.sizes = sizes;
    o.gpus = gpus;
    o.process = model;
    o.timeout_s = std::max(timeout_s, bench::collective_budget_s(o));
    const bench::CollectiveMeasurement m = bench::measure_collectives(t, simulated, o, true);
    const bench::CollectiveRun* control = m.control_or_null();
    nlohmann::json j = report::collectives_json(m.main, control);
    const bench::CollectiveRun expected = diagnosis::expected_collectives(t, o);
    for (size_t i = 0; i < m.main.results.size() && i < expected.results.size(); ++i) {
      const double e = expected.results[i].busbw_gbps, v = m.main.results[i].busbw_gbps;
      j["results"][i]["expected_busbw_gbps"] = e;
      j["results"][i]["ratio_to_expected"] = e > 0 && v > 0 ? nlohmann::json(v / e) : nlohmann::json(nullptr);
    }
    out.push_back(j);
    for (auto& f : diagnosis::collective_findings(t, o, m.main, control, expected)) findings.push_back(std::move(f));
  }
  return out;
}

}  // namespace rigcheck::app
