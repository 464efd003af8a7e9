#include "compare_rows.h"

#include <cstdio>
#include <set>

#include "format.h"

namespace rigcheck::report::detail {

std::string percent_change(double base, double value) {
  if (base == 0) return "";
  char buf[24];
  std::snprintf(buf, sizeof buf, "%+.0f%%", (value / base - 1) * 100);
  return buf;
}

void print_compare_header(const std::string& first_column, const std::vector<std::string>& names, std::ostream& out) {
  out << "| " << first_column << " |";
  for (const auto& n : names) out << " " << markdown_text(n) << " |";
  out << " change | verdicts |\n|---|";
  for (size_t i = 0; i < names.size(); ++i) out << "---|";
  out << "---|---|\n";
}

void print_compare_row(const std::string& name, const std::vector<std::string>& shown, const std::vector<std::string>& verdicts,
                       const std::string& changes, bool markdown, std::ostream& out) {
  std::string joined;
  for (const auto& v : verdicts) joined += (joined.empty() ? "" : " / ") + v;
  const bool changed = std::set<std::string>(verdicts.begin(), verdicts.end()).size() > 1;
  if (markdown) {
    out << "| " << markdown_text(name) << " |";
    for (const auto& s : shown) out << " " << s << " |";
    out << " " << changes << " | " << joined << (changed ? " (changed)" : "") << " |\n";
  } else {
    out << "  " << name << ":";
    for (const auto& s : shown) out << "  " << s;
    if (!changes.empty()) out << "  (" << changes << ")";
    if (changed) out << "  verdict " << joined;
    out << "\n";
  }
}

}  // namespace rigcheck::report::detail
