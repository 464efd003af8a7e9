#pragma once
// `rigcheck import`: reads other tools' outputs (files, or stdin for "-"), builds the partial
// machine, diagnoses it and returns the imported report. Input errors (an unreadable file, a
// file with no known tool's output) are topology::InputError with one sentence.

#include <istream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "rigcheck/diagnosis/finding.h"

namespace rigcheck::app {

struct ImportConfig {
  std::vector<std::string> files;          // "-" reads stdin
  std::vector<std::string> command_line;
};

struct ImportOutcome {
  nlohmann::json report;                   // rigcheck.report/1, "mode": "imported"
  diagnosis::Severity worst = diagnosis::Severity::info;
  bool any_finding_above_info = false;
};

// Larger inputs are refused: no paste is this big, and the whole text is held in memory.
inline constexpr uint64_t kMaxInputBytes = 256ull << 20;

ImportOutcome run_import(const ImportConfig& config, std::istream& stdin_stream);

}  // namespace rigcheck::app
