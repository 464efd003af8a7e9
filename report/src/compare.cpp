// `rigcheck compare`: reports side by side, cell by cell, with the change against the first and
// the findings that appear or disappear.

#include <algorithm>
#include <map>
#include <set>

#include "cells.h"
#include "compare_cluster.h"
#include "compare_rows.h"
#include "format.h"
#include "matrix_printer.h"
#include "rigcheck/report/report.h"
#include "rigcheck/report/view.h"

namespace rigcheck::report {

using nlohmann::json;

namespace {

using detail::cell_value;
using detail::markdown_text;
using detail::pair_of;

// Per pairwise test, the change of report `other` against the first, cell by cell, as a matrix:
// 90 lines of "gpuA-gpuB: x y (+z%)" would bury the pattern (a whole switch at -50 %) a matrix shows.
Matrix delta_matrix(const json& base, const json& other, const std::string& test, int& changed_verdicts) {
  int n = 0;
  std::map<std::pair<int, int>, const json*> a, b;
  auto index = [&](const json& r, std::map<std::pair<int, int>, const json*>& at) {
    for (const auto& c : r.at("measurements")) {
      int row, col;
      if (c.at("test") == test && pair_of(c, row, col)) {
        at[{row, col}] = &c;
        n = std::max({n, row + 1, col + 1});
      }
    }
  };
  index(base, a);
  index(other, b);
  Matrix m;
  m.title = test;
  m.cells.assign(n, std::vector<std::string>(n, ""));
  for (int i = 0; i < n; ++i) {
    m.labels.push_back("GPU" + std::to_string(i));
    m.cells[i][i] = "-";
  }
  for (const auto& [rc, c] : a) {
    auto it = b.find(rc);
    if (it == b.end()) continue;
    const json& x = *c;
    const json& y = *it->second;
    changed_verdicts += x.at("verdict") != y.at("verdict");
    if (x.at("status") != "ok" || y.at("status") != "ok") {
      m.cells[rc.first][rc.second] = y.at("status") == "ok" ? "was " + x.at("status").get<std::string>() : y.at("status").get<std::string>();
      continue;
    }
    m.cells[rc.first][rc.second] = detail::percent_change(x.at("median").get<double>(), y.at("median").get<double>());
  }
  return m;
}

}  // namespace

void render_compare(const std::vector<json>& reports, const std::vector<std::string>& names, bool markdown, std::ostream& out) {
  // Cells by name, in first-seen order.
  std::vector<std::string> order;
  std::map<std::string, std::vector<const json*>> cells;
  std::vector<std::string> pairwise_tests;
  for (size_t i = 0; i < reports.size(); ++i)
    for (const auto& c : reports[i].at("measurements")) {
      int row, col;
      if (pair_of(c, row, col)) {
        const std::string test = c.at("test");
        if (std::find(pairwise_tests.begin(), pairwise_tests.end(), test) == pairwise_tests.end()) pairwise_tests.push_back(test);
        continue;
      }
      const std::string name = c.at("name");
      if (!cells.count(name)) order.push_back(name), cells[name].assign(reports.size(), nullptr);
      cells[name][i] = &c;
    }
  auto value = [](const json* c) -> std::string { return c ? cell_value(*c) : "-"; };
  auto delta = [](const json* base, const json* c) -> std::string {
    if (!base || !c || base->at("status") != "ok" || c->at("status") != "ok") return "";
    return detail::percent_change(base->at("median").get<double>(), c->at("median").get<double>());
  };
  if (markdown) {
    out << "# rigcheck compare\n\n";
    for (size_t i = 0; i < reports.size(); ++i)
      out << "- **" << markdown_text(names[i]) << "**: " << markdown_text(build_view(reports[i]).title) << mode_label(reports[i].at("mode").get<std::string>())
          << ", verdict " << reports[i].at("verdict").at("worst").get<std::string>() << "\n";
    out << "\n";
    detail::print_compare_header("cell", names, out);
  } else {
    out << "rigcheck compare";
    for (size_t i = 0; i < reports.size(); ++i) out << (i ? " vs " : ": ") << names[i] << mode_label(reports[i].at("mode").get<std::string>());
    out << "\n";
  }
  for (const auto& name : order) {
    const auto& row = cells[name];
    std::vector<std::string> shown, verdicts;
    for (const json* c : row) {
      shown.push_back(value(c));
      verdicts.push_back(c ? c->at("verdict").get<std::string>() : "-");
    }
    std::string changes;
    for (size_t i = 1; i < row.size(); ++i) {
      std::string d = delta(row[0], row[i]);
      if (!d.empty()) changes += (changes.empty() ? "" : ", ") + d;
    }
    detail::print_compare_row(name, shown, verdicts, changes, markdown, out);
  }
  for (const auto& test : pairwise_tests)
    for (size_t i = 1; i < reports.size(); ++i) {
      int changed = 0;
      const Matrix m = delta_matrix(reports[0], reports[i], test, changed);
      if (m.labels.empty()) continue;
      const std::string title = test + ": " + names[i] + " against " + names[0] + " (change of the median" +
                                (changed ? ", " + std::to_string(changed) + " verdict(s) changed)" : ")");
      if (markdown) {
        out << "\n**" << markdown_text(title) << "**\n\n";
        detail::print_matrix_markdown(m, out);
      } else {
        out << "\n" << title << "\n";
        detail::print_matrix_text(m, "  ", out);
      }
    }
  if (detail::any_cluster(reports)) detail::compare_clusters(reports, names, markdown, out);
  // Findings that appear or disappear against the first report.
  auto ids = [](const json& r) {
    std::set<std::string> s;
    for (const auto& f : r.at("findings")) s.insert(f.at("id"));
    return s;
  };
  const auto base = ids(reports[0]);
  out << (markdown ? "\n## Findings\n\n" : "\nFindings:\n");
  for (size_t i = 1; i < reports.size(); ++i) {
    const auto other = ids(reports[i]);
    for (const auto& id : other)
      if (!base.count(id)) out << (markdown ? "- " : "  ") << "new in " << names[i] << ": " << id << "\n";
    for (const auto& id : base)
      if (!other.count(id)) out << (markdown ? "- " : "  ") << "gone in " << names[i] << ": " << id << "\n";
  }
}

}  // namespace rigcheck::report
