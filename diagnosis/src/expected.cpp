#include "rigcheck/diagnosis/expected.h"

#include <cstdio>

#include "rigcheck/bench/runner.h"

namespace rigcheck::diagnosis {

const char* to_string(Verdict v) {
  switch (v) {
    case Verdict::ok: return "ok";
    case Verdict::below_expectation: return "below_expectation";
    case Verdict::host_staged: return "host_staged";
    case Verdict::cross_socket: return "cross_socket";
    case Verdict::corrupt: return "corrupt";
    case Verdict::hang: return "hang";
    case Verdict::error: return "error";
    case Verdict::unsupported: return "unsupported";
    case Verdict::not_run: return "not_run";
  }
  return "?";
}

topology::Topology healthy_version(const topology::Topology& t) {
  topology::Topology h = t;
  for (auto& n : h.pci) {
    if (n.link && n.link->max.known()) n.link->current = n.link->max;
    if (n.acs) n.acs->control &= static_cast<uint16_t>(~(topology::AcsState::kRequestRedirect |
                                                         topology::AcsState::kCompletionRedirect |
                                                         topology::AcsState::kEgressControl));
  }
  if (h.system.iommu == topology::IommuMode::translated) h.system.iommu = topology::IommuMode::passthrough;
  return h;
}

namespace {

fabric::FabricConstants noiseless() {
  fabric::FabricConstants c = fabric::default_fabric_constants();
  c.noise_sigma = 0;
  return c;
}

std::string fmt(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", v);
  return buf;
}

}  // namespace

ExpectationModel::ExpectationModel(const topology::Topology& t)
    : healthy_(healthy_version(t)), constants_(noiseless()), sim_(healthy_, constants_, 1), actual_(t) {}

Expectation ExpectationModel::expect(const bench::CellPlan& cell, int repetitions) const {
  Expectation e;
  bench::RunOptions one;
  one.repetitions = repetitions;
  one.sampler.min_samples = 1;  // the model is deterministic here
  bench::CellPlan plan = cell;
  if (plan.path == fabric::PeerPath::unsupported) return e;
  bench::CellResult r = bench::measure_cell(sim_, plan, one);
  if (r.status != bench::CellStatus::ok || r.sampling.samples.empty()) return e;
  e.value = r.value();
  if (plan.transfers.empty()) {
    e.reasoning = "model latency of the route (per-hop costs in fabric/data/fabric.json)";
    return e;
  }
  const fabric::Transfer& t = plan.transfers.front();
  const fabric::Fabric& fabric = sim_.fabric();
  // The link that actually limits the measured copy among all the copies of the cell (a shared
  // root port or socket link, not necessarily the narrowest link on its own route).
  std::vector<fabric::Route> routes;
  for (const auto& x : plan.transfers) {
    routes.push_back(fabric.route(x.src, x.dst, x.engine));
    if (x.split_bidirectional) routes.push_back(fabric.route(x.dst, x.src, x.engine));
  }
  std::vector<const fabric::Route*> flows;
  for (const auto& r : routes) flows.push_back(&r);
  const fabric::Route& route = routes.front();
  const fabric::FairShare share = fabric.fair_share(flows);
  int edge = share.binding.front();
  if (edge < 0) edge = fabric.narrowest_edge(route);
  std::string kind = route.nvlink ? "NVLink" : "PCIe";
  e.reasoning = (edge >= 0 ? fabric.edge_name(edge) + " " + fmt(fabric.capacity(edge)) + " GB/s" : "no limiting link") +
                " x " + fmt(route.efficiency) + " (" + kind + ", " + (t.engine == fabric::Engine::ce ? "copy engine" : "SM copy") +
                (route.path == fabric::PeerPath::host_staged ? ", host-staged" : "") +
                (route.crosses_sockets ? ", across the sockets" : "") +
                (route.tlp_share < 1 ? ", of which " + fmt(route.tlp_share) + " for the root complex's 64-byte TLPs (" + fabric.platform().name + ")" : "") +
                ")";
  if (route.crosses_sockets && !fabric.platform().known)
    e.reasoning += "; socket link of an " + fabric::describe(fabric.platform(), healthy_);
  if (share.duplex.front() < 1)
    e.reasoning += " x " + fmt(share.duplex.front()) + " while GPU" + std::to_string(route.host_gpu) + "'s host link carries the other direction (" +
                   (route.to_host ? "GPU -> host under host -> GPU" : "host -> GPU under GPU -> host") + ", published for this architecture)";
  e.reasoning += ", less the fixed per-copy cost";
  if (plan.concurrency > 1) e.reasoning += ", shared max-min fairly with " + std::to_string(plan.concurrency - 1) + " other copies";
  if (plan.direction == "bi" && plan.aggregation == bench::Aggregation::total) e.reasoning += ", both directions counted";
  return e;
}

Judgement ExpectationModel::judge(const bench::CellResult& cell, int repetitions) const {
  Judgement j;
  switch (cell.status) {
    case bench::CellStatus::corrupt: j.verdict = Verdict::corrupt; return j;
    case bench::CellStatus::hang: j.verdict = Verdict::hang; return j;
    case bench::CellStatus::error: j.verdict = Verdict::error; return j;
    case bench::CellStatus::unsupported: j.verdict = Verdict::unsupported; return j;
    case bench::CellStatus::not_run: j.verdict = Verdict::not_run; return j;
    case bench::CellStatus::ok: break;
  }
  j.expected = expect(cell.plan, repetitions);
  const double measured = cell.value();
  if (j.expected.value > 0 && measured > 0)
    j.ratio = cell.unit == "ns" ? j.expected.value / measured : measured / j.expected.value;
  if (cell.plan.path == fabric::PeerPath::host_staged) {
    j.verdict = Verdict::host_staged;
  } else if (j.ratio > 0 && j.ratio < kOkRatio) {
    const topology::GpuPair* pair = cell.plan.row >= 0 ? actual_.pair(cell.plan.row, cell.plan.col) : nullptr;
    j.verdict = pair && pair->pcie == topology::PathClass::sys && pair->nvlink_links == 0 ? Verdict::cross_socket
                                                                                           : Verdict::below_expectation;
  }
  return j;
}

std::vector<Judgement> judge_run(const topology::Topology& t, const bench::BenchRun& run) {
  ExpectationModel model(t);
  std::vector<Judgement> out;
  for (const auto& c : run.cells) out.push_back(model.judge(c, run.repetitions));
  return out;
}

}  // namespace rigcheck::diagnosis
