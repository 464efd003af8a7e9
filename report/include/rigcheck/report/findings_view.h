#pragma once
// Findings for the terminal: worst first, each with its evidence and fix.

#include <ostream>
#include <vector>

#include "rigcheck/diagnosis/finding.h"

namespace rigcheck::report {

void render_findings(const std::vector<diagnosis::Finding>& findings, std::ostream& out);

}  // namespace rigcheck::report
