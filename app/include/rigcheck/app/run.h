#pragma once
// `rigcheck run`: topology -> doctor -> measurements (each test in a child process with a
// timeout) -> diagnosis -> report, written after every test so an interrupted run still leaves a
// valid partial report.

#include <atomic>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "rigcheck/topology/rig.h"

namespace rigcheck::app {

struct RunConfig {
  std::string simulate;            // topology JSON or rig file; empty: this machine's GPUs
  // A machine already read (a node of a cluster file), simulated instead of `simulate`'s file;
  // `machine_label` is its rig name for the report.
  const topology::MachineFile* machine = nullptr;
  std::string machine_label;
  bool write_files = true;         // false: only the report in memory (a cluster writes its own: rank 0
                                   // of an MPI run, or the simulated cluster)
  std::string variant;
  std::vector<int> gpus;
  bool full = false;               // the whole catalogue instead of the quick set
  uint64_t bytes = 64ull << 20;
  double test_timeout_s = 120;     // per test (all its cells), in the child process
  std::string out_dir = "results";
  std::string name;                // file stem; default <date>-<id>
  bool keep_hostname = false;
  std::vector<std::string> command_line;
  char** environment = nullptr;
  std::function<void(const std::string&)> progress;  // one line per step; null: silent
  // A status line that replaces the previous one while a test runs (test, cell i/N, elapsed,
  // time left), for a terminal; null: none. A `progress` line ends it.
  std::function<void(const std::string&)> live;
  const std::atomic<bool>* interrupted = nullptr;    // set by a signal handler: stop after the current test
};

struct RunOutcome {
  nlohmann::json report;
  std::string json_path;
  std::string markdown_path;
  std::string html_path;  // the same report as one self-contained page, for a browser
};

// The tests a run measures: the quick set, or every test with --full.
std::vector<std::string> planned_tests(bool full, int gpu_count);

RunOutcome execute_run(const RunConfig& config);

}  // namespace rigcheck::app
