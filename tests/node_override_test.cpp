// The fake-node override of the MPI layer (mpi/node_override.h): how tests on one host make
// mpirun's ranks look like several nodes.

#include <gtest/gtest.h>

#include <map>
#include <string>

#include "rigcheck/mpi/node_override.h"

namespace {

rigcheck::mpi::NodeOverride with(const std::map<std::string, std::string>& env, int rank) {
  return rigcheck::mpi::fake_node(rank, [&](const char* name) -> const char* {
    auto it = env.find(name);
    return it == env.end() ? nullptr : it->second.c_str();
  });
}

}  // namespace

TEST(NodeOverride, NoneByDefault) {
  const auto o = with({}, 3);
  EXPECT_FALSE(o.node);
  EXPECT_TRUE(o.error.empty());
}

TEST(NodeOverride, NodeSizeGroupsConsecutiveRanks) {
  EXPECT_EQ(*with({{"RIGCHECK_FAKE_NODE_SIZE", "2"}}, 0).node, 0);
  EXPECT_EQ(*with({{"RIGCHECK_FAKE_NODE_SIZE", "2"}}, 1).node, 0);
  EXPECT_EQ(*with({{"RIGCHECK_FAKE_NODE_SIZE", "2"}}, 2).node, 1);
  EXPECT_EQ(*with({{"RIGCHECK_FAKE_NODE_SIZE", "8"}}, 15).node, 1);
}

TEST(NodeOverride, PerRankNodeWinsOverSize) {
  EXPECT_EQ(*with({{"RIGCHECK_FAKE_NODE", "5"}, {"RIGCHECK_FAKE_NODE_SIZE", "2"}}, 0).node, 5);
}

TEST(NodeOverride, MalformedIsOneSentence) {
  auto o = with({{"RIGCHECK_FAKE_NODE", "-1"}}, 0);
  EXPECT_FALSE(o.node);
  EXPECT_EQ(o.error, "RIGCHECK_FAKE_NODE=\"-1\" is not a node number (0, 1, ...)");
  o = with({{"RIGCHECK_FAKE_NODE_SIZE", "0"}}, 0);
  EXPECT_FALSE(o.node);
  EXPECT_NE(o.error.find("is not a number of ranks per node"), std::string::npos);
  EXPECT_FALSE(with({{"RIGCHECK_FAKE_NODE", "2x"}}, 0).error.empty());
}
