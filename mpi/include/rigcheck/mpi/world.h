#pragma once
// This process as one rank of an MPI job: who it is (rank, node, local rank, hostname) and the
// exchanges a cluster run needs. Every exchange is nonblocking with a deadline (MPI_I* and
// MPI_Test polling), because a blocking MPI_Gather waits forever for a rank that hangs or died;
// a rank that does not answer in time is named in the result, and the caller decides (write the
// partial report, then abort). Every MPI call is checked: the communicators return errors
// (MPI_ERRORS_RETURN) and a failure is one sentence in MpiError. Only with RIGCHECK_MPI.

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace rigcheck::mpi {

struct Identity {
  int rank = 0;
  int size = 1;
  int local_rank = 0;   // among the ranks of this node
  int local_size = 1;
  int node_index = 0;   // nodes are numbered by their lowest rank: rank 0 is on node 0
  int node_count = 1;
  std::string hostname;              // MPI_Get_processor_name
  bool faked_node = false;           // the node comes from RIGCHECK_FAKE_NODE(_SIZE), not shared memory
  std::vector<int> node_of_rank;     // every rank's node index, the same on every rank
  bool leader() const { return local_rank == 0; }  // the rank that runs its node's local tests
};

class MpiError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct Gathered {
  std::vector<std::optional<std::string>> by_rank;  // rank 0: what each rank sent (its own included)
  std::vector<int> missing;                          // rank 0: ranks that had not answered by the deadline
  bool delivered = true;                             // other ranks: rank 0 took the message in time
  bool stopped = false;                              // the stop flag was raised while waiting
};

class World {
 public:
  // MPI_Init_thread (MPI_THREAD_FUNNELED: only this thread calls MPI; NCCL's threads never do),
  // then the node split (MPI_Comm_split_type, or the fake-node override) and the leaders' split.
  World(int* argc, char*** argv);
  ~World();  // MPI_Finalize, unless aborted
  World(const World&) = delete;
  World& operator=(const World&) = delete;

  const Identity& identity() const;
  std::string library_version() const;  // MPI_Get_library_version's first line ("Open MPI v4.1.4, ...")

  // Rank 0's `text` on every rank (the others' argument is ignored); nothing when the deadline
  // passes first.
  std::optional<std::string> broadcast(const std::string& text, double timeout_s);
  // Every rank's `mine` at rank 0. The other ranks return once rank 0 has taken their message or
  // the deadline passed (`delivered` false).
  Gathered gather(const std::string& mine, double timeout_s, const std::atomic<bool>* stop = nullptr);
  // Every rank reached this point before the deadline.
  bool barrier(double timeout_s, const std::atomic<bool>* stop = nullptr);

  // Runs before MPI_Abort: ncclCommAbort of the live NCCL communicators, which MPI cannot see.
  // Returns the hook's id, for drop_abort_hook once the communicator is destroyed.
  int on_abort(std::function<void()> hook);
  void drop_abort_hook(int id);
  // The abort path: the hooks, then MPI_Abort(MPI_COMM_WORLD), which ends every rank of the job.
  [[noreturn]] void abort(int code);

 private:
  struct State;
  std::unique_ptr<State> s_;
};

}  // namespace rigcheck::mpi
