// The plain parts of the inter-node step: who drives which NCCL rank, the split colours, the pair
// order, the environment, and rank 0's merge of every rank's part.

#include <algorithm>
#include <set>
#include <tuple>

#include "rigcheck/bench/internode_nccl.h"

namespace rigcheck::bench {

using nlohmann::json;

std::vector<int> devices_of_ranks(const std::vector<int>& node_of_rank, const std::vector<int>& local_rank_of_rank,
                                  const std::vector<int>& gpus_of_node) {
  std::vector<int> ranks_on_node(gpus_of_node.size(), 0);
  for (int n : node_of_rank) ++ranks_on_node.at(static_cast<size_t>(n));
  std::vector<int> out(node_of_rank.size(), 0);
  for (size_t r = 0; r < node_of_rank.size(); ++r) {
    const int node = node_of_rank[r], gpus = gpus_of_node.at(static_cast<size_t>(node));
    if (ranks_on_node[node] == 1) out[r] = gpus;
    else out[r] = local_rank_of_rank.at(r) < gpus ? 1 : 0;
  }
  return out;
}

NcclLayout nccl_layout(const std::vector<int>& devices_of_rank, const std::vector<int>& node_of_rank) {
  NcclLayout l;
  l.devices_of_rank = devices_of_rank;
  int nodes = 0;
  for (int n : node_of_rank) nodes = std::max(nodes, n + 1);
  l.gpus_of_node.assign(static_cast<size_t>(nodes), 0);
  l.node_leader.assign(static_cast<size_t>(nodes), -1);
  for (size_t r = 0; r < devices_of_rank.size(); ++r) {
    l.first_nccl_rank.push_back(l.nccl_ranks);
    const int node = node_of_rank.at(r);
    for (int d = 0; d < devices_of_rank[r]; ++d) {
      if (l.node_leader[node] < 0) l.node_leader[node] = l.nccl_ranks;
      l.node_of_nccl_rank.push_back(node);
      l.local_index.push_back(l.gpus_of_node[node]++);
      ++l.nccl_ranks;
    }
  }
  return l;
}

int first_device(const NcclLayout& layout, int mpi_rank, int visible) {
  const int count = layout.devices_of_rank.at(static_cast<size_t>(mpi_rank));
  if (count == 0) return 0;
  const int place = layout.local_index.at(static_cast<size_t>(layout.first_nccl_rank[mpi_rank]));
  if (place + count <= visible) return place;
  return count <= visible ? 0 : -1;
}

int split_color(const NcclLayout& layout, CollectiveScope scope, int nccl_rank) {
  switch (scope) {
    case CollectiveScope::all: return 0;
    case CollectiveScope::network: return layout.local_index.at(static_cast<size_t>(nccl_rank));
    case CollectiveScope::intra: return layout.node_of_nccl_rank.at(static_cast<size_t>(nccl_rank));
  }
  return 0;
}

int scope_groups(const NcclLayout& layout, CollectiveScope scope) {
  std::set<int> colors;
  for (int r = 0; r < layout.nccl_ranks; ++r) colors.insert(split_color(layout, scope, r));
  return static_cast<int>(colors.size());
}

int scope_group_ranks(const NcclLayout& layout, CollectiveScope scope) {
  std::map<int, int> size;
  for (int r = 0; r < layout.nccl_ranks; ++r) ++size[split_color(layout, scope, r)];
  int most = 0;
  for (const auto& [color, n] : size) most = std::max(most, n);
  return most;
}

std::vector<CollectiveScope> scopes_to_run(const NcclLayout& layout) {
  std::vector<CollectiveScope> out;
  if (layout.nccl_ranks < 2) return out;
  out.push_back(CollectiveScope::all);
  int nodes_with_gpus = 0, most_gpus = 0;
  for (int g : layout.gpus_of_node) {
    if (g > 0) ++nodes_with_gpus;
    most_gpus = std::max(most_gpus, g);
  }
  if (nodes_with_gpus >= 2 && most_gpus >= 2) {
    out.push_back(CollectiveScope::network);
    out.push_back(CollectiveScope::intra);
  }
  return out;
}

std::vector<std::pair<int, int>> leader_pairs(int nodes) {
  std::vector<std::pair<int, int>> out;
  for (int i = 0; i < nodes; ++i)
    for (int j = 0; j < nodes; ++j)
      if (i != j) out.emplace_back(i, j);
  return out;
}

NcclEnvironment internode_nccl_environment(const std::string& log_path) {
  NcclEnvironment e;
  e.set = {{"NCCL_DEBUG", "INFO"}, {"NCCL_DEBUG_SUBSYS", "INIT,NET"}, {"NCCL_DEBUG_FILE", log_path}};
  return e;
}

std::map<std::string, std::string> recorded_nccl_variables(char** environment) {
  std::map<std::string, std::string> out;
  for (char** e = environment; e && *e; ++e) {
    const std::string kv = *e;
    const size_t eq = kv.find('=');
    if (eq == std::string::npos || kv.rfind("NCCL_", 0) != 0) continue;
    out[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  return out;
}

namespace {

// "ok" < "skipped" < "wrong" < "error" < "hang": the worst a rank saw stands for the operation.
int badness(const std::string& check) {
  if (check == "ok") return 0;
  if (check == "skipped") return 1;
  if (check == "wrong") return 2;
  if (check == "error") return 3;
  return 4;
}

std::string node_name(int node) { return "node" + std::to_string(node); }

}  // namespace

InterNodeResults merge_internode(const std::vector<json>& parts, const NcclLayout& layout, const std::string& mpi_library) {
  InterNodeResults out;
  out.provenance = Provenance::measured;
  out.nodes = static_cast<int>(layout.gpus_of_node.size());
  out.ranks = layout.nccl_ranks;
  out.ranks_per_node = layout.gpus_of_node;

  // (op, scope, bytes) -> the slowest rank's row.
  using Key = std::tuple<std::string, std::string, uint64_t>;
  std::map<Key, json> slowest;
  std::vector<Key> order;
  std::map<std::pair<int, int>, json> links;
  bool have_environment = false;
  for (size_t r = 0; r < parts.size(); ++r) {
    const json& p = parts[r];
    if (r >= layout.devices_of_rank.size() || layout.devices_of_rank[r] == 0) continue;  // drives no GPU: nothing to say
    const int first = layout.first_nccl_rank[r];
    const std::string who = "rank " + std::to_string(r) + " (" + node_name(layout.node_of_nccl_rank[first]) + ")";
    if (!p.is_object()) {
      out.notes.push_back(who + " sent no inter-node results");
      continue;
    }
    const std::string status = p.value("status", "error");
    if (status != "ok") out.notes.push_back(who + ": " + status + ": " + p.value("detail", ""));
    if (out.nccl_version.empty()) out.nccl_version = p.value("nccl_version", "");
    if (p.contains("environment") && p.at("environment").is_object()) {
      const auto env = p.at("environment").get<std::map<std::string, std::string>>();
      if (!have_environment) {
        out.nccl_environment = env, have_environment = true;
      } else if (env != out.nccl_environment) {
        // A launcher that exported a variable to some ranks only: the ranks take different paths.
        std::set<std::string> names;
        for (const auto& [k, v] : env) names.insert(k);
        for (const auto& [k, v] : out.nccl_environment) names.insert(k);
        for (const auto& k : names) {
          const auto mine = env.find(k);
          const auto first = out.nccl_environment.find(k);
          const std::string a = mine == env.end() ? "unset" : k + "=" + mine->second;
          const std::string b = first == out.nccl_environment.end() ? "unset" : k + "=" + first->second;
          if (a != b) out.notes.push_back(who + " has " + (a == "unset" ? k + " unset" : a) + " where the first rank has " + (b == "unset" ? "it unset" : b));
        }
      }
    }
    for (const auto& row : p.value("collectives", json::array())) {
      const Key k{row.at("op").get<std::string>(), row.at("scope").get<std::string>(), row.at("bytes").get<uint64_t>()};
      auto it = slowest.find(k);
      if (it == slowest.end()) {
        order.push_back(k);
        slowest.emplace(k, row);
        continue;
      }
      json& kept = it->second;
      const std::string worse = badness(row.value("check", "error")) > badness(kept.value("check", "error")) ? row.value("check", "error")
                                                                                                          : kept.value("check", "error");
      if (row.at("time_us").get<double>() > kept.at("time_us").get<double>()) kept = row;
      kept["check"] = worse;
    }
    for (const auto& row : p.value("pairwise", json::array())) {
      const std::pair<int, int> k{row.at("from_node").get<int>(), row.at("to_node").get<int>()};
      auto it = links.find(k);
      if (it == links.end() || row.at("time_us").get<double>() > it->second.at("time_us").get<double>()) links[k] = row;
    }
    if (p.contains("log") && p.at("log").is_string()) {
      auto t = channel_transports(p.at("log").get<std::string>(), layout.node_of_nccl_rank);
      out.transports.insert(out.transports.end(), t.begin(), t.end());
    }
  }

  // One InterNodeCollective per (op, scope), its sizes in the order measured.
  std::map<std::pair<std::string, std::string>, size_t> index;
  for (const Key& k : order) {
    const auto& [op_name, scope_name, bytes] = k;
    const json& row = slowest.at(k);
    const auto op = collective_from_name(op_name);
    const auto scope = scope_from_name(scope_name);
    if (!op || !scope) continue;
    auto [it, added] = index.emplace(std::make_pair(op_name, scope_name), out.collectives.size());
    if (added) {
      InterNodeCollective c;
      c.op = *op;
      c.scope = *scope;
      c.ranks = scope_group_ranks(layout, *scope);
      c.groups = scope_groups(layout, *scope);
      out.collectives.push_back(c);
    }
    InterNodeCollective& c = out.collectives[it->second];
    CollectiveResult res;
    res.op = *op;
    res.bytes = bytes;
    res.count = bytes / sizeof(float);
    res.time_us = row.at("time_us").get<double>();
    res.check = row.value("check", "error");
    if (res.time_us > 0) compute_bandwidths(res, c.ranks);
    c.results.push_back(res);
  }
  for (const auto& [k, row] : links) {
    NodeLink l;
    l.from_node = k.first;
    l.to_node = k.second;
    l.bytes = row.at("bytes").get<uint64_t>();
    l.time_us = row.at("time_us").get<double>();
    l.check = row.value("check", "error");
    l.gbps = l.time_us > 0 ? static_cast<double>(l.bytes) / (l.time_us * 1e3) : 0;
    out.pairwise.push_back(l);
  }
  out.backend = "NCCL " + (out.nccl_version.empty() ? std::string("(version unknown)") : out.nccl_version) +
                (mpi_library.empty() ? "" : " over " + mpi_library);
  return out;
}

}  // namespace rigcheck::bench
