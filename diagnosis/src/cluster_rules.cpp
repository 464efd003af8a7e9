// The cluster's findings (diagnosis/cluster_rules.h). Rules compare nodes with each other and
// with the network model; what a node's own report already says is not said again.
#include "rigcheck/diagnosis/cluster_rules.h"

#include <algorithm>
#include <cstdio>

#include "rigcheck/diagnosis/catalogue.h"

namespace rigcheck::diagnosis {

namespace {

std::string gbps(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f GB/s", v);
  return buf;
}

std::string gbit(double gbps_value) {  // GB/s -> "200 Gb/s", as NICs are rated
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.0f Gb/s", gbps_value * 8);
  return buf;
}

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

const ClusterNode* by_index(const std::vector<ClusterNode>& nodes, int index) {
  for (const auto& n : nodes)
    if (n.node == index) return &n;
  return nullptr;
}

std::string name_of(const std::vector<ClusterNode>& nodes, int index) {
  const ClusterNode* n = by_index(nodes, index);
  return n ? n->name : "node" + std::to_string(index);
}

// Local finding ids that already say what a cluster rule would (the NIC checks of a node's own
// doctor); a cluster finding is raised only where the node's report lacks them.
bool says_locally(const ClusterNode& n, std::initializer_list<const char*> ids) {
  for (const char* id : ids)
    if (n.local_finding_ids.count(id)) return true;
  return false;
}

void failed_nodes(const std::vector<ClusterNode>& nodes, std::vector<Finding>& out) {
  for (const auto& n : nodes)
    if (!n.failure.empty())
      out.push_back(make_finding("cluster-node-failed", {{"node", n.name}},
                                 {n.name + ": " + n.failure + (n.has_report ? " (its report is partial)" : " (no report)")}));
}

// With three or more nodes a slow node shows on every link it takes part in, and only there.
// 75 %: well outside the run-to-run spread of a healthy fabric (a few percent in nccl-tests#106's
// good pairs), and what a NIC at half rate or staged through host memory gives on its links.
void slow_nodes(const std::vector<ClusterNode>& nodes, const bench::InterNodeResults& r, std::vector<Finding>& out) {
  if (r.nodes < 3) return;
  std::map<int, std::vector<double>> touching;
  for (const auto& l : r.pairwise) {
    if (l.check != "ok" || l.gbps <= 0) continue;
    touching[l.from_node].push_back(l.gbps);
    touching[l.to_node].push_back(l.gbps);
  }
  std::map<int, double> medians;
  for (const auto& [node, v] : touching) medians[node] = median(v);
  for (const auto& [node, m] : medians) {
    std::vector<double> others;
    for (const auto& [other, om] : medians)
      if (other != node) others.push_back(om);
    const double peers = median(others);
    if (peers > 0 && m < kSlowNodeRatio * peers) {
      const std::string name = name_of(nodes, node);
      out.push_back(make_finding("cluster-node-slow", {{"node", name}},
                                 {name + ": median send/recv " + gbps(m) + " on its links, the other nodes " + gbps(peers)}));
    }
  }
}

void network_below_expected(const bench::InterNodeResults& r, std::vector<Finding>& out) {
  for (const auto& c : r.collectives) {
    if (c.scope != bench::CollectiveScope::network || c.op != bench::Collective::all_reduce || c.results.empty()) continue;
    if (c.expected_busbw_gbps <= 0) continue;
    const auto& last = c.results.back();
    if (last.check != "ok" || last.busbw_gbps >= kNetworkBelowExpectedRatio * c.expected_busbw_gbps) continue;
    std::vector<std::string> evidence = {"all-reduce, one GPU per node, " + std::to_string(last.bytes) + " B: busbw " +
                                         gbps(last.busbw_gbps) + ", expected " + gbps(c.expected_busbw_gbps)};
    if (!r.bottleneck.empty()) evidence.push_back("slowest node: " + r.bottleneck);
    out.push_back(make_finding("cluster-network-below-expected", {{"measured", gbps(last.busbw_gbps)}, {"expected", gbps(c.expected_busbw_gbps)}},
                               evidence));
  }
}

void nic_rules(const std::vector<ClusterNode>& nodes, std::vector<Finding>& out) {
  for (const auto& n : nodes) {
    if (!n.path) continue;
    const auto& p = *n.path;
    const std::string nic = p.nic.empty() ? "its NIC" : p.nic;
    // Distance matters where the NIC could reach GPU memory directly: an RDMA NIC. Sockets always
    // go through host memory.
    const bool far = p.kind != "ethernet" && (p.gpu_nic_path == "PHB" || p.gpu_nic_path == "NODE" || p.gpu_nic_path == "SYS");
    if (far && !says_locally(n, {"nic-far-from-gpus"}))
      out.push_back(make_finding("cluster-nic-far-from-gpus", {{"node", n.name}, {"nic", nic}, {"path", p.gpu_nic_path}},
                                 {n.name + ": " + nic + " to the GPUs: " + p.gpu_nic_path}));
    if (p.link_max_gbps > 0 && p.link_gbps > 0 && p.link_gbps < 0.99 * p.link_max_gbps &&
        !says_locally(n, {"nic-port-rate-below"}))
      out.push_back(make_finding("cluster-nic-below-rate",
                                 {{"node", n.name}, {"nic", nic}, {"rate", gbit(p.link_gbps)}, {"max_rate", gbit(p.link_max_gbps)}},
                                 {n.name + ": " + nic + " at " + gbit(p.link_gbps) + ", rated " + gbit(p.link_max_gbps)}));
  }
}

// NCCL lets the NIC touch GPU memory by default only below a common PCIe switch (PIX/PXB,
// NCCL_NET_GDR_LEVEL's default, NCCL env docs); elsewhere staging is NCCL's own choice.
bool gdr_expected(const ClusterNode& n) {
  return n.path && n.path->transport == "IB" && (n.path->gpu_nic_path == "PIX" || n.path->gpu_nic_path == "PXB");
}

void transport_rules(const std::vector<ClusterNode>& nodes, const bench::InterNodeResults& r, std::vector<Finding>& out) {
  std::map<int, std::vector<std::string>> socket_from, staged_from;
  for (const auto& t : r.transports) {
    if (t.from_node < 0 || t.from_node == t.to_node) continue;
    const std::string line = "channel " + std::to_string(t.channel) + " rank " + std::to_string(t.from_rank) + " -> " +
                             std::to_string(t.to_rank) + " via " + t.detail;
    if (t.transport == "NET/Socket") socket_from[t.from_node].push_back(line);
    if (t.transport == "NET/IB" && !t.gdrdma) staged_from[t.from_node].push_back(line);
  }
  for (const auto& n : nodes) {
    // A node whose doctor already said NCCL's variables turn RDMA off, or that GPUDirect RDMA is
    // unavailable, is not told again from its transports.
    if (n.rdma_nic && socket_from.count(n.node) && !says_locally(n, {"nccl-env-disables-rdma"})) {
      Finding f = make_finding("cluster-socket-transport", {{"node", n.name}, {"nic", n.rdma_nic_name}},
                               {n.name + ": " + socket_from[n.node].front() + " while " + n.rdma_nic_name + " is up"});
      f.details = socket_from[n.node];
      out.push_back(f);
    }
    // Without transports (nothing ran between the nodes), the path says what NCCL would do.
    const bool staged = r.transports.empty() ? (n.path && !n.path->gdr) : staged_from.count(n.node) > 0;
    if (staged && gdr_expected(n) && !says_locally(n, {"gpudirect-rdma-unavailable"})) {
      std::vector<std::string> evidence;
      if (!r.transports.empty()) evidence.push_back(n.name + ": " + staged_from[n.node].front());
      evidence.push_back(n.name + ": " + n.path->nic + " is " + n.path->gpu_nic_path + " from the GPUs; peer-memory module: " +
                         (n.gdr_module.empty() ? "none loaded" : n.gdr_module));
      out.push_back(make_finding("cluster-gdr-not-used", {{"node", n.name}, {"nic", n.path->nic}}, evidence));
    }
  }
}

void version_rules(const std::vector<ClusterNode>& nodes, std::vector<Finding>& out) {
  auto check = [&](const std::string& component, auto value_of) {
    std::map<std::string, std::vector<std::string>> by_value;
    for (const auto& n : nodes) {
      const std::string v = value_of(n);
      if (!v.empty()) by_value[v].push_back(n.name);
    }
    if (by_value.size() < 2) return;
    std::vector<std::string> evidence;
    for (const auto& [v, names] : by_value) {
      std::string line = component + " " + v + ":";
      for (const auto& name : names) line += " " + name;
      evidence.push_back(line);
    }
    out.push_back(make_finding("cluster-version-mismatch", {{"component", component}}, evidence));
  };
  check("NVIDIA driver", [](const ClusterNode& n) { return n.nvidia_driver; });
  auto dotted = [](int v, int major_div, int minor_div) {
    if (v <= 0) return std::string();
    return std::to_string(v / major_div) + "." + std::to_string(v % major_div / minor_div) +
           (minor_div == 100 ? "." + std::to_string(v % 100) : "");
  };
  check("CUDA driver", [&](const ClusterNode& n) { return dotted(n.cuda_driver_version, 1000, 10); });
  check("NCCL", [&](const ClusterNode& n) { return dotted(n.nccl_version, 10000, 100); });
}

// Nodes with the same GPUs, same test and cell: one below 80 % of the others' median. 80 %: the
// local verdicts call a cell low below 80 % of its expectation too; nodes built alike measure
// within a few percent of each other.
void local_results_rules(const std::vector<ClusterNode>& nodes, std::vector<Finding>& out) {
  std::map<std::string, std::vector<const ClusterNode*>> groups;
  for (const auto& n : nodes)
    if (n.has_report && !n.gpus.empty() && !n.cells.empty()) groups[n.gpus].push_back(&n);
  for (const auto& [gpus, members] : groups) {
    if (members.size() < 2) continue;
    for (const ClusterNode* n : members) {
      std::vector<std::string> low;
      for (const auto& [cell, value] : n->cells) {
        std::vector<double> others;
        for (const ClusterNode* o : members)
          if (o != n)
            if (auto it = o->cells.find(cell); it != o->cells.end()) others.push_back(it->second);
        const double peers = median(others);
        if (peers > 0 && value < kLocalResultsRatio * peers) low.push_back(cell + ": " + gbps(value) + ", peers " + gbps(peers));
      }
      if (low.empty()) continue;
      Finding f = make_finding("cluster-node-results-differ", {{"node", n->name}},
                               {n->name + ": " + std::to_string(low.size()) + " local measurement(s) below 80 % of the other nodes', e.g. " + low.front()});
      f.details = low;
      out.push_back(f);
    }
  }
}

}  // namespace

std::vector<Finding> cluster_findings(const std::vector<ClusterNode>& nodes, const bench::InterNodeResults& internode) {
  std::vector<Finding> out;
  failed_nodes(nodes, out);
  slow_nodes(nodes, internode, out);
  network_below_expected(internode, out);
  nic_rules(nodes, out);
  transport_rules(nodes, internode, out);
  version_rules(nodes, out);
  local_results_rules(nodes, out);
  return out;
}

}  // namespace rigcheck::diagnosis
