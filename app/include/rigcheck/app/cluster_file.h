#pragma once
// Cluster files (schema "rigcheck.cluster/1"): a hand-writable description of a cluster for
// `rigcheck run --simulate CLUSTER.json`, for planning and for tests. Its nodes are rig files (a
// path relative to the cluster file, or the rig inline) with a variant each and a count for N
// identical nodes; the network is the nodes' NICs (from their rigs) and the switch (kind, port
// rate, oversubscription). Named variants add faults to nodes (a NIC below its rate, GPUDirect
// RDMA off, sockets instead of IB, other driver/CUDA/NCCL versions, another rig variant, a node
// that hangs or dies), each listing the finding ids it must raise. The format is in
// docs/cluster-files.md; results/clusters/ holds examples.

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "rigcheck/bench/internode.h"
#include "rigcheck/topology/rig.h"

namespace rigcheck::app {

inline constexpr const char* kClusterSchema = "rigcheck.cluster/1";

struct ClusterNodeSpec {
  int index = 0;
  std::string label;               // "gigabyte-t180-g20-4xv100-nvlink / healthy"
  topology::MachineFile machine;   // the node's machine, faults applied
  std::string failure;             // a "hang" or "dead" fault: what the simulated node does
  bool report_lost = false;        // "dead": no report comes back at all
  // "socket-transport": NCCL cannot open the IB verbs library (libibverbs missing in the
  // container: "Failed to open libibverbs.so", NVIDIA/nccl#428) and falls back to sockets; the
  // node's topology is unchanged, so only the inter-node results show it.
  bool sockets = false;
};

struct ClusterVariantInfo {
  std::string name;
  std::string description;
  std::vector<std::string> expect;  // finding ids this variant must raise
};

struct ClusterFile {
  std::string name;
  std::string description;
  std::string source;
  std::vector<ClusterNodeSpec> nodes;
  bench::NetworkFabric fabric;
  std::vector<std::string> inherent;          // finding ids every variant raises (the design's nature)
  ClusterVariantInfo variant;                 // the one chosen
  std::vector<ClusterVariantInfo> variants;   // all of them, the first is the healthy one
};

bool is_cluster(const nlohmann::json& j);

// Reads a cluster file and its rigs; `variant` "" is the first. InputError says what is wrong.
ClusterFile load_cluster(const std::string& path, const std::string& variant = "");
ClusterFile parse_cluster(const nlohmann::json& j, const std::string& directory, const std::string& variant = "");

}  // namespace rigcheck::app
