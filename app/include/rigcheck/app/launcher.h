#pragma once
// Which launcher started this process, from the variables each one sets: OpenMPI's mpirun,
// a PMIx server (Slurm's srun --mpi=pmix, prrte), Slurm's srun without MPI, MPICH/Intel MPI (PMI),
// and PyTorch's torchrun. A build without MPI support that is started as rank R of N would
// otherwise run N independent copies that fight over the same GPUs and write N reports.

#include <optional>
#include <string>

namespace rigcheck::app {

struct LaunchedAs {
  std::string launcher;  // "OpenMPI mpirun", "PMIx (srun --mpi=pmix or prterun)", "Slurm srun", "MPICH/Intel MPI", "torchrun"
  int rank = 0;
  int size = 1;
};

// The launcher that started this process as one of several ranks; nothing when rigcheck runs
// alone (or as the only rank). `environment` is environ-style ("K=V" strings, null-terminated).
std::optional<LaunchedAs> launched_as_rank(char** environment);

// One sentence for the user: what started it and what to do instead, for a build that cannot
// join the other ranks (built without MPI: install the MPI headers and rebuild).
std::string rank_without_mpi_message(const LaunchedAs& l);

// A build with MPI can join the other ranks when they were started by an MPI launcher its
// MPI_Init understands: OpenMPI's mpirun, or a PMIx server (srun --mpi=pmix, prterun). Plain
// srun (no --mpi=pmix), MPICH's PMI and torchrun start processes MPI_Init cannot join.
bool can_join_with_mpi(const LaunchedAs& l);
std::string rank_cannot_join_message(const LaunchedAs& l);

// One sentence for a build with MPI started as several ranks for a command that runs on one
// machine (doctor, bench, selftest): only `rigcheck run` joins the other ranks.
std::string rank_needs_run_message(const LaunchedAs& l, const std::string& command);

}  // namespace rigcheck::app
