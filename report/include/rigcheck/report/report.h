#pragma once
// The report (schema "rigcheck.report/1", schemas/report.schema.json): one JSON document with
// the machine, the findings, every measurement with its samples and expectation, versions, the
// command line and a whitelisted environment. Renderers read the document, so a saved report
// re-renders exactly (`rigcheck report FILE`).

#include <map>
#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "rigcheck/diagnosis/finding.h"
#include "rigcheck/topology/model.h"

namespace rigcheck::report {

inline constexpr const char* kReportSchema = "rigcheck.report/1";

nlohmann::json to_json(const diagnosis::Finding& f);
std::vector<nlohmann::json> to_json(const std::vector<diagnosis::Finding>& fs);

// Merges findings with the same id (evidence appended, GPUs united), worst first.
nlohmann::json merge_findings(const nlohmann::json& findings);

// NCCL_* and CUDA_* variables of `env` (environ-style "K=V" strings); nothing else leaves the
// machine, and their values are redacted (redact.h) unless redaction is off.
std::map<std::string, std::string> whitelisted_environment(char** env);

struct ReportHeader {
  std::string mode;  // "real" or "simulated"
  std::string created_utc;
  std::vector<std::string> command_line;
  std::map<std::string, std::string> environment;
  std::string hostname;  // "" unless the user asked to keep it
  std::string rig;       // rig name and variant when simulated from a rig file
};

// A report with no measurements yet; `add_tests` and `finish` fill it in.
nlohmann::json new_report(const ReportHeader& header, const topology::Topology& t, const std::vector<diagnosis::Finding>& static_findings);

// Recomputes the verdict block from the findings (worst severity, counts, one-line summary).
void update_verdict(nlohmann::json& report);

// Throws InputError unless `j` looks like a rigcheck report of this schema.
void check_report(const nlohmann::json& j, const std::string& name);
nlohmann::json load_report(const std::string& path);

// Writes `text` to `path` atomically (a fresh temporary in the same directory, created with
// O_EXCL|O_NOFOLLOW, fsynced, then renamed over `path`), so a crash leaves either the old or the
// new file, never half of one, and nothing planted in the directory is written through. On
// failure the temporary is removed and InputError says why ("cannot write PATH: No space left").
void write_atomically(const std::string& path, const std::string& text);

void render_report_text(const nlohmann::json& report, std::ostream& out);
void render_report_markdown(const nlohmann::json& report, std::ostream& out);
void render_report_html(const nlohmann::json& report, std::ostream& out);

// Reports side by side: every measured cell with its value per report and the change against the
// first, changed verdicts, findings that appear or disappear.
void render_compare(const std::vector<nlohmann::json>& reports, const std::vector<std::string>& names, bool markdown,
                    std::ostream& out);

}  // namespace rigcheck::report
