#pragma once
// Starting the worker processes of one NCCL run, without NCCL: the orchestration is plain process
// and environment handling, so it is tested as it is (tests/rank_launcher_test.cpp) and the NCCL
// calls are handed in.
//
// Why it is shaped like this:
// - NCCL reads NCCL_DEBUG, NCCL_DEBUG_FILE and the transport variables once, at its first call in
//   a process, so every worker sets its environment before any NCCL call, and the parent makes no
//   NCCL call at all (not even ncclGetUniqueId: its workers would inherit an NCCL initialised
//   without the log file, and with NCCL_DEBUG=INFO exported every rank would print to stdout);
// - the unique id is made by rank 0's worker, which keeps its bootstrap root alive for the others,
//   and passed to them through shared memory, as an MPI launcher would broadcast it;
// - ranks wait for each other, so the first rank that fails ends the others at once, and its own
//   error is what is reported.

#include <atomic>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "rigcheck/bench/isolation.h"

namespace rigcheck::bench {

// The environment of a run's workers.
struct NcclEnvironment {
  std::vector<std::pair<std::string, std::string>> set;
  std::vector<std::string> unset;
  std::vector<std::string> cleared;  // the user's variables the run does not inherit, as "NAME=value"
};

// What a run's workers get: the INFO log (init, P2P, SHM, NET, graph) in one file per process in
// `log_dir`, NCCL's topology dump there, and for the main arm none of the user's P2P switches
// (NCCL_P2P_DISABLE, NCCL_P2P_LEVEL, NCCL_SHM_DISABLE), which would otherwise decide the very
// transport under test; the control arm sets NCCL_P2P_DISABLE=1. `getenv` reads the user's
// environment (injectable for tests).
NcclEnvironment nccl_environment(bool p2p_disabled, const std::string& log_dir,
                                 const std::function<const char*(const char*)>& getenv);
void apply(const NcclEnvironment& env);

struct RankLaunch {
  int ranks = 0;
  NcclEnvironment environment;
  std::function<std::string()> make_unique_id;  // in rank 0's worker, after the environment: the id's bytes
  std::function<nlohmann::json(int rank, const std::string& unique_id)> run_rank;  // in each worker
  double timeout_s = 120;
  const std::atomic<bool>* stop = nullptr;
};

inline constexpr size_t kMaxUniqueIdBytes = 256;  // NCCL's is 128 (NCCL_UNIQUE_ID_BYTES)

// One worker per rank. A failure to make the unique id is rank 0's error.
GroupOutcome launch_ranks(const RankLaunch& launch);

}  // namespace rigcheck::bench
