#include "rigcheck/app/launcher.h"

#include <charconv>
#include <cstring>
#include <map>
#include <vector>

namespace rigcheck::app {

namespace {

std::map<std::string, std::string> variables(char** environment) {
  std::map<std::string, std::string> v;
  for (char** e = environment; e && *e; ++e) {
    const char* eq = std::strchr(*e, '=');
    if (eq) v.emplace(std::string(*e, static_cast<size_t>(eq - *e)), std::string(eq + 1));
  }
  return v;
}

// A non-negative integer, or nothing: a launcher's variable that is not one is not trusted.
std::optional<int> number(const std::map<std::string, std::string>& v, const char* name) {
  auto it = v.find(name);
  if (it == v.end() || it->second.empty()) return std::nullopt;
  int n = 0;
  const char* end = it->second.data() + it->second.size();
  auto [p, ec] = std::from_chars(it->second.data(), end, n);
  if (ec != std::errc() || p != end || n < 0) return std::nullopt;
  return n;
}

struct Launcher {
  const char* name;
  const char* rank;
  const char* size;
};

}  // namespace

std::optional<LaunchedAs> launched_as_rank(char** environment) {
  const auto v = variables(environment);
  // Most specific first: mpirun under Slurm sets both OpenMPI's and Slurm's variables.
  static const std::vector<Launcher> launchers = {
      {"OpenMPI mpirun", "OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE"},
      {"PMIx (srun --mpi=pmix or prterun)", "PMIX_RANK", "PMIX_SIZE"},
      {"MPICH/Intel MPI", "PMI_RANK", "PMI_SIZE"},
      {"torchrun", "RANK", "WORLD_SIZE"},
      {"Slurm srun", "SLURM_PROCID", "SLURM_NTASKS"},
  };
  for (const auto& l : launchers) {
    const auto rank = number(v, l.rank);
    const auto size = number(v, l.size);
    // torchrun's RANK and WORLD_SIZE are common names: only with its own marker.
    if (std::string(l.name) == "torchrun" && !v.count("TORCHELASTIC_RUN_ID") && !v.count("LOCAL_WORLD_SIZE")) continue;
    if (rank && size && *size > 1 && *rank < *size) return LaunchedAs{l.name, *rank, *size};
  }
  return std::nullopt;
}

std::string rank_without_mpi_message(const LaunchedAs& l) {
  return "this process is rank " + std::to_string(l.rank) + " of " + std::to_string(l.size) + " started by " + l.launcher +
         ", but this rigcheck was built without MPI support and cannot join the other ranks: they would run as " +
         std::to_string(l.size) + " separate jobs on the same GPUs; install MPI (apt-get install libopenmpi-dev openmpi-bin) " +
         "and rebuild rigcheck (cmake turns RIGCHECK_MPI on when it finds MPI), or start one `rigcheck run` per node without the launcher";
}

bool can_join_with_mpi(const LaunchedAs& l) {
  return l.launcher == "OpenMPI mpirun" || l.launcher == "PMIx (srun --mpi=pmix or prterun)";
}

std::string rank_cannot_join_message(const LaunchedAs& l) {
  const std::string start = "this process is rank " + std::to_string(l.rank) + " of " + std::to_string(l.size) + " started by " + l.launcher;
  if (l.launcher == "Slurm srun")
    return start + " without PMIx, so MPI cannot join the other ranks: start it with `srun --mpi=pmix rigcheck run` (or mpirun)";
  return start + ", which this rigcheck's MPI (OpenMPI) cannot join: start it with `mpirun ... rigcheck run` or " +
         "`srun --mpi=pmix rigcheck run`";
}

std::string rank_needs_run_message(const LaunchedAs& l, const std::string& command) {
  return "this process is rank " + std::to_string(l.rank) + " of " + std::to_string(l.size) + " started by " + l.launcher +
         ", but `rigcheck " + command + "` runs on one machine: start it without the launcher, or use `rigcheck run`, " +
         "which runs across the ranks and nodes of the job";
}

}  // namespace rigcheck::app
