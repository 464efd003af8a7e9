// The cluster part of `rigcheck compare` (compare_cluster.h): rows of per-node verdicts and of
// inter-node figures, one column per report, laid out like the cells of a single node's compare.
#include "compare_cluster.h"

#include <map>

#include "compare_rows.h"
#include "format.h"
#include "rigcheck/diagnosis/expected.h"

namespace rigcheck::report::detail {

using nlohmann::json;

namespace {

// One row's entry for one report: what is shown, the figure for the change, and its verdict.
struct Entry {
  std::string shown = "-";
  double value = 0;      // 0: no figure to compare
  std::string verdict = "-";
};

// A bandwidth against its expectation, in the verdict words of the rest of the report.
Entry figure(double gbps, double expected, const std::string& check) {
  Entry e;
  if (check != "ok") {
    e.shown = check;
    e.verdict = check;
    return e;
  }
  e.shown = gbps_text(gbps);
  e.value = gbps;
  e.verdict = expected <= 0 ? "no_expectation" : gbps >= diagnosis::kOkRatio * expected ? "ok" : "below_expectation";
  return e;
}

// The rows of one report, by row name, in the order the report holds them.
void rows_of(const json& r, size_t column, size_t columns, std::vector<std::string>& order,
             std::map<std::string, std::vector<Entry>>& rows) {
  auto put = [&](const std::string& name, Entry e) {
    if (!rows.count(name)) order.push_back(name), rows[name].assign(columns, Entry{});
    rows[name][column] = std::move(e);
  };
  for (const auto& n : r.value("nodes", json::array())) {
    Entry e;
    const json& rep = n.value("report", json());
    const std::string failure = n.value("failure", std::string());
    e.shown = !failure.empty() || !rep.is_object() ? "failed" : rep.at("verdict").at("worst").get<std::string>();
    e.verdict = e.shown;
    put(n.value("name", std::string("?")) + " verdict", e);
  }
  const json& inter = r.value("internode", json::object());
  for (const auto& c : inter.value("collectives", json::array())) {
    const auto& results = c.value("results", json::array());
    if (results.empty()) continue;
    const json& last = results.back();  // the largest size: the bandwidth-bound one
    put(c.value("op", std::string("?")) + " " + c.value("scope", std::string("?")) + " busbw GB/s (" +
            size_text(last.value("bytes", uint64_t{0})) + ")",
        figure(last.value("busbw_gbps", 0.0), c.value("expected_busbw_gbps", 0.0), last.value("check", std::string("ok"))));
  }
  std::vector<std::string> names;
  for (const auto& n : r.value("nodes", json::array())) names.push_back(n.value("name", std::string("?")));
  auto name_of = [&](int i) { return i >= 0 && i < static_cast<int>(names.size()) ? names[i] : "node" + std::to_string(i); };
  for (const auto& l : inter.value("pairwise", json::array()))
    put(name_of(l.value("from_node", -1)) + " -> " + name_of(l.value("to_node", -1)) + " send/recv GB/s",
        figure(l.value("gbps", 0.0), l.value("expected_gbps", 0.0), l.value("check", std::string("ok"))));
}

}  // namespace

bool any_cluster(const std::vector<json>& reports) {
  for (const auto& r : reports)
    if (r.contains("nodes") && r.contains("internode")) return true;
  return false;
}

void compare_clusters(const std::vector<json>& reports, const std::vector<std::string>& names, bool markdown, std::ostream& out) {
  std::vector<std::string> order;
  std::map<std::string, std::vector<Entry>> rows;
  for (size_t i = 0; i < reports.size(); ++i) rows_of(reports[i], i, reports.size(), order, rows);
  if (order.empty()) return;
  if (markdown) {
    out << "\n## Between nodes\n\n";
    print_compare_header("node or figure", names, out);
  } else {
    out << "\nBetween nodes:\n";
  }
  for (const auto& name : order) {
    const auto& row = rows[name];
    std::vector<std::string> shown, verdicts;
    std::string changes;
    for (const auto& e : row) shown.push_back(e.shown), verdicts.push_back(e.verdict);
    for (size_t i = 1; i < row.size(); ++i) {
      // A failed figure (value 0) has no change.
      const std::string d = row[i].value > 0 ? percent_change(row[0].value, row[i].value) : "";
      if (!d.empty()) changes += (changes.empty() ? "" : ", ") + d;
    }
    print_compare_row(name, shown, verdicts, changes, markdown, out);
  }
}

}  // namespace rigcheck::report::detail
