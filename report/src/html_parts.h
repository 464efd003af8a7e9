#pragma once
// The parts of the HTML page that are pictures, each in its own file. Internal to the report
// library; html_printer.cpp puts them on the page.

#include <ostream>
#include <string>

#include "rigcheck/report/view.h"

namespace rigcheck::report::detail {

// The PCIe tree (host bridges, root ports, switches, endpoints, GPUs) and the NVLink links
// between GPUs as one inline SVG; nothing when the report has no PCI nodes.
void print_topology_svg(const ReportView& view, std::ostream& out);

// A pairwise test as a heatmap: an HTML table whose cells carry the class "hm-<shade>"
// (shade_name) and their figure, with a legend of the bands and the expected figures.
void print_heatmap(const ReportView& view, const TestView& test, std::ostream& out);

// At most `max_chars` characters of UTF-8 text, "…" when cut (never inside a character).
std::string shorten(const std::string& s, size_t max_chars);

}  // namespace rigcheck::report::detail
