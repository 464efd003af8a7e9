// `rigcheck run` as one rank of an MPI job: MPI_Init, the cluster run, rank 0's summary, and the
// abort path when a rank hung or died. Built with RIGCHECK_MPI only.

#include <iostream>
#include <memory>

#include "exit_codes.h"
#include "rigcheck/app/mpi_cluster_run.h"
#include "rigcheck/mpi/world.h"
#include "rigcheck/report/report.h"
#include "rigcheck/topology/errors.h"
#include "run_command.h"

namespace rigcheck::cli {

int run_run_cluster(const RunArgs& args, int argc, char** argv, const std::string& launcher) {
  if (!args.simulate.empty())
    throw topology::InputError("--simulate is a run on one machine's model: start it without mpirun or srun");
  std::unique_ptr<mpi::World> joined;
  try {
    joined = std::make_unique<mpi::World>(&argc, &argv);
  } catch (const mpi::MpiError& e) {
    std::cerr << "rigcheck: cannot join the other ranks: " << e.what() << "\n";
    return kExitBadInput;
  }
  mpi::World& world = *joined;
  const mpi::Identity& id = world.identity();
  app::MpiClusterConfig c;
  c.local = local_run_config(args, argc, argv, id.rank == 0);
  c.nodes_in_turn = args.nodes_in_turn;
  c.node_timeout_s = args.node_timeout_s;
  c.internode = !args.no_internode;
  c.internode_options.timeout_s = args.internode_timeout_s;
  c.launcher = launcher;
  app::MpiClusterOutcome o;
  try {
    o = app::execute_mpi_cluster_run(world, c);
  } catch (const std::exception& e) {
    // Past MPI_Init an error of one rank ends the job: MPI_Finalize would wait for the others,
    // which wait for this one.
    std::cerr << "rigcheck: rank " << id.rank << " (node" << id.node_index << "): " << e.what() << "; ending the job\n";
    std::cerr.flush();
    world.abort(kExitFailure);
  }
  if (o.root) {
    std::cout << "\n";
    report::render_report_text(o.report, std::cout);
    for (const auto& n : o.notes) std::cout << n << "\n";
    std::cout << "\nCluster report: " << o.json_path << ", " << o.markdown_path << " and " << o.html_path
              << " (written by rank 0 only, on node0)\n";
    std::cout.flush();
  }
  if (o.must_abort) {
    if (o.root)
      std::cerr << "rigcheck: a rank hung or died (see the report's nodes); the partial cluster report is written, "
                   "and the job is ended with MPI_Abort\n";
    world.abort(kExitFailure);
  }
  if (!o.root) return kExitOk;
  if (c.local.interrupted && *c.local.interrupted) return kExitFailure;
  const std::string worst = o.report.at("verdict").at("worst");
  return worst == "critical" ? kExitCritical : (worst == "warning" ? kExitWarnings : kExitOk);
}

}  // namespace rigcheck::cli
