// The per-GPU NCCL orchestration without NCCL: environment before the unique id, the id from rank
// 0 to every rank, one log per worker, the user's P2P switches cleared and recorded, the first
// failing rank reported and the others stopped at once, workers that die with their parent.

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <set>
#include <thread>

#include "rigcheck/bench/isolation.h"
#include "rigcheck/bench/rank_launcher.h"

namespace bench = rigcheck::bench;
using nlohmann::json;

namespace {

// Whether a process still runs (a zombie waiting for a reaper has ended).
bool running(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return false;
  const auto close = line.rfind(')');
  return close != std::string::npos && close + 2 < line.size() && line[close + 2] != 'Z';
}

std::string env_or(const char* name, const char* none = "<unset>") {
  const char* v = std::getenv(name);
  return v ? v : none;
}

class RankLauncher : public ::testing::Test {
 protected:
  void TearDown() override {
    for (const char* n : {"NCCL_P2P_DISABLE", "NCCL_P2P_LEVEL", "NCCL_SHM_DISABLE"}) ::unsetenv(n);
  }
  bench::RankLaunch launch(int ranks, bool p2p_disabled = false) {
    bench::RankLaunch l;
    l.ranks = ranks;
    l.environment = bench::nccl_environment(p2p_disabled, "/tmp/rigcheck-test-logs", [](const char* n) { return std::getenv(n); });
    l.timeout_s = 30;
    return l;
  }
};

TEST_F(RankLauncher, Rank0MakesTheIdAfterTheEnvironmentAndEveryRankGetsIt) {
  auto l = launch(3);
  // The "id" records what NCCL would have seen when ncclGetUniqueId initialised it.
  l.make_unique_id = [] { return "debug=" + env_or("NCCL_DEBUG") + " file=" + env_or("NCCL_DEBUG_FILE") + " pid=" + std::to_string(::getpid()); };
  l.run_rank = [](int rank, const std::string& id) {
    return json{{"rank", rank}, {"id", id}, {"pid", ::getpid()}, {"file", env_or("NCCL_DEBUG_FILE")}};
  };
  auto g = bench::launch_ranks(l);
  ASSERT_EQ(g.first_failure, -1);
  ASSERT_EQ(g.outcomes.size(), 3u);
  std::set<int> pids;
  for (size_t r = 0; r < 3; ++r) {
    ASSERT_EQ(g.outcomes[r].kind, bench::IsolatedOutcome::Kind::ok) << g.outcomes[r].detail;
    const json& j = g.outcomes[r].result;
    EXPECT_EQ(j.at("id"), g.outcomes[0].result.at("id")) << "rank " << r << " joined another communicator";
    EXPECT_EQ(j.at("file"), "/tmp/rigcheck-test-logs/nccl.%h.%p.log") << "one log file per process (NCCL expands %p)";
    pids.insert(j.at("pid").get<int>());
  }
  EXPECT_EQ(pids.size(), 3u);
  const std::string id = g.outcomes[0].result.at("id");
  EXPECT_NE(id.find("debug=INFO file=/tmp/rigcheck-test-logs/"), std::string::npos) << id;
  EXPECT_NE(id.find("pid=" + std::to_string(g.outcomes[0].result.at("pid").get<int>())), std::string::npos)
      << "the id is made in rank 0's worker, which keeps NCCL's bootstrap root alive: " << id;
  EXPECT_EQ(env_or("NCCL_DEBUG_FILE"), "<unset>") << "the parent's environment is untouched";
}

TEST_F(RankLauncher, TheUsersP2pSwitchesAreClearedForTheMainArmAndRecorded) {
  ::setenv("NCCL_P2P_LEVEL", "LOC", 1);
  ::setenv("NCCL_P2P_DISABLE", "1", 1);
  auto l = launch(2);
  EXPECT_EQ(l.environment.cleared, (std::vector<std::string>{"NCCL_P2P_DISABLE=1", "NCCL_P2P_LEVEL=LOC"}));
  l.make_unique_id = [] { return std::string("id"); };
  l.run_rank = [](int, const std::string&) { return json{{"disable", env_or("NCCL_P2P_DISABLE")}, {"level", env_or("NCCL_P2P_LEVEL")}}; };
  auto g = bench::launch_ranks(l);
  for (const auto& o : g.outcomes) {
    ASSERT_EQ(o.kind, bench::IsolatedOutcome::Kind::ok) << o.detail;
    EXPECT_EQ(o.result.at("disable"), "<unset>");
    EXPECT_EQ(o.result.at("level"), "<unset>");
  }
  // The control arm disables P2P itself and still drops the user's level.
  auto control = launch(2, true);
  EXPECT_EQ(control.environment.cleared, (std::vector<std::string>{"NCCL_P2P_LEVEL=LOC"}));
  control.make_unique_id = l.make_unique_id;
  control.run_rank = l.run_rank;
  for (const auto& o : bench::launch_ranks(control).outcomes) {
    EXPECT_EQ(o.result.at("disable"), "1");
    EXPECT_EQ(o.result.at("level"), "<unset>");
  }
}

TEST_F(RankLauncher, TheFirstFailingRankIsReportedAndTheOthersAreStoppedAtOnce) {
  auto l = launch(3);
  l.make_unique_id = [] { return std::string("id"); };
  l.run_rank = [](int rank, const std::string&) -> json {
    if (rank == 1) throw std::runtime_error("ncclCommInitRank: unhandled system error");
    std::this_thread::sleep_for(std::chrono::seconds(60));  // waits for rank 1 forever, as NCCL would
    return json{};
  };
  const auto started = std::chrono::steady_clock::now();
  auto g = bench::launch_ranks(l);
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(10));
  ASSERT_EQ(g.first_failure, 1);
  EXPECT_EQ(g.outcomes[1].kind, bench::IsolatedOutcome::Kind::error);
  EXPECT_EQ(g.outcomes[1].detail, "ncclCommInitRank: unhandled system error");
  for (int r : {0, 2}) {
    EXPECT_EQ(g.outcomes[r].kind, bench::IsolatedOutcome::Kind::error) << "not a hang of its own";
    EXPECT_EQ(g.outcomes[r].detail, "stopped after worker 1 failed");
  }
}

TEST_F(RankLauncher, AUniqueIdFailureIsRank0sErrorAndEndsTheRun) {
  auto l = launch(2);
  l.make_unique_id = []() -> std::string { throw std::runtime_error("ncclGetUniqueId: no socket interface found"); };
  l.run_rank = [](int, const std::string&) { return json{}; };
  const auto started = std::chrono::steady_clock::now();
  auto g = bench::launch_ranks(l);
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(10));
  ASSERT_EQ(g.first_failure, 0);
  EXPECT_EQ(g.outcomes[0].detail, "rank 0 could not make the NCCL unique id: ncclGetUniqueId: no socket interface found");
}

TEST_F(RankLauncher, AWorkerDiesWithItsParent) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  pid_t middle = ::fork();
  ASSERT_GE(middle, 0);
  if (middle == 0) {
    // A rigcheck whose worker hangs; the worker tells its pid and sleeps.
    ::close(fds[0]);
    bench::run_isolated(
        [&] {
          const pid_t me = ::getpid();
          (void)!::write(fds[1], &me, sizeof me);
          std::this_thread::sleep_for(std::chrono::seconds(120));
          return json{};
        },
        120);
    ::_exit(0);
  }
  ::close(fds[1]);
  pid_t worker = 0;
  ASSERT_EQ(::read(fds[0], &worker, sizeof worker), static_cast<ssize_t>(sizeof worker));
  ::close(fds[0]);
  ::kill(middle, SIGKILL);  // the user's kill -9 of rigcheck
  ASSERT_EQ(::waitpid(middle, nullptr, 0), middle);
  bool gone = false;
  for (int i = 0; i < 100 && !gone; ++i) {
    gone = !running(worker);
    if (!gone) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_TRUE(gone) << "the worker " << worker << " outlived its parent";
  if (!gone) ::kill(worker, SIGKILL);
}

}  // namespace
