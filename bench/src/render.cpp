#include "rigcheck/bench/render.h"

#include <cstdio>
#include <map>
#include <string>

namespace rigcheck::bench {
namespace {

// The text of one cell: the median, or what happened instead. Host-staged numbers carry a
// marker because they are not peer-to-peer figures.
std::string cell_text(const CellResult& c) {
  switch (c.status) {
    case CellStatus::corrupt: return "CORRUPT";
    case CellStatus::hang: return "HANG";
    case CellStatus::error: return "ERROR";
    case CellStatus::unsupported: return "n/a";
    case CellStatus::ok: break;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, c.unit == "ns" ? "%.0f" : "%.2f", c.value());
  std::string s = buf;
  if (c.plan.path == PeerPath::host_staged) s += "*";
  return s;
}

void render_test(const std::string& test, const std::vector<const CellResult*>& cells, int gpus, std::ostream& out) {
  const CellResult& first = *cells.front();
  const TestSpec* spec = find_test(test);
  out << test << " (" << first.unit << ", median";
  if (first.plan.direction == "bi") out << ", bidirectional";
  out << ")" << (spec ? ": " + spec->description : "") << "\n";
  char buf[64];
  if (first.plan.row >= 0) {
    std::map<std::pair<int, int>, const CellResult*> at;
    for (const auto* c : cells) at[{c->plan.row, c->plan.col}] = c;
    out << "  src\\dst ";
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
        std::snprintf(buf, sizeof buf, "%10s", i == j ? "-" : (it == at.end() ? "" : cell_text(*it->second).c_str()));
        out << buf;
      }
      out << "\n";
    }
  } else {
    out << "  ";
    for (const auto* c : cells) {
      std::snprintf(buf, sizeof buf, "%10s", ("GPU" + std::to_string(c->plan.col)).c_str());
      out << buf;
    }
    out << "\n  ";
    for (const auto* c : cells) {
      std::snprintf(buf, sizeof buf, "%10s", cell_text(*c).c_str());
      out << buf;
    }
    out << "\n";
  }
  for (const auto* c : cells)
    if (c->status != CellStatus::ok && c->status != CellStatus::unsupported)
      out << "  ! " << c->plan.name() << ": " << to_string(c->status) << ": " << c->detail << "\n";
}

}  // namespace

void render_bench(const BenchRun& run, int gpu_count, std::ostream& out) {
  if (run.simulated)
    out << "SIMULATED: these numbers come from rigcheck's fabric model (" << run.backend
        << "), not from a measurement.\n";
  else
    out << "Measured with " << run.backend << ".\n";
  out << "Buffer " << run.bytes << " bytes, " << run.repetitions
      << " copies per sample, adaptive sampling; GB/s = 10^9 bytes/s. '*' = host-staged (no peer access), n/a = "
         "cannot run on this path.\n\n";
  std::vector<std::string> order;
  std::map<std::string, std::vector<const CellResult*>> by_test;
  for (const auto& c : run.cells) {
    if (!by_test.count(c.plan.test)) order.push_back(c.plan.test);
    by_test[c.plan.test].push_back(&c);
  }
  for (const auto& test : order) {
    render_test(test, by_test[test], gpu_count, out);
    out << "\n";
  }
  if (run.cells.empty()) out << "No measurement ran (the filter matched nothing?).\n";
}

}  // namespace rigcheck::bench
