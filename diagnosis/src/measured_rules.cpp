#include "rigcheck/diagnosis/measured_rules.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <set>

#include "rigcheck/diagnosis/catalogue.h"
#include "switch_rules.h"
#include "rigcheck/fabric/fabric.h"
#include "rigcheck/fabric/fabric_constants.h"
#include "rigcheck/topology/nvml.h"
#include "rigcheck/topology/paths.h"

namespace rigcheck::diagnosis {
namespace {

// P2P below this share of the host-staged estimate is "slower than host-staged": a healthy direct
// path is faster than staging, a redirected or translated one falls far below it (ACS, IOMMU).
constexpr double kStagedMargin = 0.9;

using bench::CellResult;
using bench::CellStatus;

std::string fmt(double v, const char* unit) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.2f %s", v, unit);
  return buf;
}

std::vector<int> gpus_of(const CellResult& c) {
  std::vector<int> g;
  for (const auto& e : {c.plan.src, c.plan.dst})
    if (!e.is_host() && e.gpu >= 0) g.push_back(e.gpu);
  return g;
}

// Cells grouped under one finding id (its wording from the catalogue), each adding a line of evidence.
struct Collector {
  std::map<std::string, Finding> by_id;
  std::vector<std::string> order;
  Finding& get(const std::string& id) {
    auto it = by_id.find(id);
    if (it != by_id.end()) return it->second;
    order.push_back(id);
    return by_id[id] = make_finding(id);
  }
  void add(const std::string& id, const std::string& evidence, const std::vector<int>& gpus) {
    Finding& f = get(id);
    if (f.evidence.size() < 12) f.evidence.push_back(evidence);
    else if (f.evidence.size() == 12) f.evidence.push_back("…");
    for (int g : gpus)
      if (std::find(f.gpus.begin(), f.gpus.end(), g) == f.gpus.end()) f.gpus.push_back(g);
  }
};

// What on a cell's path explains a shortfall, each cause with the finding that states it. The
// platform's own limits (a Gen3 slot for a Gen4 card) are not causes: the expectation already
// assumes them, and the report states them once in its header.
struct Cause {
  std::string text;     // "ACS redirect on 0000:03:04.0"
  std::string finding;  // "acs-redirect"
};

std::vector<Cause> causes_on_path(const topology::Topology& t, const CellResult& c) {
  std::vector<Cause> causes;
  for (int g : gpus_of(c))
    if (t.gpus[g].chipset_attached) causes.push_back({"GPU" + std::to_string(g) + " is in a chipset slot", "chipset-attached-gpu"});
  if (c.plan.row >= 0) {
    for (int x : topology::bridges_on_path(t, t.gpus[c.plan.row].node, t.gpus[c.plan.col].node))
      if (t.pci[x].acs && t.pci[x].acs->redirects_p2p() && t.pci[x].address)
        causes.push_back({"ACS redirect on " + t.pci[x].address->str(), "acs-redirect"});
    if (t.system.iommu == topology::IommuMode::translated) causes.push_back({"the IOMMU translates peer traffic", "iommu-translating"});
  }
  return causes;
}

std::string joined(const std::vector<Cause>& causes) {
  std::string s;
  for (const auto& x : causes) s += (s.empty() ? "" : "; ") + x.text;
  return s;
}

// "860 ns = 2.0x the expected 430 ns" (lower is better) or "12.00 GB/s = 45% of 26.70 GB/s".
std::string against_expectation(double value, const Judgement& j, const std::string& unit) {
  char buf[96];
  if (unit == "ns")
    std::snprintf(buf, sizeof buf, "%.0f ns = %.1fx the expected %.0f ns", value, j.ratio > 0 ? 1 / j.ratio : 0.0, j.expected.value);
  else
    std::snprintf(buf, sizeof buf, "%.2f %s = %d%% of %.2f %s", value, unit.c_str(), static_cast<int>(j.ratio * 100 + 0.5),
                  j.expected.value, unit.c_str());
  return buf;
}

// Cells of one test that share a finding and the kinds of cause on their paths: one line of
// evidence for all of them (how many, the range, the worst three, the causes and the findings
// that state them), every cell in the finding's details.
struct Group {
  std::string id;          // the finding
  std::string test;
  std::string unit;
  std::vector<std::string> cause_findings;  // sorted, unique: the key with id and test
  std::vector<std::string> cause_texts;     // in first-seen order, unique
  std::vector<std::string> lines;           // one per cell, for the details
  struct Case {
    double badness;  // higher is worse: 1 - ratio
    std::string pair;
    std::string value;
  };
  std::vector<Case> cases;
  double lo_value = 0, hi_value = 0, lo_ratio = 0, hi_ratio = 0, expected_lo = 0, expected_hi = 0;
  std::vector<int> gpus;
};

std::string pair_name(const CellResult& c) {
  const std::string name = c.plan.name();
  const auto slash = name.find('/');
  return slash == std::string::npos ? name : name.substr(slash + 1);
}

// How a group falls short, in its finding's words: below the expected figure, or below what a
// host-staged copy would reach.
struct Wording {
  const char* shortfall;  // "below expectation"
  const char* against;    // "the expected"
};

Wording wording_of(const std::string& id) {
  if (id == "p2p-slower-than-host-staged") return {"slower than host-staged copies would be", "the host-staged"};
  return {"below expectation", "the expected"};
}

// "6.65-6.72", or "13.37" when both ends print the same.
std::string range(const char* format, double lo, double hi) {
  char a[32], b[32];
  std::snprintf(a, sizeof a, format, lo);
  std::snprintf(b, sizeof b, format, hi);
  return std::string(a) == b ? a : std::string(a) + "-" + b;
}

std::string summary_of(const Group& g, int cells_of_test) {
  const Wording w = wording_of(g.id);
  const int n = static_cast<int>(g.lines.size());
  char buf[320];
  std::string s;
  if (g.unit == "ns") {
    std::snprintf(buf, sizeof buf, "%s: %d of %d cells slower than expected, %s the expected %.0f ns (%s ns)", g.test.c_str(), n,
                  cells_of_test, range("%.1fx", 1 / g.hi_ratio, 1 / g.lo_ratio).c_str(), g.expected_lo,
                  range("%.0f", g.lo_value, g.hi_value).c_str());
    s = buf;
  } else {
    std::snprintf(buf, sizeof buf, "%s: %d of %d cells %s, %s%% of %s %s %s (%s %s)", g.test.c_str(), n, cells_of_test, w.shortfall,
                  range("%.0f", g.lo_ratio * 100, g.hi_ratio * 100).c_str(), w.against,
                  range("%.2f", g.expected_lo, g.expected_hi).c_str(), g.unit.c_str(), range("%.2f", g.lo_value, g.hi_value).c_str(),
                  g.unit.c_str());
    s = buf;
  }
  auto worst = g.cases;
  std::stable_sort(worst.begin(), worst.end(), [](const Group::Case& a, const Group::Case& b) { return a.badness > b.badness; });
  s += "; worst";
  for (size_t i = 0; i < worst.size() && i < 3; ++i) s += (i ? ", " : " ") + worst[i].pair + " " + worst[i].value;
  if (!g.cause_texts.empty()) {
    // The bridges that redirect, as one list; every other cause as it is.
    const std::string acs = "ACS redirect on ";
    std::vector<std::string> bridges, others;
    for (const auto& c : g.cause_texts) (c.rfind(acs, 0) == 0 ? bridges : others).push_back(c.substr(c.rfind(acs, 0) == 0 ? acs.size() : 0));
    std::string causes;
    if (!bridges.empty()) {
      causes = acs;
      for (size_t i = 0; i < bridges.size() && i < 3; ++i) causes += (i ? ", " : "") + bridges[i];
      if (bridges.size() > 3) causes += " and " + std::to_string(bridges.size() - 3) + " more";
    }
    for (const auto& o : others) causes += (causes.empty() ? "" : "; ") + o;
    s += "; on their paths: " + causes + " (see";
    for (const auto& f : g.cause_findings) s += " " + f;
    s += ")";
  }
  return s;
}

}  // namespace

std::vector<Finding> measured_findings(const topology::Topology& t, const bench::BenchRun& run,
                                       const std::vector<Judgement>& judgements,
                                       const std::set<std::pair<int, int>>& staged_measured) {
  Collector c;
  std::vector<Group> groups;
  std::map<std::string, int> ok_cells;  // per test
  auto group_cell = [&](const std::string& id, const CellResult& cell, const Judgement& j, double ratio, const std::string& line,
                        const std::string& value_text) {
    const auto causes = causes_on_path(t, cell);
    std::vector<std::string> kinds;
    for (const auto& x : causes)
      if (std::find(kinds.begin(), kinds.end(), x.finding) == kinds.end()) kinds.push_back(x.finding);
    std::sort(kinds.begin(), kinds.end());
    auto it = std::find_if(groups.begin(), groups.end(),
                           [&](const Group& g) { return g.id == id && g.test == cell.plan.test && g.cause_findings == kinds; });
    if (it == groups.end()) {
      groups.push_back({id, cell.plan.test, cell.unit, kinds, {}, {}, {}, cell.value(), cell.value(), ratio, ratio,
                        j.expected.value, j.expected.value, {}});
      it = groups.end() - 1;
    }
    Group& g = *it;
    for (const auto& x : causes)
      if (std::find(g.cause_texts.begin(), g.cause_texts.end(), x.text) == g.cause_texts.end()) g.cause_texts.push_back(x.text);
    g.lines.push_back(line);
    g.cases.push_back({1 - ratio, pair_name(cell), value_text});
    g.lo_value = std::min(g.lo_value, cell.value());
    g.hi_value = std::max(g.hi_value, cell.value());
    g.lo_ratio = std::min(g.lo_ratio, ratio);
    g.hi_ratio = std::max(g.hi_ratio, ratio);
    g.expected_lo = std::min(g.expected_lo, j.expected.value);
    g.expected_hi = std::max(g.expected_hi, j.expected.value);
    for (int x : gpus_of(cell))
      if (std::find(g.gpus.begin(), g.gpus.end(), x) == g.gpus.end()) g.gpus.push_back(x);
  };
  const fabric::Fabric fabric(t, fabric::default_fabric_constants());
  std::set<int> downtrained_seen;  // one line per GPU, not per cell
  for (size_t i = 0; i < run.cells.size(); ++i) {
    const CellResult& cell = run.cells[i];
    const Judgement& j = judgements.at(i);
    const std::string name = cell.plan.name();
    if (cell.status == CellStatus::ok) ++ok_cells[cell.plan.test];
    if (cell.status == CellStatus::corrupt) {
      c.add("p2p-data-corruption", name + ": " + cell.detail, gpus_of(cell));
    } else if (cell.status == CellStatus::hang) {
      c.add("transfer-hang", name + ": " + cell.detail, gpus_of(cell));
    }
    if (j.verdict == Verdict::below_expectation || j.verdict == Verdict::cross_socket) {
      const std::string cause = joined(causes_on_path(t, cell));
      char value[32];
      std::snprintf(value, sizeof value, cell.unit == "ns" ? "%.0f" : "%.2f", cell.value());
      group_cell("below-expectation", cell, j, j.ratio,
                 name + ": " + against_expectation(cell.value(), j, cell.unit) + (cause.empty() ? "" : " (" + cause + ")"), value);
    }
    // Direct P2P slower than bouncing through host memory would be: the ACS/IOMMU signature.
    if (cell.status == CellStatus::ok && cell.plan.row >= 0 && cell.plan.path == fabric::PeerPath::direct &&
        cell.unit == "GB/s" && cell.plan.direction == "uni") {
      const auto& ga = t.gpus[cell.plan.row];
      const auto& gb = t.gpus[cell.plan.col];
      const auto* pair = t.pair(cell.plan.row, cell.plan.col);
      if (pair && pair->nvlink_links == 0 && ga.host_path.gbps > 0 && gb.host_path.gbps > 0 &&
          !staged_measured.count({cell.plan.row, cell.plan.col})) {
        // The staged figure is the fabric's own route for it (both legs, the links as they run,
        // the socket crossing), so it crosses whatever narrow link or socket link P2P crosses.
        const double staged = fabric.host_staged_gbps(cell.plan.src.gpu, cell.plan.dst.gpu);
        // Within a few percent is not "slower": both are estimates of one machine's links.
        if (staged > 0 && cell.value() < staged * kStagedMargin) {
          const std::string cause = joined(causes_on_path(t, cell));
          Judgement vs_staged = j;
          vs_staged.expected.value = staged;
          char value[32];
          std::snprintf(value, sizeof value, "%.2f", cell.value());
          group_cell("p2p-slower-than-host-staged", cell, vs_staged, cell.value() / staged,
                     name + ": " + fmt(cell.value(), "GB/s") + " direct vs ~" + fmt(staged, "GB/s") + " host-staged" +
                         (cause.empty() ? "" : " (" + cause + ")"),
                     value);
        }
      }
    }
    for (const auto& o : cell.observations) {
      const auto& g = t.gpus[o.gpu];
      const auto& n = t.pci[g.node];
      // Every observation is judged; a GPU is reported once, at its first downtrained one.
      if (n.link && n.link->max.known() && o.max_link.known() &&
          (o.max_link.width < n.link->max.width || o.max_link.gen < n.link->max.gen) && downtrained_seen.insert(o.gpu).second) {
        c.add("link-downtrained-under-load",
              "GPU" + std::to_string(o.gpu) + " " + g.address.str() + ": best " + describe(o.max_link) + " under load, maximum " +
                  describe(n.link->max),
              {o.gpu});
      }
      if (o.replay_delta && *o.replay_delta > 0)
        c.add("pcie-replays-during-test", "GPU" + std::to_string(o.gpu) + ": " + std::to_string(*o.replay_delta) + " replays during " + name,
              {o.gpu});
      const uint64_t slowdown = o.clock_event_reasons & ~uint64_t{0x1 | 0x2 | 0x10 | 0x100};  // not idle/app/sync/display
      if (slowdown) {
        std::string reasons;
        for (const auto& r : topology::Nvml::describe_clock_event_reasons(slowdown)) reasons += (reasons.empty() ? "" : ", ") + r;
        c.add("throttling-during-test", "GPU" + std::to_string(o.gpu) + ": " + reasons + " during " + name, {o.gpu});
      }
    }
    if (cell.host_numa_node >= 0) {
      for (int g : gpus_of(cell)) {
        if (t.gpus[g].numa_node >= 0 && t.gpus[g].numa_node != cell.host_numa_node && cell.plan.src.is_host() != cell.plan.dst.is_host())
          c.add("remote-numa-host-memory",
                name + ": host memory on node " + std::to_string(cell.host_numa_node) + ", GPU" + std::to_string(g) + " on node " +
                    std::to_string(t.gpus[g].numa_node),
                {g});
      }
    }
  }
  // A group of one cell keeps the cell's own line; larger ones are summarised, every cell in details.
  for (const auto& g : groups) {
    Finding& f = c.get(g.id);
    if (g.lines.size() == 1) {
      f.evidence.push_back(g.lines.front());
    } else {
      f.evidence.push_back(summary_of(g, ok_cells[g.test]));
    }
    for (const auto& l : g.lines) f.details.push_back(l);
    for (int x : g.gpus)
      if (std::find(f.gpus.begin(), f.gpus.end(), x) == f.gpus.end()) f.gpus.push_back(x);
  }
  std::vector<Finding> out;
  for (const auto& id : c.order) out.push_back(c.by_id[id]);
  switch_uplink_load_rules(t, run, out);
  std::stable_sort(out.begin(), out.end(), [](const Finding& a, const Finding& b) { return a.severity > b.severity; });
  return out;
}

}  // namespace rigcheck::diagnosis
