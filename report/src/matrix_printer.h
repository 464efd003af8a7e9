#pragma once
// GPU x GPU matrices for a terminal and for Markdown, shared by the report and compare printers.
// Internal.

#include <ostream>
#include <string>

#include "rigcheck/report/view.h"

namespace rigcheck::report::detail {

// Right-aligned columns in blocks that fit `line_width`, each line starting with `indent`.
void print_matrix_text(const Matrix& m, const std::string& indent, std::ostream& out, size_t line_width = 100);

// Tables of at most `columns` GPU columns each (a wide rig gets several), cells escaped.
void print_matrix_markdown(const Matrix& m, std::ostream& out, size_t columns = 16);

}  // namespace rigcheck::report::detail
