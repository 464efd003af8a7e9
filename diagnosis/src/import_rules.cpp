// What an imported output shows went wrong: wrong data, a crash or error line, an output that
// stops (a hang, a crash, or a cut paste: the text alone cannot tell which), a block that could
// not be read, and nccl-tests' own signatures (wrong results, a single rank, a binary built
// without MPI under mpirun, bus bandwidth collapsing above a size). Then every finding of an
// import in one list: measured rules, these, and the relative rules.

#include <map>
#include <set>

#include "import_util.h"
#include "rigcheck/diagnosis/catalogue.h"
#include "rigcheck/diagnosis/known_issues.h"
#include "rigcheck/diagnosis/import_rules.h"
#include "rigcheck/diagnosis/static_rules.h"
#include "rigcheck/diagnosis/measured_rules.h"
#include "rigcheck/ingest/blocks.h"
#include "rigcheck/topology/pcie_link.h"

namespace rigcheck::diagnosis {

std::vector<Finding> import_relative_findings(const ingest::PartialMachine& m, const ingest::MachineModel& mm, const ImportedRun& r);
std::vector<Finding> import_collective_findings(const ingest::PartialMachine& m, const ingest::MachineModel& mm);
std::vector<Finding> import_topology_findings(const ingest::PartialMachine& m);
std::vector<Finding> import_acs_iommu_findings(const ingest::PartialMachine& m, const ingest::MachineModel& mm);

namespace {

using detail::FindingSet;
using detail::import_wording;
using ingest::Event;

void event_findings(const ingest::PartialMachine& m, FindingSet& out) {
  for (const auto& c : m.conflicts) out.add(make_finding("import-inputs-disagree"), c);
  for (const Event& e : m.events) {
    const std::string line = detail::at(e.from) + ": " + (e.test.empty() ? "" : e.test + ": ") + e.text;
    switch (e.kind) {
      case Event::Kind::corrupt: out.add(import_wording("p2p-data-corruption"), "IMPORTED " + line); break;
      case Event::Kind::crash: out.add(make_finding("import-tool-crashed"), line); break;
      case Event::Kind::error: out.add(make_finding("import-tool-error"), line); break;
      case Event::Kind::truncated: out.add(make_finding("import-output-truncated"), line); break;
      case Event::Kind::unparsed: out.add(make_finding("import-block-unparsed"), detail::at(e.from) + ": " + e.from.tool + ": " + e.text); break;
      case Event::Kind::waived: out.add(make_finding("import-test-waived"), line); break;
    }
  }
}

int gpu_by_address(const ingest::PartialMachine& m, const ingest::MachineModel& mm, const std::string& bdf) {
  // Xid lines give "0000:63:00" without the function.
  for (const auto& g : m.gpus)
    if (g.address && (g.address->str() == bdf || g.address->str().rfind(bdf + ".", 0) == 0)) return ingest::position_of(mm, g.index);
  return -1;
}

void kernel_findings(const ingest::PartialMachine& m, const ingest::MachineModel& mm, FindingSet& out) {
  using K = ingest::KernelEvent::Kind;
  for (const auto& e : m.kernel) {
    const std::string where = " (" + detail::at(e.from) + ")";
    const int gpu = gpu_by_address(m, mm, e.device);
    switch (e.kind) {
      case K::link_limited:
        out.add(make_finding("pcie-link-limited-at-boot"),
                e.device + ": limited to " + e.limited_to + " by the link at " + e.limited_at + ", capable of " + e.capable_of + where, {gpu});
        break;
      case K::aer_corrected: out.add(import_wording("pcie-aer-errors"), e.device + ": " + e.text + where, {gpu}); break;
      case K::aer_uncorrected: {
        Finding f = import_wording("pcie-aer-errors");
        set_severity(f, Severity::critical);
        out.add(f, e.device + ": " + e.text + where, {gpu});
        set_severity(out.get(f), Severity::critical);  // an uncorrectable error makes the whole finding critical
        break;
      }
      case K::xid: {
        Finding f = make_finding("gpu-xid");
        if (e.xid == 79) set_severity(f, Severity::critical);
        out.add(f, e.device + ": " + e.text + where, {gpu});
        if (e.xid == 79) set_severity(out.get(f), Severity::critical);  // the GPU fell off the bus
        break;
      }
    }
  }
}

void lspci_findings(const ingest::PartialMachine& m, const ingest::MachineModel& mm, FindingSet& out) {
  for (const auto& k : m.lspci) {
    const std::string who = (k.device.empty() ? std::string("a device (no header line pasted)") : k.device) +
                            (k.name.empty() ? "" : " (" + k.name + ")");
    const std::string where = " (" + detail::at(k.from) + ")";
    const int gpu = gpu_by_address(m, mm, k.device);
    const bool narrower = (k.cap.width && k.sta.width && k.sta.width < k.cap.width) || k.width_downgraded;
    const bool slower = (k.cap.gen && k.sta.gen && k.sta.gen < k.cap.gen) || k.speed_downgraded;
    if (narrower)
      out.add(import_wording("pcie-width-below-max"), who + ": LnkSta " + describe(k.sta) + (k.cap.known() ? ", LnkCap " + describe(k.cap) : ", marked downgraded") + where, {gpu});
    else if (slower)
      out.add(import_wording("pcie-gen-below-max-at-rest"), who + ": LnkSta " + describe(k.sta) + (k.cap.known() ? ", LnkCap " + describe(k.cap) : ", marked downgraded") + where, {gpu});
  }
}

void vllm_findings(const ingest::PartialMachine& m, FindingSet& out) {
  const auto& v = m.vllm;
  const std::string at = " (" + detail::at(v.from) + ")";
  if (v.p2p_failed)
    out.add(make_finding("vllm-p2p-check-failed"), std::to_string(v.p2p_failed) + " \"lacks GPU P2P capability or P2P test failed\" line(s)" +
                          (v.cache_file.empty() ? "" : "; verdict read from the cache " + v.cache_file) + at);
  if (v.pcie_only) out.add(make_finding("vllm-custom-allreduce-pcie-only"), std::to_string(v.pcie_only) + " \"more than two PCIe-only GPUs\" line(s)" + at);
}

void transport_findings(const ingest::PartialMachine& m, FindingSet& out) {
  const auto& n = m.nccl;
  if (n.shm == 0 || n.p2p > 0) return;
  Finding f = import_wording("nccl-not-using-p2p");
  const bool granted = std::any_of(m.pairs.begin(), m.pairs.end(), [](const ingest::ImportedPair& p) { return p.p2p_granted == true; });
  // Peer access granted yet unused is a problem; with P2P switched off or unavailable it is the expected path.
  if (granted && !n.p2p_disabled) set_severity(f, Severity::warning);
  out.add(f, std::to_string(n.shm) + " connection(s) via SHM, 0 via P2P, " + std::to_string(n.net) + " via NET (" + detail::at(n.from) +
                 ", " + n.format + ")" + (n.p2p_disabled ? "; P2P disabled by the environment" : "") +
                 (granted ? "; peer access is granted between some GPUs" : ""));
}

void nccl_findings(const ingest::PartialMachine& m, FindingSet& out) {
  for (const auto& c : m.collectives) {
    const std::string name = (c.op.empty() ? std::string("nccl-tests") : c.op + "_perf") + " at " + detail::at(c.from);
    long wrong = 0;
    for (const auto& r : c.rows)
      if (r.wrong > 0) wrong += r.wrong;
    if (wrong > 0) out.add(import_wording("nccl-wrong-results"), name + ": " + std::to_string(wrong) + " wrong element(s) over the sweep");
    // One rank: algbw > 0 but busbw exactly 0 at every size of at least 1 MiB (all-reduce family).
    int big = 0, zero_bus = 0;
    for (const auto& r : c.rows)
      if (r.bytes >= (1u << 20) && r.algbw > 0) ++big, zero_bus += r.busbw == 0;
    if (big > 0 && zero_bus == big) out.add(make_finding("nccl-tests-single-rank"), name + ": busbw 0.00 at all " + std::to_string(big) + " sizes >= 1 MiB while algbw > 0");
    if (c.headers > 1 || c.avg_lines > 1)
      out.add(make_finding("nccl-tests-not-mpi"), name + ": " + std::to_string(c.headers) + " headers" +
                           (c.avg_lines > 1 ? ", " + std::to_string(c.avg_lines) + " \"Avg bus bandwidth\" lines" : "") +
                           " in one run (" + std::to_string(c.ranks) + " rank lines)");
    // Collapse: a size above the peak whose busbw is under half of the peak (out-of-place rows).
    double peak = 0;
    uint64_t peak_bytes = 0;
    for (const auto& r : c.rows)
      if (!r.in_place && r.busbw > peak) peak = r.busbw, peak_bytes = r.bytes;
    for (const auto& r : c.rows)
      if (!r.in_place && r.bytes > peak_bytes && peak > 1 && r.busbw < 0.5 * peak) {
        out.add(make_finding("nccl-busbw-collapse"), name + ": busbw " + detail::gbps(r.busbw) + " at " + std::to_string(r.bytes) + " bytes after a peak of " +
                               detail::gbps(peak) + " at " + std::to_string(peak_bytes) + " bytes");
        break;
      }
  }
}

// (tool, GPU) whose CE host-to-device copy was judged and met its expectation: an SM
// host-to-device figure below it there is the known SM-read behaviour (NVIDIA/nvbandwidth#24).
std::set<std::pair<std::string, int>> sm_h2d_known_behaviour(const ingest::PartialMachine& m, const ImportedRun& r) {
  std::set<std::pair<std::string, int>> out;
  for (size_t i = 0; i < r.run.cells.size(); ++i) {
    const ingest::ImportedCell& c = m.cells[r.source[i]];
    if (c.test == "host_to_device_ce" && r.judgements[i].expected.value > 0 && r.judgements[i].verdict == Verdict::ok)
      out.insert({c.from.tool, c.col});
  }
  return out;
}

}  // namespace

std::vector<Finding> import_findings(const ingest::PartialMachine& m, const ingest::MachineModel& mm, const ImportedRun& r) {
  // The measured rules see only the figures judged on rigcheck's own tests: the others have no
  // plan that says which path they took.
  bench::BenchRun judged = r.run;
  judged.cells.clear();
  std::vector<Judgement> judgements;
  const std::set<std::pair<std::string, int>> known_sm_read = sm_h2d_known_behaviour(m, r);
  for (size_t i = 0; i < r.run.cells.size(); ++i) {
    const ingest::ImportedCell& c = m.cells[r.source[i]];
    if (!c.mapped || r.judgements[i].expected.value <= 0) continue;
    // SM host-to-device below its expectation while the same GPU's CE host-to-device is fine is
    // the SM read of host memory, not the link (sm-h2d-below-d2h says so): not a shortfall.
    if (c.test == "host_to_device_sm" && known_sm_read.count({c.from.tool, c.col})) continue;
    judged.cells.push_back(r.run.cells[i]), judgements.push_back(r.judgements[i]);
  }
  // Pairs whose staged copy the output measured itself: p2p_rules compares P2P with that.
  std::set<std::pair<int, int>> staged_measured;
  for (const auto& c : m.cells) {
    if (c.status != "ok" || c.test != ingest::kP2pStagedTest) continue;
    const int a = ingest::position_of(mm, c.row), b = ingest::position_of(mm, c.col);
    if (a >= 0 && b >= 0) staged_measured.insert({a, b}), staged_measured.insert({b, a});
  }
  std::vector<Finding> all = measured_findings(mm.assumed, judged, judgements, staged_measured);
  // What each judged figure's expectation assumed, said on its evidence line.
  std::map<std::string, std::string> assumed;
  // A plan's row or col is -1 for "all GPUs" (all_to_one, one_to_all): no one card, no one pair.
  const auto gpu = [&](int position) { return position >= 0 && static_cast<size_t>(position) < mm.index_of.size(); };
  for (const auto& c : judged.cells) {
    const bool host = c.plan.src.is_host() || c.plan.dst.is_host();
    const auto* link = gpu(c.plan.col) ? &mm.assumed.pci[mm.assumed.gpus[c.plan.col].node].link : nullptr;
    if (host && link && *link && (*link)->max.known())
      assumed[c.plan.name()] = " (assuming the card's " + describe((*link)->max) + ")";
    else if (!host)
      assumed[c.plan.name()] = " (path between the GPUs not given)";
    if (!host && gpu(c.plan.row) && gpu(c.plan.col))
      if (const auto* p = ingest::find_pair(m, mm.index_of[c.plan.row], mm.index_of[c.plan.col]); p && (p->path || p->nvlink_links))
        assumed.erase(c.plan.name());
  }
  for (auto& f : all)
    for (auto* lines : {&f.evidence, &f.details})
      for (auto& e : *lines) {
        const auto it = assumed.find(e.substr(0, e.find(':')));
        if (f.id == "below-expectation" && it != assumed.end()) e += it->second;
        e = "IMPORTED " + e;
      }
  // A rigcheck report brings its whole machine (tree, ACS, IOMMU, slots): the doctor's checks
  // apply to it as to a live one. Not those of this build, which did not measure it.
  if (m.reported_topology) {
    for (auto& f : static_findings(mm.stated, BuildInfo{}))
      if (f.id != "no-gpu") all.push_back(std::move(f));
  } else {
    // A paste names its driver, CUDA and NCCL versions and its GPUs: the known-bad versions
    // apply to it as to a live machine (a rigcheck report gets them with the doctor's checks).
    for (auto& f : known_issue_findings(mm.stated)) {
      for (auto& e : f.evidence) e = "IMPORTED " + e;
      all.push_back(std::move(f));
    }
  }
  FindingSet set;
  event_findings(m, set);
  kernel_findings(m, mm, set);
  transport_findings(m, set);
  lspci_findings(m, mm, set);
  vllm_findings(m, set);
  nccl_findings(m, set);
  for (auto& f : import_relative_findings(m, mm, r)) all.push_back(std::move(f));
  for (auto& f : import_collective_findings(m, mm)) all.push_back(std::move(f));
  for (auto& f : import_topology_findings(m)) all.push_back(std::move(f));
  for (auto& f : import_acs_iommu_findings(m, mm)) all.push_back(std::move(f));
  for (auto& f : set.list) all.push_back(std::move(f));
  std::stable_sort(all.begin(), all.end(), [](const Finding& a, const Finding& b) { return a.severity > b.severity; });
  return all;
}

}  // namespace rigcheck::diagnosis
