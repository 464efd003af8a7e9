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
// join the other ranks.
std::string rank_without_mpi_message(const LaunchedAs& l);

}  // namespace rigcheck::app
