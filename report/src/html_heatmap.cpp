// A pairwise test as a heatmap on the HTML page: a table rather than a picture, so that the
// figures stay text (copied, searched, read by a screen reader) while the colour of each cell
// says how far it is from its expectation.

#include <cstdio>

#include "format.h"
#include "html_parts.h"
#include "rigcheck/diagnosis/expected.h"

namespace rigcheck::report::detail {

namespace {

// "62%" for bandwidth; latency as the multiple of the expected time ("2.0x"), as in the tables.
std::string ratio_text(double ratio, const std::string& unit) {
  if (ratio <= 0) return "";
  char buf[24];
  if (unit == "ns") std::snprintf(buf, sizeof buf, "%.1fx expected", 1 / ratio);
  else std::snprintf(buf, sizeof buf, "%.0f%% of expected", ratio * 100);
  return buf;
}

}  // namespace

void print_heatmap(const ReportView& v, const TestView& t, std::ostream& out) {
  const auto& m = t.matrix;
  const std::string badge = figure_badge(v);
  out << "<figure class=\"heatmap\" id=\"heatmap-" << html_text(t.name) << "\">\n<figcaption>";
  if (!badge.empty()) out << "<span class=\"badge\">" << badge << "</span> ";
  out << "<b>" << html_text(t.name) << "</b> (" << html_text(t.unit) << ", median): " << html_text(t.picture_caption)
      << "</figcaption>\n<div class=\"scroll\"><table class=\"hm\">\n<tr><th>row \\ column</th>";
  for (const auto& l : m.labels) out << "<th>" << html_text(l) << "</th>";
  out << "</tr>\n";
  for (size_t i = 0; i < m.labels.size(); ++i) {
    out << "<tr><th>" << html_text(m.labels[i]) << "</th>";
    for (size_t j = 0; j < m.labels.size(); ++j) {
      const Shade s = i < t.shades.size() && j < t.shades[i].size() ? t.shades[i][j] : Shade::missing;
      const double ratio = i < t.ratios.size() && j < t.ratios[i].size() ? t.ratios[i][j] : 0;
      out << "<td class=\"hm-" << shade_name(s) << "\"";
      const std::string r = ratio_text(ratio, t.unit);
      if (!r.empty()) out << " title=\"" << html_text(m.labels[i] + " -> " + m.labels[j] + ": " + r) << "\"";
      out << ">" << html_text(m.cells[i][j]) << "</td>";
    }
    out << "</tr>\n";
  }
  char ok[64], far[64];
  const bool latency = t.unit == "ns";
  if (latency) {
    std::snprintf(ok, sizeof ok, "up to %.2fx the expected time", 1 / diagnosis::kOkRatio);
    std::snprintf(far, sizeof far, "over %.1fx", 1 / kFarRatio);
  } else {
    std::snprintf(ok, sizeof ok, "at least %.0f%% of expected", diagnosis::kOkRatio * 100);
    std::snprintf(far, sizeof far, "under %.0f%%", kFarRatio * 100);
  }
  out << "</table></div>\n<p class=\"legend\"><span class=\"sw hm-ok\"></span> " << ok << " <span class=\"sw hm-short\"></span> short of "
      << "expectation ! <span class=\"sw hm-far\"></span> " << far << " <span class=\"sw hm-none\"></span> no expectation "
      << "<span class=\"sw hm-failed\"></span> failed; * host-staged";
  if (!t.expected_legend.empty()) out << "<br>" << html_text(t.expected_legend);
  out << "</p>\n</figure>\n";
}

}  // namespace rigcheck::report::detail
