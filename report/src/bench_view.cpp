#include "rigcheck/report/bench_view.h"

#include "format.h"
#include "rigcheck/bench/json.h"

#include <cstdio>
#include <map>
#include <string>

namespace rigcheck::report {

using diagnosis::Judgement;
using diagnosis::Verdict;
using diagnosis::kOkRatio;

using bench::CellResult;
using bench::CellStatus;
using fabric::PeerPath;
namespace {

using detail::format_value;

// The text of one cell: the median, or what happened instead. Host-staged numbers carry a
// marker because they are not peer-to-peer figures.
std::string cell_text(const CellResult& c) {
  using bench::to_string;
  switch (c.status) {
    case CellStatus::corrupt: return "CORRUPT";
    case CellStatus::hang: return "HANG";
    case CellStatus::error: return "ERROR";
    case CellStatus::unsupported: return "n/a";
    case CellStatus::not_run: return "not run";
    case CellStatus::ok: break;
  }
  std::string s = format_value(c.value(), c.unit);
  if (c.plan.path == PeerPath::host_staged) s += "*";
  return s;
}

std::string percent_text(const CellResult& c, const Judgement& j) {
  if (c.status != CellStatus::ok || j.ratio <= 0) return "";
  char buf[32];
  const bool short_of = j.verdict == Verdict::below_expectation || j.verdict == Verdict::cross_socket;
  std::snprintf(buf, sizeof buf, "%.0f%%%s", j.ratio * 100, short_of ? "!" : "");
  return buf;
}

using Row = std::pair<const CellResult*, const Judgement*>;

void render_test(const std::string& test, const std::vector<Row>& cells, int gpus, std::ostream& out) {
  const CellResult& first = *cells.front().first;
  const bench::TestSpec* spec = bench::find_test(test);
  out << test << " (" << first.unit << ", median";
  if (first.plan.direction == "bi") out << ", bidirectional";
  out << ")" << (spec ? ": " + spec->description : "") << "\n";
  char buf[64];
  if (first.plan.row >= 0) {
    std::map<std::pair<int, int>, Row> at;
    for (const auto& r : cells) at[{r.first->plan.row, r.first->plan.col}] = r;
    auto matrix = [&](const char* title, auto text) {
      out << "  " << title << "\n  src\\dst ";
      for (int j = 0; j < gpus; ++j) {
        std::snprintf(buf, sizeof buf, "%10s", ("GPU" + std::to_string(j)).c_str());
        out << buf;
      }
      out << "\n";
      for (int i = 0; i < gpus; ++i) {
        std::snprintf(buf, sizeof buf, "  %-8s", ("GPU" + std::to_string(i)).c_str());
        out << buf;
        for (int j = 0; j < gpus; ++j) {
          auto it = at.find({i, j});
          std::string cell = i == j ? "-" : (it == at.end() ? "" : text(it->second));
          std::snprintf(buf, sizeof buf, "%10s", cell.c_str());
          out << buf;
        }
        out << "\n";
      }
    };
    matrix("measured:", [](const Row& r) { return cell_text(*r.first); });
    matrix("% of expected:", [](const Row& r) { return percent_text(*r.first, *r.second); });
  } else {
    out << "  " << std::string(16, ' ');
    for (const auto& r : cells) {
      std::snprintf(buf, sizeof buf, "%10s", ("GPU" + std::to_string(r.first->plan.col)).c_str());
      out << buf;
    }
    out << "\n  measured        ";
    for (const auto& r : cells) {
      std::snprintf(buf, sizeof buf, "%10s", cell_text(*r.first).c_str());
      out << buf;
    }
    out << "\n  % of expected   ";
    for (const auto& r : cells) {
      std::snprintf(buf, sizeof buf, "%10s", percent_text(*r.first, *r.second).c_str());
      out << buf;
    }
    out << "\n";
  }
  for (const auto& [c, j] : cells) {
    if (c->status != CellStatus::ok && c->status != CellStatus::unsupported)
      out << "  ! " << c->plan.name() << ": " << bench::to_string(c->status) << ": " << c->detail << "\n";
    else if (j->verdict == Verdict::below_expectation || j->verdict == Verdict::cross_socket)
      out << "  ! " << c->plan.name() << ": " << to_string(j->verdict) << " (expected " << format_value(j->expected.value, c->unit)
          << " " << c->unit << ": " << j->expected.reasoning << ")\n";
  }
}

}  // namespace

void render_bench(const bench::BenchRun& run, const std::vector<Judgement>& judgements, int gpu_count, std::ostream& out) {
  if (run.simulated)
    out << "SIMULATED: these numbers come from rigcheck's fabric model (" << run.backend
        << "), not from a measurement.\n";
  else
    out << "Measured with " << run.backend << ".\n";
  out << "Buffer " << run.bytes << " bytes, " << run.repetitions
      << " copies per sample, adaptive sampling; GB/s = 10^9 bytes/s. '*' = host-staged (no peer access), n/a = "
         "cannot run on this path; '!' = below " << static_cast<int>(kOkRatio * 100)
      << "% of what this machine should do with every link at its maximum.\n\n";
  std::vector<std::string> order;
  std::map<std::string, std::vector<Row>> by_test;
  for (size_t i = 0; i < run.cells.size(); ++i) {
    const auto& c = run.cells[i];
    if (!by_test.count(c.plan.test)) order.push_back(c.plan.test);
    by_test[c.plan.test].push_back({&c, &judgements.at(i)});
  }
  for (const auto& test : order) {
    render_test(test, by_test[test], gpu_count, out);
    out << "\n";
  }
  if (run.cells.empty()) out << "No measurement ran (the filter matched nothing?).\n";
}

nlohmann::json bench_json(const bench::BenchRun& run, const std::vector<Judgement>& judgements) {
  nlohmann::json j = bench::to_json(run);
  auto& cells = j["cells"];
  for (size_t i = 0; i < cells.size(); ++i) {
    const Judgement& g = judgements.at(i);
    cells[i]["expected"] = g.expected.value > 0 ? nlohmann::json(g.expected.value) : nlohmann::json(nullptr);
    cells[i]["expected_reasoning"] = g.expected.reasoning;
    cells[i]["ratio_to_expected"] = g.ratio > 0 ? nlohmann::json(g.ratio) : nlohmann::json(nullptr);
    cells[i]["verdict"] = to_string(g.verdict);
  }
  return j;
}

}  // namespace rigcheck::report
