#pragma once
// Findings of a cluster: what the nodes' own reports and the inter-node results say together
// (a node slower than its peers, a NIC far from its GPUs, GPUDirect RDMA not in use, sockets
// where IB exists, a NIC below its rate, versions that differ, a node whose local results differ,
// a node that hung or died). Each finding names its nodes ("node1"); the report layer gathers
// these facts from the nodes' reports (report/cluster_report.h).

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "rigcheck/bench/internode.h"
#include "rigcheck/diagnosis/finding.h"

namespace rigcheck::diagnosis {

struct ClusterNode {
  int node = 0;
  std::string name;     // "node0", or the hostname when kept
  std::string failure;  // non-empty: hung or died
  bool has_report = false;
  std::string gpus;     // what makes nodes comparable: "4x Tesla V100-SXM2-16GB"; "" unknown
  std::string nvidia_driver;     // "" unknown
  int cuda_driver_version = 0;   // 0 unknown
  int nccl_version = 0;          // 0 unknown
  std::optional<bench::NodeNetworkPath> path;  // its ring NIC and the path to it
  bool rdma_nic = false;         // the node has an active InfiniBand or RoCE port
  std::string rdma_nic_name;     // that NIC ("mlx5_0")
  std::string gdr_module;        // the peer-memory module loaded ("nvidia_peermem"), "" none, "?" unknown
  std::map<std::string, double> cells;      // local measurement cell -> median GB/s
  std::set<std::string> local_finding_ids;  // the node's own findings
};

// Thresholds, with the reason for each in cluster_rules.cpp.
inline constexpr double kSlowNodeRatio = 0.75;
inline constexpr double kNetworkBelowExpectedRatio = 0.75;
inline constexpr double kLocalResultsRatio = 0.8;

std::vector<Finding> cluster_findings(const std::vector<ClusterNode>& nodes, const bench::InterNodeResults& internode);

}  // namespace rigcheck::diagnosis
