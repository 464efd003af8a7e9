// Imported figures as a BenchRun on the assumed machine, judged like a live run. Where an input
// cannot tell, the judgement says what was assumed; a pair figure whose path no input gives is
// only called short when it is far short, since cross-socket or cross-host-bridge pairs are
// legitimately slower than the one-host-bridge machine the model assumes.

#include <map>

#include "rigcheck/fabric/fabric_constants.h"
#include "rigcheck/bench/sim_backend.h"
#include "rigcheck/ingest/blocks.h"
#include "rigcheck/diagnosis/import_rules.h"

namespace rigcheck::diagnosis {

namespace {

// Pair figures with an unknown path are flagged only below this share of the expectation.
constexpr double kUnknownPathRatio = 0.6;

// Buffer sizes of the tools' defaults, for the model's fixed per-copy cost: nvbandwidth copies
// 512 MiB since v0.4 (it does not print it), p2pBandwidthLatencyTest 40,000,000 ints.
uint64_t default_bytes(const ingest::Provenance& p) {
  if (p.bytes) return p.bytes;
  if (p.tool == ingest::kP2pTest) return 160000000ull;
  return 512ull << 20;
}

bench::CellStatus status_of(const std::string& s) {
  if (s == "unsupported") return bench::CellStatus::unsupported;
  if (s == "corrupt") return bench::CellStatus::corrupt;
  return bench::CellStatus::ok;
}

std::string where(const ingest::Provenance& p) {
  return "IMPORTED from " + p.file + ":" + std::to_string(p.line) + " (" + p.tool + (p.version.empty() ? "" : " " + p.version) + ")";
}

// A plan for a figure that no catalogue test measures: enough for the report's cell fields.
bench::CellPlan foreign_plan(const ingest::ImportedCell& c, int row, int col) {
  bench::CellPlan p;
  p.test = c.test;
  p.row = row;
  p.col = col;
  p.engine = c.from.method == "sm" ? fabric::Engine::sm : fabric::Engine::ce;
  p.src = row >= 0 ? fabric::Endpoint::device(row) : fabric::Endpoint::host();
  p.dst = fabric::Endpoint::device(col);
  p.direction = c.test.find("bidir") != std::string::npos ? "bi" : "uni";
  return p;
}

}  // namespace

ImportedRun judge_imported(const ingest::PartialMachine& m, const ingest::MachineModel& mm) {
  ImportedRun out;
  out.run.simulated = false;
  out.run.backend = "IMPORTED: figures read from other tools' outputs, not measured by rigcheck";
  out.run.repetitions = 1;
  const ExpectationModel model(mm.assumed);
  bench::SimBackend planner(mm.assumed, fabric::default_fabric_constants(), 1);
  std::map<std::pair<std::string, uint64_t>, std::vector<bench::CellPlan>> plans;
  for (size_t i = 0; i < m.cells.size(); ++i) {
    const ingest::ImportedCell& c = m.cells[i];
    const int col = ingest::position_of(mm, c.col);
    const int row = c.row >= 0 ? ingest::position_of(mm, c.row) : -1;
    if (col < 0 || (c.row >= 0 && row < 0)) continue;
    bench::CellResult r;
    const bench::TestSpec* spec = c.mapped ? bench::find_test(c.test) : nullptr;
    bool planned = false;
    if (spec) {
      const uint64_t bytes = default_bytes(c.from);
      auto& list = plans[{c.test, bytes}];
      if (list.empty()) {
        bench::PlanOptions opt;
        opt.bytes = bytes;
        list = bench::plan_cells(*spec, mm.assumed, planner, opt);
      }
      for (const auto& p : list)
        if (p.col == col && p.row == row) r.plan = p, planned = true;
    }
    if (!planned) r.plan = foreign_plan(c, row, col);
    r.status = status_of(c.status);
    r.unit = c.unit;
    r.detail = where(c.from);
    if (r.status == bench::CellStatus::ok) {
      r.sampling.samples = {c.value};
      r.sampling.stats.count = 1;
      r.sampling.stats.median = r.sampling.stats.min = r.sampling.stats.max = r.sampling.stats.mean = c.value;
      r.sampling.stop = bench::StopReason::sample_cap;
    }
    Judgement j;
    const bool cards_known = mm.model_known[col] && (row < 0 || mm.model_known[row]);
    if (planned && cards_known) {
      j = model.judge(r, 1);
      const bool host_test = r.plan.src.is_host() || r.plan.dst.is_host();
      if (host_test && j.expected.value > 0) j.expected.reasoning += "; link IMPORTED as unknown, assumed at the card's maximum";
      if (r.plan.row >= 0) {
        const ingest::ImportedPair* p = ingest::find_pair(m, c.row, c.col);
        const bool path_known = p && (p->path || p->nvlink_links > 0);
        if (!path_known && j.expected.value > 0) {
          j.expected.reasoning += "; path between the GPUs unknown (no nvidia-smi topo -m), assumed one host bridge";
          if (j.verdict == Verdict::below_expectation && j.ratio >= kUnknownPathRatio) j.verdict = Verdict::ok;
        }
      }
    } else if (planned) {
      j.expected.reasoning = "no expectation: the GPU model is not in rigcheck's model table";
      j.verdict = r.status == bench::CellStatus::unsupported ? Verdict::unsupported : Verdict::ok;
    } else {
      j.expected.reasoning = "no expectation: no rigcheck test measures " + c.foreign + " the same way";
      j.verdict = r.status == bench::CellStatus::unsupported ? Verdict::unsupported : Verdict::ok;
    }
    out.run.cells.push_back(std::move(r));
    out.judgements.push_back(std::move(j));
    out.source.push_back(i);
  }
  return out;
}

}  // namespace rigcheck::diagnosis
