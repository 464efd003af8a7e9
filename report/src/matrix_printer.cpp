#include "matrix_printer.h"

#include <algorithm>

#include "format.h"

namespace rigcheck::report::detail {

void print_matrix_text(const Matrix& m, const std::string& indent, std::ostream& out, size_t line_width) {
  size_t width = 6, label = 6;
  for (const auto& row : m.cells)
    for (const auto& c : row) width = std::max(width, c.size() + 2);
  for (const auto& l : m.labels) width = std::max(width, l.size() + 2), label = std::max(label, l.size() + 1);
  const size_t room = line_width > indent.size() + label ? line_width - indent.size() - label : width;
  const size_t per_block = std::max<size_t>(1, room / width);
  auto pad = [](const std::string& s, size_t w) { return std::string(w > s.size() ? w - s.size() : 0, ' ') + s; };
  for (size_t first = 0; first < m.labels.size(); first += per_block) {
    const size_t last = std::min(m.labels.size(), first + per_block);
    out << indent << std::string(label, ' ');
    for (size_t j = first; j < last; ++j) out << pad(m.labels[j], width);
    out << "\n";
    for (size_t i = 0; i < m.labels.size(); ++i) {
      out << indent << m.labels[i] << std::string(label - std::min(label, m.labels[i].size()), ' ');
      for (size_t j = first; j < last; ++j) out << pad(m.cells[i][j], width);
      out << "\n";
    }
  }
}

void print_matrix_markdown(const Matrix& m, std::ostream& out, size_t columns) {
  for (size_t first = 0; first < m.labels.size(); first += columns) {
    const size_t last = std::min(m.labels.size(), first + columns);
    out << "| row \\ column |";
    for (size_t j = first; j < last; ++j) out << " " << m.labels[j] << " |";
    out << "\n|---|";
    for (size_t j = first; j < last; ++j) out << "---:|";
    out << "\n";
    for (size_t i = 0; i < m.labels.size(); ++i) {
      out << "| " << m.labels[i] << " |";
      for (size_t j = first; j < last; ++j) out << " " << markdown_text(m.cells[i][j]) << " |";
      out << "\n";
    }
    out << "\n";
  }
}

}  // namespace rigcheck::report::detail
