#pragma once
// A finding: a problem (or a fact worth knowing) with a stable id, its evidence, why it matters
// and the fix. rigcheck only reads the system; fixes are printed for the user to apply.

#include <string>
#include <vector>

namespace rigcheck::diagnosis {

enum class Severity { info, warning, critical };
const char* to_string(Severity s);

struct Finding {
  std::string id;                      // stable, e.g. "acs-redirect"
  Severity severity = Severity::info;
  std::string title;                   // one line
  std::vector<std::string> evidence;   // the numbers and the BDFs/GPUs they concern (a summary when `details` is set)
  std::string explanation;
  std::string fix;                     // exact commands, kernel parameters, BIOS settings
  std::string reference;
  std::vector<int> gpus;               // GPUs concerned (topology indexes)
  std::vector<std::string> details;    // every case the evidence summarises, one line each (in the JSON, collapsed in Markdown)
};

// The worst severity among `findings` (info when empty).
Severity worst(const std::vector<Finding>& findings);

}  // namespace rigcheck::diagnosis
