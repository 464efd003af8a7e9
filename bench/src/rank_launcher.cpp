#include "rigcheck/bench/rank_launcher.h"

#include <sys/mman.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <thread>

namespace rigcheck::bench {

namespace {

// The unique id in memory shared by the workers (mapped before they are forked).
struct IdBox {
  std::atomic<int> state{0};  // 0 not yet, 1 ready, 2 rank 0 could not make it
  size_t size = 0;
  char bytes[kMaxUniqueIdBytes] = {};
};

class SharedIdBox {
 public:
  SharedIdBox() {
    void* p = ::mmap(nullptr, sizeof(IdBox), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) throw std::runtime_error(std::string("mmap for the NCCL unique id failed: ") + std::strerror(errno));
    box_ = new (p) IdBox;
  }
  ~SharedIdBox() { ::munmap(box_, sizeof(IdBox)); }
  SharedIdBox(const SharedIdBox&) = delete;
  SharedIdBox& operator=(const SharedIdBox&) = delete;
  IdBox& operator*() const { return *box_; }

 private:
  IdBox* box_;
};

std::string wait_for_id(IdBox& box) {
  for (;;) {
    const int state = box.state.load();
    if (state == 1) return std::string(box.bytes, box.size);
    // Rank 0 failed and reports why; this rank just waits to be stopped with the others.
    std::this_thread::sleep_for(std::chrono::milliseconds(state == 2 ? 100 : 1));
  }
}

}  // namespace

NcclEnvironment nccl_environment(bool p2p_disabled, const std::string& log_dir,
                                 const std::function<const char*(const char*)>& getenv) {
  NcclEnvironment env;
  env.set = {{"NCCL_DEBUG", "INFO"},
             {"NCCL_DEBUG_SUBSYS", "INIT,P2P,SHM,NET,GRAPH"},
             {"NCCL_DEBUG_FILE", log_dir + "/nccl.%h.%p.log"},  // the log goes to a file per process, not the terminal
             {"NCCL_TOPO_DUMP_FILE", log_dir + "/topology.xml"}};
  for (const char* name : {"NCCL_P2P_DISABLE", "NCCL_P2P_LEVEL", "NCCL_SHM_DISABLE"}) {
    if (p2p_disabled && std::strcmp(name, "NCCL_P2P_DISABLE") == 0) continue;
    if (const char* v = getenv(name)) env.cleared.push_back(std::string(name) + "=" + v);
    env.unset.push_back(name);
  }
  if (p2p_disabled) env.set.push_back({"NCCL_P2P_DISABLE", "1"});
  return env;
}

void apply(const NcclEnvironment& env) {
  for (const auto& name : env.unset) ::unsetenv(name.c_str());
  for (const auto& [name, value] : env.set) ::setenv(name.c_str(), value.c_str(), 1);
}

GroupOutcome launch_ranks(const RankLaunch& launch) {
  SharedIdBox box;
  IdBox& id = *box;
  std::vector<std::function<nlohmann::json()>> workers;
  for (int rank = 0; rank < launch.ranks; ++rank)
    workers.push_back([&launch, &id, rank]() -> nlohmann::json {
      apply(launch.environment);
      if (rank != 0) return launch.run_rank(rank, wait_for_id(id));
      std::string made;
      try {
        made = launch.make_unique_id();
        if (made.size() > kMaxUniqueIdBytes) throw std::runtime_error("the NCCL unique id is larger than expected");
      } catch (const std::exception& e) {
        id.state = 2;
        throw std::runtime_error(std::string("rank 0 could not make the NCCL unique id: ") + e.what());
      }
      std::memcpy(id.bytes, made.data(), made.size());
      id.size = made.size();
      id.state = 1;
      return launch.run_rank(0, made);
    });
  return run_isolated_group(workers, {launch.timeout_s, launch.stop, true, {}});
}

}  // namespace rigcheck::bench
