#include "rigcheck/diagnosis/collective_rules.h"

#include <cstdio>

#include "rigcheck/diagnosis/catalogue.h"
#include "rigcheck/diagnosis/expected.h"
#include "rigcheck/fabric/fabric_constants.h"

namespace rigcheck::diagnosis {

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

// Pairs of ranks whose GPUs CUDA says can reach each other directly (PCIe P2P or NVLink).
bool p2p_expected(const topology::Topology& t, const std::vector<int>& gpus, const bench::ChannelRoute& r) {
  if (r.from_rank >= static_cast<int>(gpus.size()) || r.to_rank >= static_cast<int>(gpus.size())) return false;
  const auto* p = t.pair(gpus[r.from_rank], gpus[r.to_rank]);
  return p && (p->nvlink_links > 0 || (p->p2p.cuda && *p->p2p.cuda));
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

CollectiveRun expected_collectives(const topology::Topology& t, const bench::CollectiveOptions& o) {
  auto constants = fabric::default_fabric_constants();
  constants.noise_sigma = 0;
  return bench::simulate_collectives(healthy_version(t), constants, o);
}

std::vector<Finding> collective_findings(const topology::Topology& t, const bench::CollectiveOptions& o,
                                         const CollectiveRun& run, const CollectiveRun* control,
                                         const CollectiveRun& expected) {
  std::vector<int> gpus = o.gpus;
  if (gpus.empty())
    for (const auto& g : t.gpus) gpus.push_back(g.index);
  std::vector<Finding> findings;
  const std::string where = std::string("allreduce, ") + bench::to_string(run.process) + " process model";
  const std::string verdict = collective_verdict(run, control, Collective::all_reduce);
  if (verdict == "wrong results")
    findings.push_back(make_finding("nccl-wrong-results", {}, {where}, gpus));
  else if (verdict == "hang" || verdict == "crash" || verdict == "error")
    findings.push_back(make_finding(verdict == "hang" ? "nccl-hang" : verdict == "crash" ? "nccl-crash" : "nccl-error", {},
                                    {where + ": " + run.detail}, gpus));
  else if (verdict.rfind("slower than the control", 0) == 0)
    findings.push_back(make_finding("nccl-slower-than-control", {}, {where}, gpus));
  if (run.status != "ok" || o.sizes.empty()) return findings;
  for (size_t i = 0; i < run.results.size() && i < expected.results.size(); ++i) {
    const auto& r = run.results[i];
    if (r.in_place || r.bytes != o.sizes.back() || expected.results[i].busbw_gbps <= 0) continue;
    const double ratio = r.busbw_gbps / expected.results[i].busbw_gbps;
    if (ratio < kOkRatio) {
      char buf[160];
      std::snprintf(buf, sizeof buf, "%s at %llu bytes: busbw %.2f GB/s = %.0f%% of %.2f expected", where.c_str(),
                    static_cast<unsigned long long>(r.bytes), r.busbw_gbps, ratio * 100, expected.results[i].busbw_gbps);
      findings.push_back(make_finding("collective-below-expectation", {}, {buf}, gpus));
    }
  }
  std::vector<std::string> fallback;
  for (const auto& route : run.transports.routes)
    if ((route.transport == "SHM" || route.transport == "NET") && p2p_expected(t, gpus, route))
      fallback.push_back("rank " + std::to_string(route.from_rank) + " -> " + std::to_string(route.to_rank) + " via " + route.detail);
  if (!fallback.empty()) {
    if (fallback.size() > 8) fallback.resize(8);
    findings.push_back(make_finding("nccl-not-using-p2p", {}, fallback, gpus));
  }
  return findings;
}

}  // namespace rigcheck::diagnosis
