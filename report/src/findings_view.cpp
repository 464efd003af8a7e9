#include "rigcheck/report/findings_view.h"

#include <sstream>

namespace rigcheck::report {

using diagnosis::Finding;

namespace {

void indented(const std::string& text, const char* prefix, std::ostream& out) {
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out << prefix << line << "\n";
}

}  // namespace

void render_findings(const std::vector<Finding>& findings, std::ostream& out) {
  if (findings.empty()) {
    out << "No findings: nothing rigcheck checks for is wrong.\n";
    return;
  }
  int counts[3] = {0, 0, 0};
  for (const auto& f : findings) ++counts[static_cast<int>(f.severity)];
  out << "Findings: " << counts[2] << " critical, " << counts[1] << " warning, " << counts[0] << " info\n\n";
  for (const auto& f : findings) {
    out << "[" << to_string(f.severity) << "] " << f.id << ": " << f.title << "\n";
    for (const auto& e : f.evidence) out << "    evidence: " << e << "\n";
    indented(f.explanation, "    why: ", out);
    indented(f.fix, "    fix: ", out);
    if (!f.reference.empty()) out << "    ref: " << f.reference << "\n";
    out << "\n";
  }
}

}  // namespace rigcheck::report
