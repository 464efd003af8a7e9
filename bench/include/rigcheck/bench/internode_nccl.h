#pragma once
// The inter-node step of a cluster run with NCCL: collectives over every rank, over the network
// alone and inside each node alone (nccl-tests' NCCL_TESTS_SPLIT, with ncclCommSplit), and
// send/recv between node leaders, one ordered pair at a time, so that one slow node or link
// stands out. It runs in each MPI rank's own process, after the node's local tests (whose
// workers forked from a process without CUDA); the MPI exchanges it needs are handed in as
// hooks, so this library knows nothing of MPI.
//
// Each rank returns its part as JSON; rank 0 merges the parts (merge_internode). The layout,
// the split colours, the pair order and the merge are plain code, tested without a GPU.
//
// Hangs: the communicators are nonblocking (ncclConfig_t.blocking = 0), every wait polls with a
// deadline, and a step past it aborts the rank's communicators (ncclCommAbort) and says so;
// each live communicator is also registered with the caller's abort path (MPI_Abort cannot
// reach NCCL's own sockets).

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "rigcheck/bench/collectives.h"
#include "rigcheck/bench/internode.h"
#include "rigcheck/bench/rank_launcher.h"

namespace rigcheck::bench {

// Which NCCL ranks each MPI rank drives, and where they are. With one MPI rank per GPU each rank
// drives one device (its local rank); with one rank per node it drives all of the node's GPUs.
struct NcclLayout {
  int nccl_ranks = 0;
  std::vector<int> devices_of_rank;    // by MPI rank: how many GPUs it drives (device ordinals 0..k-1)
  std::vector<int> first_nccl_rank;    // by MPI rank
  std::vector<int> node_of_nccl_rank;
  std::vector<int> local_index;        // by NCCL rank: its index among its node's NCCL ranks
  std::vector<int> node_leader;        // by node: its first NCCL rank
  std::vector<int> gpus_of_node;       // by node: its NCCL ranks
};
NcclLayout nccl_layout(const std::vector<int>& devices_of_rank, const std::vector<int>& node_of_rank);

// The CUDA ordinal of the first GPU `mpi_rank` drives, when it sees `visible` devices: its
// place among its node's NCCL ranks (one rank per GPU: its local rank; one rank per node: 0),
// or 0 when the launcher gave it only its own GPUs; -1 when it sees too few.
int first_device(const NcclLayout& layout, int mpi_rank, int visible);

// How many GPUs each MPI rank drives: one rank alone on its node drives all the node's GPUs;
// several ranks on a node drive one GPU each, by local rank (ranks beyond its GPUs drive none).
std::vector<int> devices_of_ranks(const std::vector<int>& node_of_rank, const std::vector<int>& local_rank_of_rank,
                                  const std::vector<int>& gpus_of_node);

// The colour of `nccl_rank` in a split: "network" by its index in its node (one GPU per node in
// each communicator), "intra" by its node; "all" does not split (0).
int split_color(const NcclLayout& layout, CollectiveScope scope, int nccl_rank);
// The communicators a scope has and the ranks of its largest one.
int scope_groups(const NcclLayout& layout, CollectiveScope scope);
int scope_group_ranks(const NcclLayout& layout, CollectiveScope scope);
// The scopes worth running: "all" with two ranks or more; "network" with two nodes or more and
// some node with several GPUs (else it is "all" again); "intra" with a node of two GPUs or more
// and two nodes or more (else it is the node's own local test).
std::vector<CollectiveScope> scopes_to_run(const NcclLayout& layout);

// Every ordered pair of nodes (i, j), i != j, in the order they are measured, one at a time.
std::vector<std::pair<int, int>> leader_pairs(int nodes);

struct InterNodeOptions {
  std::vector<Collective> ops{Collective::all_reduce, Collective::all_gather, Collective::reduce_scatter, Collective::all_to_all};
  std::vector<uint64_t> sizes{1ull << 20, 64ull << 20, 256ull << 20};
  uint64_t pairwise_bytes = 256ull << 20;
  int warmup_iterations = 2;
  int iterations = 10;
  double timeout_s = 300;  // per step: set-up, each operation and size, each pair
  std::string log_dir;     // where this rank's NCCL INFO log goes ("" : the system's temporary directory)
};

// What a rank sets before its first NCCL call: NCCL_DEBUG=INFO, NCCL_DEBUG_SUBSYS=INIT,NET and
// NCCL_DEBUG_FILE=`log_path` (NCCL writes to stdout otherwise, on every rank). The user's
// network variables are left as they are: they are what is being tested.
NcclEnvironment internode_nccl_environment(const std::string& log_path);

// Every NCCL_* variable this rank's environment (environ-style, "K=V", null-terminated) sets,
// before rigcheck adds its own: the network ones (NCCL_SOCKET_IFNAME, NCCL_IB_HCA,
// NCCL_NET_GDR_LEVEL, ...) decide the transport, and a node whose launcher exported another
// value than its peers' is the cause to find. The report keeps the ones it knows.
std::map<std::string, std::string> recorded_nccl_variables(char** environment);

struct InterNodeHooks {
  std::function<std::string(const std::string&)> broadcast_id;  // rank 0's bytes on every rank; throws on timeout
  std::function<bool()> barrier;                                 // all ranks; false on timeout
  std::function<int(std::function<void()>)> on_abort;            // the caller's abort path; returns an id
  std::function<void(int)> drop_abort_hook;
};

// This rank's part: {"rank", "status" ("ok", "hang", "error", "unavailable"), "detail",
// "nccl_version", "collectives": [{op, scope, group, group_ranks, bytes, time_us, check}],
// "pairwise": [{from_node, to_node, bytes, time_us, check}] (recorded by the receiver),
// "log" (its NCCL INFO text), "environment"}. Built without NCCL: status "unavailable".
nlohmann::json run_internode_rank(int mpi_rank, const NcclLayout& layout, const InterNodeOptions& options, const InterNodeHooks& hooks);

// Rank 0: the parts (by MPI rank, null where a rank sent none) into the results. Per operation,
// scope and size the slowest rank's time counts (a collective ends with its slowest rank, and
// the slowest group bounds a job); a check is the worst any rank saw; the transports come from
// every rank's log with each NCCL rank's node; a rank that failed or sent nothing is a note.
InterNodeResults merge_internode(const std::vector<nlohmann::json>& parts, const NcclLayout& layout, const std::string& mpi_library);

}  // namespace rigcheck::bench
