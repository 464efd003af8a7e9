#include "rigcheck/bench/cell_workers.h"

namespace rigcheck::bench {

IsolatedOutcome measure_in_workers(const std::function<nlohmann::json(const std::set<std::string>& only)>& measure,
                                   double budget_s, const std::atomic<bool>* stop, int max_workers,
                                   const ProgressSink& on_progress) {
  using nlohmann::json;
  IsolatedOutcome merged;
  merged.result = {{"backend", ""}, {"cells", json::array()}, {"findings", json::array()}};
  std::set<std::string> pending;  // empty: every cell
  json left_over = json::array();  // the last worker's not-run cells, kept if no later worker runs them
  for (int worker = 0; worker < max_workers; ++worker) {
    IsolatedOutcome o = run_isolated([&] { return measure(pending); }, budget_s, stop, on_progress);
    if (o.kind != IsolatedOutcome::Kind::ok) {
      if (worker == 0) return o;
      break;
    }
    left_over = json::array();
    merged.result["backend"] = o.result.at("backend");
    for (const auto& f : o.result.at("findings")) merged.result["findings"].push_back(f);
    std::set<std::string> next;
    for (const auto& c : o.result.at("cells")) {
      if (c.at("status") == "not-run") {
        next.insert(c.at("name").get<std::string>());
        left_over.push_back(c);
      } else {
        merged.result["cells"].push_back(c);
      }
    }
    if (next.empty()) break;
    pending = std::move(next);
  }
  for (const auto& c : left_over) merged.result["cells"].push_back(c);
  return merged;
}

}  // namespace rigcheck::bench
