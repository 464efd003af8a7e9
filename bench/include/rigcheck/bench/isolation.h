#pragma once
// Runs risky work (peer copies, NCCL) in a child process with a timeout, so a hang or a crash
// costs one test, not the run. The child returns JSON through a pipe.

#include <atomic>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace rigcheck::bench {

// A line from a worker to its parent (which cell it measures), for the parent's live status
// line. Inside a child started with an on_progress callback, it is sent through a pipe of its own;
// anywhere else it does nothing. Never blocks the measurement for long: the parent reads as it
// waits.
void report_progress(const std::string& line);
using ProgressSink = std::function<void(const std::string& line)>;

struct IsolatedOutcome {
  enum class Kind { ok, hang, crash, error, interrupted };
  static const char* to_string(Kind k);  // "ok", "hang", "crash", "error", "interrupted"
  Kind kind = Kind::ok;
  nlohmann::json result;  // the child's JSON when ok
  std::string detail;     // what happened otherwise ("killed after 60 s", "signal 11", the child's error)
};

// Forks; the child runs `work` and sends its JSON back; the parent waits at most `timeout_s`,
// then kills the child (and waits a bounded time for it to go). Call it before the parent has
// initialised CUDA: a forked child cannot use the parent's CUDA context. A child dies with its
// parent (PR_SET_PDEATHSIG), so a killed rigcheck leaves no worker holding a GPU.
// `stop`, when given and set (by a signal handler), kills the children early: kind interrupted.
// `on_progress`, when given, receives the child's report_progress lines as they arrive.
IsolatedOutcome run_isolated(const std::function<nlohmann::json()>& work, double timeout_s,
                             const std::atomic<bool>* stop = nullptr, const ProgressSink& on_progress = {});

// Several children at once; all must finish within `timeout_s`, else those still running are
// killed. One outcome per work item.
std::vector<IsolatedOutcome> run_isolated_many(const std::vector<std::function<nlohmann::json()>>& work, double timeout_s,
                                               const std::atomic<bool>* stop = nullptr);

struct GroupOptions {
  double timeout_s = 60;
  const std::atomic<bool>* stop = nullptr;
  bool fail_fast = false;  // the first worker that fails (error or crash) ends the others at once
  ProgressSink on_progress;  // the workers' report_progress lines (none when empty)
};

struct GroupOutcome {
  std::vector<IsolatedOutcome> outcomes;  // one per work item
  int first_failure = -1;                 // the worker that failed first, in time (-1: none)
};

// Several children that depend on each other (the ranks of one NCCL communicator): with
// fail_fast, one failed rank does not leave the others waiting for it until the timeout; they are
// reported as stopped, and `first_failure` names the cause.
GroupOutcome run_isolated_group(const std::vector<std::function<nlohmann::json()>>& work, const GroupOptions& options);

}  // namespace rigcheck::bench
