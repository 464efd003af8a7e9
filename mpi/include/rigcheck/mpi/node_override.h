#pragma once
// Which node a rank says it is on when tests fake several nodes on one host. MPI groups ranks by
// shared memory (MPI_COMM_TYPE_SHARED), so every rank of `mpirun -np 4` on localhost is on one
// node; these variables split them as if they were on several:
//   RIGCHECK_FAKE_NODE=<n>       this rank is on node n (set per rank, by a wrapper script);
//   RIGCHECK_FAKE_NODE_SIZE=<k>  ranks 0..k-1 are one node, k..2k-1 the next, ... (set once for all).
// The number is a grouping key, not the node's index: nodes are numbered by their lowest rank.

#include <functional>
#include <optional>
#include <string>

namespace rigcheck::mpi {

struct NodeOverride {
  std::optional<int> node;  // the grouping key; nothing: MPI's own grouping by shared memory
  std::string error;        // a malformed variable, in one sentence ("" when none)
};

NodeOverride fake_node(int world_rank, const std::function<const char*(const char*)>& getenv);

}  // namespace rigcheck::mpi
