#pragma once
// `rigcheck run`: the whole validation in one command; `rigcheck report` and `rigcheck compare`
// re-render and compare saved reports.

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

namespace rigcheck::cli {

struct RunArgs {
  std::string simulate;
  std::string variant;
  std::vector<int> gpus;
  bool full = false;
  std::string size = "64MiB";
  double test_timeout_s = 120;
  std::string out = "results";
  std::string name;
  bool quiet = false;
  bool keep_hostname = false;
  bool no_redact = false;
};

struct ReportArgs {
  std::string file;
  std::string format = "text";
  std::string out;  // html, png: the directory for the files ("" : html to stdout, png next to the report)
};

struct CompareArgs {
  std::vector<std::string> files;
  bool markdown = false;
};

CLI::App* add_run_command(CLI::App& app, RunArgs& args);
CLI::App* add_report_command(CLI::App& app, ReportArgs& args);
CLI::App* add_compare_command(CLI::App& app, CompareArgs& args);
int run_run(const RunArgs& args, int argc, char** argv);
int run_report(const ReportArgs& args);
int run_compare(const CompareArgs& args);

}  // namespace rigcheck::cli
