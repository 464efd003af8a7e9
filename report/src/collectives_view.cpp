#include "rigcheck/report/collectives_view.h"

#include <algorithm>
#include <cstdio>

#include "rigcheck/diagnosis/collective_rules.h"

#include "rigcheck/report/redact.h"

namespace rigcheck::report {

using diagnosis::collective_verdict;

using bench::Collective;
using bench::CollectiveRun;
using diagnosis::collective_verdict;

void render_collectives(const CollectiveRun& run, const CollectiveRun* control, std::ostream& out) {
  if (run.simulated) out << "SIMULATED: collective figures come from rigcheck's ring model of this machine, not from NCCL.\n";
  if (run.status != "ok") {
    out << "Collectives: " << run.status << ": " << run.detail << "\n";
    return;
  }
  out << "# " << run.backend << ", " << run.ranks << " rank(s), process model " << bench::to_string(run.process)
      << (run.p2p_disabled ? ", NCCL_P2P_DISABLE=1" : "") << "\n";
  if (!run.environment_cleared.empty()) {
    out << "# not inherited from your environment (they would decide the transport under test):";
    for (const auto& v : run.environment_cleared) out << " " << v;
    out << "\n";
  }
  out << "#        size         count    type   place   time(us)  algbw(GB/s)  busbw(GB/s)  check\n";
  char buf[160];
  for (const auto& r : run.results) {
    std::snprintf(buf, sizeof buf, "%-14s %12llu %12llu %7s %7s %10.1f %12.2f %12.2f  %s", bench::to_string(r.op),
                  static_cast<unsigned long long>(r.bytes), static_cast<unsigned long long>(r.count), r.type.c_str(),
                  r.in_place ? "in" : "out", r.time_us, r.algbw_gbps, r.busbw_gbps, r.check.c_str());
    out << buf << "\n";
  }
  out << "Transports NCCL chose:";
  if (run.transports.count_by_transport.empty()) out << " (not reported)";
  for (const auto& [t, count] : run.transports.count_by_transport) out << " " << t << " x" << count;
  if (run.transports.nvls) out << " (NVLS)";
  out << "\n";
  std::vector<Collective> ops;
  for (const auto& r : run.results)
    if (std::find(ops.begin(), ops.end(), r.op) == ops.end()) ops.push_back(r.op);
  for (Collective op : ops) out << "Verdict " << bench::to_string(op) << ": " << collective_verdict(run, control, op) << "\n";
}

nlohmann::json collectives_json(const CollectiveRun& run, const CollectiveRun* control) {
  auto rows = [](const CollectiveRun& r) {
    nlohmann::json a = nlohmann::json::array();
    for (const auto& x : r.results)
      a.push_back({{"op", bench::to_string(x.op)}, {"bytes", x.bytes}, {"count", x.count}, {"type", x.type},
                   {"in_place", x.in_place}, {"time_us", x.time_us}, {"algbw_gbps", x.algbw_gbps},
                   {"busbw_gbps", x.busbw_gbps}, {"check", x.check}});
    return a;
  };
  auto transports = [](const CollectiveRun& r) {
    nlohmann::json routes = nlohmann::json::array();
    for (const auto& c : r.transports.routes)
      routes.push_back({{"channel", c.channel}, {"from_rank", c.from_rank}, {"to_rank", c.to_rank}, {"transport", c.transport},
                        {"detail", c.detail}});
    return nlohmann::json{{"counts", r.transports.count_by_transport}, {"routes", routes}, {"nvls", r.transports.nvls}};
  };
  nlohmann::json verdicts = nlohmann::json::object();
  for (const auto& r : run.results) verdicts[bench::to_string(r.op)] = collective_verdict(run, control, r.op);
  nlohmann::json j = {{"mode", run.simulated ? "simulated" : "real"}, {"backend", run.backend},
                      {"process_model", bench::to_string(run.process)}, {"ranks", run.ranks}, {"status", run.status},
                      {"detail", run.detail}, {"results", rows(run)}, {"transports", transports(run)}, {"verdicts", verdicts},
                      {"nccl_topology_xml", redaction_enabled() ? redact_nccl_topology(run.nccl_topology_xml) : run.nccl_topology_xml}};
  // The user's P2P switches the run did not inherit: a report must say what it measured without.
  j["environment_cleared"] = run.environment_cleared;
  j["control"] = control ? nlohmann::json{{"status", control->status}, {"results", rows(*control)}} : nlohmann::json(nullptr);
  return j;
}

}  // namespace rigcheck::report
