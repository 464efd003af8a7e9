// Which launcher started rigcheck as one of several ranks, from each launcher's own variables.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "rigcheck/app/launcher.h"

namespace {

std::optional<rigcheck::app::LaunchedAs> launched(std::vector<std::string> vars) {
  std::vector<char*> env;
  for (auto& v : vars) env.push_back(v.data());
  env.push_back(nullptr);
  return rigcheck::app::launched_as_rank(env.data());
}

}  // namespace

TEST(Launcher, OpenMpiRankOfFour) {
  const auto l = launched({"HOME=/root", "OMPI_COMM_WORLD_RANK=2", "OMPI_COMM_WORLD_SIZE=4", "OMPI_COMM_WORLD_LOCAL_RANK=2"});
  ASSERT_TRUE(l);
  EXPECT_EQ(l->launcher, "OpenMPI mpirun");
  EXPECT_EQ(l->rank, 2);
  EXPECT_EQ(l->size, 4);
  const std::string m = rigcheck::app::rank_without_mpi_message(*l);
  EXPECT_NE(m.find("rank 2 of 4 started by OpenMPI mpirun"), std::string::npos) << m;
  EXPECT_NE(m.find("one `rigcheck run` per node"), std::string::npos) << m;
  EXPECT_NE(m.find("apt-get install libopenmpi-dev"), std::string::npos) << m;
  EXPECT_NE(m.find("rebuild rigcheck"), std::string::npos) << m;
}

TEST(Launcher, WithMpiOnlyRunJoinsTheRanks) {
  const auto l = launched({"PMIX_RANK=0", "PMIX_SIZE=8"});
  ASSERT_TRUE(l);
  const std::string m = rigcheck::app::rank_needs_run_message(*l, "doctor");
  EXPECT_NE(m.find("rank 0 of 8 started by PMIx"), std::string::npos) << m;
  EXPECT_NE(m.find("`rigcheck doctor` runs on one machine"), std::string::npos) << m;
  EXPECT_NE(m.find("use `rigcheck run`"), std::string::npos) << m;
}

TEST(Launcher, MpirunUnderSlurmIsMpirun) {
  const auto l = launched({"SLURM_PROCID=0", "SLURM_NTASKS=8", "OMPI_COMM_WORLD_RANK=5", "OMPI_COMM_WORLD_SIZE=8"});
  ASSERT_TRUE(l);
  EXPECT_EQ(l->launcher, "OpenMPI mpirun");
  EXPECT_EQ(l->rank, 5);
}

TEST(Launcher, SrunPmixMpichAndTorchrun) {
  EXPECT_EQ(launched({"PMIX_RANK=1", "PMIX_SIZE=2"})->launcher, "PMIx (srun --mpi=pmix or prterun)");
  EXPECT_EQ(launched({"SLURM_PROCID=3", "SLURM_NTASKS=4"})->launcher, "Slurm srun");
  EXPECT_EQ(launched({"PMI_RANK=0", "PMI_SIZE=16"})->size, 16);
  EXPECT_EQ(launched({"RANK=1", "WORLD_SIZE=2", "LOCAL_WORLD_SIZE=2"})->launcher, "torchrun");
}

TEST(Launcher, AloneOrUntrustedIsNotARank) {
  EXPECT_FALSE(launched({}));
  EXPECT_FALSE(launched({"OMPI_COMM_WORLD_RANK=0", "OMPI_COMM_WORLD_SIZE=1"})) << "a single rank is rigcheck alone";
  EXPECT_FALSE(launched({"RANK=1", "WORLD_SIZE=2"})) << "RANK and WORLD_SIZE alone are common names, not torchrun";
  EXPECT_FALSE(launched({"SLURM_PROCID=x", "SLURM_NTASKS=4"}));
  EXPECT_FALSE(launched({"SLURM_PROCID=4", "SLURM_NTASKS=4"})) << "a rank outside the job";
  EXPECT_FALSE(launched({"PMI_RANK=-1", "PMI_SIZE=4"}));
}

TEST(Launcher, OnlyMpirunAndPmixCanBeJoined) {
  using rigcheck::app::can_join_with_mpi;
  EXPECT_TRUE(can_join_with_mpi(*launched({"OMPI_COMM_WORLD_RANK=1", "OMPI_COMM_WORLD_SIZE=2"})));
  EXPECT_TRUE(can_join_with_mpi(*launched({"PMIX_RANK=1", "PMIX_SIZE=2", "SLURM_PROCID=1", "SLURM_NTASKS=2"})));
  const auto srun = launched({"SLURM_PROCID=1", "SLURM_NTASKS=2"});
  EXPECT_FALSE(can_join_with_mpi(*srun));
  EXPECT_NE(rigcheck::app::rank_cannot_join_message(*srun).find("srun --mpi=pmix rigcheck run"), std::string::npos);
  const auto torch = launched({"RANK=1", "WORLD_SIZE=2", "LOCAL_WORLD_SIZE=2"});
  EXPECT_FALSE(can_join_with_mpi(*torch));
  EXPECT_NE(rigcheck::app::rank_cannot_join_message(*torch).find("started by torchrun, which this rigcheck's MPI"), std::string::npos);
}
