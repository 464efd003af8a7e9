// `rigcheck compare`: reports side by side, cell by cell, with the change against the first and
// the findings that appear or disappear.

#include <cstdio>
#include <map>
#include <set>

#include "format.h"
#include "rigcheck/report/report.h"
#include "rigcheck/report/view.h"

namespace rigcheck::report {

using nlohmann::json;

namespace {

using detail::format_value;
using detail::markdown_text;

// As in the report's own tables (view_build.cpp): the median, or what happened instead.
std::string cell_value(const json& c) {
  const std::string status = c.at("status");
  if (status != "ok") return status == "unsupported" ? "n/a" : status;
  std::string s = format_value(c.at("median").get<double>(), c.at("unit"));
  if (c.at("path") == "host-staged") s += "*";
  return s;
}

}  // namespace

void render_compare(const std::vector<json>& reports, const std::vector<std::string>& names, bool markdown, std::ostream& out) {
  // Cells by name, in first-seen order.
  std::vector<std::string> order;
  std::map<std::string, std::vector<const json*>> cells;
  for (size_t i = 0; i < reports.size(); ++i)
    for (const auto& c : reports[i].at("measurements")) {
      const std::string name = c.at("name");
      if (!cells.count(name)) order.push_back(name), cells[name].assign(reports.size(), nullptr);
      cells[name][i] = &c;
    }
  auto value = [](const json* c) -> std::string { return c ? cell_value(*c) : "-"; };
  auto delta = [](const json* base, const json* c) -> std::string {
    if (!base || !c || base->at("status") != "ok" || c->at("status") != "ok") return "";
    double b = base->at("median"), v = c->at("median");
    if (b == 0) return "";
    char buf[24];
    std::snprintf(buf, sizeof buf, "%+.0f%%", (v / b - 1) * 100);
    return buf;
  };
  if (markdown) {
    out << "# rigcheck compare\n\n";
    for (size_t i = 0; i < reports.size(); ++i)
      out << "- **" << markdown_text(names[i]) << "**: " << markdown_text(build_view(reports[i]).title) << mode_label(reports[i].at("mode").get<std::string>())
          << ", verdict " << reports[i].at("verdict").at("worst").get<std::string>() << "\n";
    out << "\n| cell |";
    for (const auto& n : names) out << " " << markdown_text(n) << " |";
    out << " change | verdicts |\n|---|";
    for (size_t i = 0; i < names.size(); ++i) out << "---|";
    out << "---|---|\n";
  } else {
    out << "rigcheck compare";
    for (size_t i = 0; i < reports.size(); ++i) out << (i ? " vs " : ": ") << names[i] << mode_label(reports[i].at("mode").get<std::string>());
    out << "\n";
  }
  for (const auto& name : order) {
    const auto& row = cells[name];
    std::string verdicts;
    std::set<std::string> distinct;
    for (const json* c : row) {
      std::string v = c ? c->at("verdict").get<std::string>() : "-";
      distinct.insert(v);
      verdicts += (verdicts.empty() ? "" : " / ") + v;
    }
    std::string changes;
    for (size_t i = 1; i < row.size(); ++i) {
      std::string d = delta(row[0], row[i]);
      if (!d.empty()) changes += (changes.empty() ? "" : ", ") + d;
    }
    const std::string verdict_text = distinct.size() > 1 ? verdicts + " (changed)" : verdicts;
    if (markdown) {
      out << "| " << name << " |";
      for (const json* c : row) out << " " << value(c) << " |";
      out << " " << changes << " | " << verdict_text << " |\n";
    } else {
      out << "  " << name << ":";
      for (const json* c : row) out << "  " << value(c);
      if (!changes.empty()) out << "  (" << changes << ")";
      if (distinct.size() > 1) out << "  verdict " << verdicts;
      out << "\n";
    }
  }
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
