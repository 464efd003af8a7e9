#include "rigcheck/report/collectives_view.h"

#include <cstdio>

#include "rigcheck/report/redact.h"

namespace rigcheck::report {

using bench::Collective;
using bench::CollectiveResult;
using bench::CollectiveRun;

namespace {

// The largest out-of-place size both runs measured with a correct result.
const CollectiveResult* largest(const CollectiveRun& run, Collective op) {
  const CollectiveResult* best = nullptr;
  for (const auto& r : run.results)
    if (r.op == op && !r.in_place && r.check == "ok" && (!best || r.bytes > best->bytes)) best = &r;
  return best;
}

}  // namespace

std::string collective_verdict(const CollectiveRun& main, const CollectiveRun* control, Collective op) {
  if (main.status != "ok") return main.status;
  for (const auto& r : main.results)
    if (r.op == op && r.check == "wrong") return "wrong results";
  if (control && control->status == "ok") {
    const CollectiveResult* a = largest(main, op);
    const CollectiveResult* b = nullptr;
    if (a)
      for (const auto& r : control->results)
        if (r.op == op && !r.in_place && r.bytes == a->bytes && r.check == "ok") b = &r;
    // P2P should win; losing to the host path by more than noise is the ACS/IOMMU signature.
    if (a && b && a->busbw_gbps < 0.95 * b->busbw_gbps) return "slower than the control (P2P path is worse than going through the host)";
  }
  return "healthy";
}

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

#include "rigcheck/report/expected.h"

namespace rigcheck::report {

namespace {

// Pairs of ranks whose GPUs CUDA says can reach each other directly (PCIe P2P or NVLink).
bool p2p_expected(const topology::Topology& t, const std::vector<int>& gpus, const bench::ChannelRoute& r) {
  if (r.from_rank >= static_cast<int>(gpus.size()) || r.to_rank >= static_cast<int>(gpus.size())) return false;
  const auto* p = t.pair(gpus[r.from_rank], gpus[r.to_rank]);
  return p && (p->nvlink_links > 0 || (p->p2p.cuda && *p->p2p.cuda));
}

}  // namespace

nlohmann::json run_collective_step(const topology::Topology& t, bool simulated, const std::vector<uint64_t>& sizes,
                                   const std::vector<int>& gpus_in, double timeout_s, std::vector<Finding>& findings) {
  std::vector<int> gpus = gpus_in;
  if (gpus.empty())
    for (const auto& g : t.gpus) gpus.push_back(g.index);
  nlohmann::json out = nlohmann::json::array();
  const auto healthy = healthy_version(t);
  for (auto model : {bench::ProcessModel::single, bench::ProcessModel::per_gpu}) {
    bench::CollectiveOptions o;
    o.sizes = sizes;
    o.gpus = gpus_in;
    o.process = model;
    o.timeout_s = std::max(timeout_s, bench::collective_budget_s(o));
    const bench::CollectiveMeasurement m = bench::measure_collectives(t, simulated, o, true);
    const bench::CollectiveRun& run = m.main;
    const bench::CollectiveRun* control = m.control_or_null();
    nlohmann::json j = collectives_json(run, control);
    // Expected busbw: the ring model of the healthy machine, same sizes.
    auto expected = bench::simulate_collectives(healthy, [] {
      auto k = bench::default_fabric_constants();
      k.noise_sigma = 0;
      return k;
    }(), o);
    for (size_t i = 0; i < run.results.size() && i < expected.results.size(); ++i) {
      const double e = expected.results[i].busbw_gbps, m = run.results[i].busbw_gbps;
      j["results"][i]["expected_busbw_gbps"] = e;
      j["results"][i]["ratio_to_expected"] = e > 0 && m > 0 ? nlohmann::json(m / e) : nlohmann::json(nullptr);
    }
    out.push_back(j);

    const std::string where = std::string("allreduce, ") + bench::to_string(model) + " process model";
    const std::string verdict = collective_verdict(run, control, bench::Collective::all_reduce);
    if (verdict == "wrong results")
      findings.push_back({"nccl-wrong-results", Severity::critical, "NCCL all-reduce returned wrong data", {where},
                          "A collective produced values that are not the sum of the inputs: training would silently diverge.",
                          "Run with NCCL_P2P_DISABLE=1 until fixed; check the ACS, IOMMU and driver findings.",
                          "research/anchors-nccl-dcgm-peers.md §8", gpus});
    else if (verdict == "hang" || verdict == "crash" || verdict == "error")
      findings.push_back({"nccl-" + verdict, Severity::critical, "NCCL all-reduce " + verdict + (verdict == "hang" ? "s" : ""),
                          {where + ": " + run.detail},
                          "The collective did not complete; its workers were stopped so the run could go on.",
                          "Try NCCL_P2P_DISABLE=1; check the ACS and IOMMU findings; see NCCL_DEBUG=INFO output.",
                          "NVIDIA/nccl#199", gpus});
    else if (verdict.rfind("slower than the control", 0) == 0)
      findings.push_back({"nccl-slower-than-control", Severity::critical, "NCCL is faster with P2P disabled",
                          {where}, "Going through host memory beats the peer-to-peer path: P2P traffic is being detoured.",
                          "Fix the ACS/IOMMU findings; meanwhile export NCCL_P2P_DISABLE=1.", "NVIDIA/nccl#814", gpus});
    if (run.status == "ok") {
      for (size_t i = 0; i < run.results.size() && i < expected.results.size(); ++i) {
        const auto& r = run.results[i];
        if (r.in_place || r.bytes != sizes.back() || expected.results[i].busbw_gbps <= 0) continue;
        const double ratio = r.busbw_gbps / expected.results[i].busbw_gbps;
        if (ratio < kOkRatio) {
          char buf[160];
          std::snprintf(buf, sizeof buf, "%s at %llu bytes: busbw %.2f GB/s = %.0f%% of %.2f expected", where.c_str(),
                        static_cast<unsigned long long>(r.bytes), r.busbw_gbps, ratio * 100, expected.results[i].busbw_gbps);
          findings.push_back({"collective-below-expectation", Severity::warning, "All-reduce bus bandwidth below expectation",
                              {buf}, "busbw should approach the slowest ring link of the healthy machine.",
                              "See the findings about links, ACS and IOMMU on the GPUs' paths.", "nccl-tests doc/PERFORMANCE.md", gpus});
        }
      }
      std::vector<std::string> fallback;
      for (const auto& route : run.transports.routes)
        if ((route.transport == "SHM" || route.transport == "NET") && p2p_expected(t, gpus, route))
          fallback.push_back("rank " + std::to_string(route.from_rank) + " -> " + std::to_string(route.to_rank) + " via " + route.detail);
      if (!fallback.empty()) {
        if (fallback.size() > 8) fallback.resize(8);
        findings.push_back({"nccl-not-using-p2p", Severity::warning, "NCCL uses SHM/NET where P2P is available", fallback,
                            "CUDA allows peer access between these GPUs, yet NCCL routes through host memory or the network; "
                            "its P2P level policy (PXB by default) or a disabled transport keeps it off P2P.",
                            "Try NCCL_P2P_LEVEL=SYS (or PHB) and compare busbw; unset NCCL_P2P_DISABLE if set.",
                            "research/anchors-nccl-dcgm-peers.md §8 (item 7)", gpus});
      }
    }
  }
  return out;
}

}  // namespace rigcheck::report
