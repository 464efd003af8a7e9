#pragma once
// One row of `rigcheck compare`: a cell or figure, its value in each report, the change against
// the first report and the verdicts; laid out the same way for a single node's cells
// (compare.cpp) and for the figures between nodes (compare_cluster.cpp). Internal.

#include <ostream>
#include <string>
#include <vector>

namespace rigcheck::report::detail {

// "+12%" for `value` against `base`; "" when there is no base (0).
std::string percent_change(double base, double value);

// The Markdown table's header: the first column's title, one column per report, change, verdicts.
void print_compare_header(const std::string& first_column, const std::vector<std::string>& names, std::ostream& out);

// A row: `shown` and `verdicts` hold one entry per report, `changes` the changes already joined
// ("-47%, +3%"). The verdicts are written when they differ (text) or always, marked "(changed)"
// when they differ (Markdown).
void print_compare_row(const std::string& name, const std::vector<std::string>& shown, const std::vector<std::string>& verdicts,
                       const std::string& changes, bool markdown, std::ostream& out);

}  // namespace rigcheck::report::detail
