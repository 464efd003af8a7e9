#pragma once
// `rigcheck run` as one rank of an MPI job (`mpirun -np 16 -N 8 rigcheck run`, `mpirun -np 2 -N 1
// rigcheck run`, `srun --mpi=pmix rigcheck run`): every node's leader runs the node's local part
// (discovery, doctor, local tests: execute_run without files), all nodes at once or one after the
// other; rank 0 gathers the nodes' reports; with NCCL and GPUs on every node, all ranks measure
// between nodes (bench/internode_nccl.h); rank 0 writes the one cluster report to its --out
// (no shared filesystem is assumed: no other rank writes a file).
//
// A rank that does not answer in time becomes its node's failure; rank 0 still writes the partial
// cluster report, and the caller then ends the job with World::abort (the hung ranks would
// otherwise keep MPI_Finalize waiting forever).

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "rigcheck/app/run.h"
#include "rigcheck/bench/internode_nccl.h"
#include "rigcheck/mpi/world.h"

namespace rigcheck::app {

struct MpiClusterConfig {
  RunConfig local;                 // each node's local part; out_dir and name are rank 0's files
  bool nodes_in_turn = false;      // one node's local part at a time
  double node_timeout_s = 3600;    // a node's local part before it counts as hung
  double exchange_timeout_s = 120; // the plan's broadcast, the inter-node plan, the final barrier
  bool internode = true;
  bench::InterNodeOptions internode_options;
  std::string launcher;            // "OpenMPI mpirun", "PMIx (srun --mpi=pmix or prterun)", ...
};

struct MpiClusterOutcome {
  bool root = false;               // this rank is rank 0 (the others have nothing to print)
  nlohmann::json report;           // rank 0: the cluster report
  std::string json_path, markdown_path, html_path;
  std::vector<std::string> notes;  // rank 0: per node, what failed or was not measured ("node1: ...")
  bool must_abort = false;         // a rank hung or died: end the job with World::abort after printing
};

MpiClusterOutcome execute_mpi_cluster_run(mpi::World& world, const MpiClusterConfig& config);

}  // namespace rigcheck::app
