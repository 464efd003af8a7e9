#pragma once
// `rigcheck run`: the whole validation in one command; `rigcheck report` and `rigcheck compare`
// re-render and compare saved reports.

#include <CLI/CLI.hpp>

#include "rigcheck/app/run.h"
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
  // A cluster run (started by mpirun or srun --mpi=pmix, in a build with MPI).
  bool nodes_in_turn = false;
  double node_timeout_s = 3600;
  bool no_internode = false;
  double internode_timeout_s = 300;
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
// The local run's configuration from the arguments; `writes_files`: --out is created (only the
// rank that writes the report creates it in a cluster run). Installs the Ctrl-C handler.
app::RunConfig local_run_config(const RunArgs& args, int argc, char** argv, bool writes_files);
// `rigcheck run` as rank `rank` of an MPI job (mpi_cluster_command.cpp; a build with MPI only).
int run_run_cluster(const RunArgs& args, int argc, char** argv, const std::string& launcher);
int run_report(const ReportArgs& args);
int run_compare(const CompareArgs& args);

}  // namespace rigcheck::cli
