#pragma once
// Runs risky work (peer copies, NCCL) in a child process with a timeout, so a hang or a crash
// costs one test, not the run. The child returns JSON through a pipe.

#include <atomic>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace rigcheck::bench {

struct IsolatedOutcome {
  enum class Kind { ok, hang, crash, error, interrupted };
  Kind kind = Kind::ok;
  nlohmann::json result;  // the child's JSON when ok
  std::string detail;     // what happened otherwise ("killed after 60 s", "signal 11", the child's error)
};

// Forks; the child runs `work` and sends its JSON back; the parent waits at most `timeout_s`,
// then kills the child. Call it before the parent has initialised CUDA: a forked child cannot
// use the parent's CUDA context.
// `stop`, when given and set (by a signal handler), kills the children early: kind interrupted.
IsolatedOutcome run_isolated(const std::function<nlohmann::json()>& work, double timeout_s,
                             const std::atomic<bool>* stop = nullptr);

// Several children at once (one per GPU for per-GPU NCCL workers); all must finish within
// `timeout_s`, else all are killed. One outcome per work item.
std::vector<IsolatedOutcome> run_isolated_many(const std::vector<std::function<nlohmann::json()>>& work, double timeout_s,
                                               const std::atomic<bool>* stop = nullptr);

}  // namespace rigcheck::bench
