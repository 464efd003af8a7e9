#include "rigcheck/app/cluster_gather.h"

#include <map>

namespace rigcheck::app {

using nlohmann::json;

json to_json(const ClusterPlan& p) {
  return {{"stem", p.stem},
          {"created_utc", p.created_utc},
          {"nodes_in_turn", p.nodes_in_turn},
          {"node_timeout_s", p.node_timeout_s},
          {"internode", p.internode}};
}

ClusterPlan cluster_plan_from_json(const json& j) {
  ClusterPlan p;
  p.stem = j.at("stem").get<std::string>();
  p.created_utc = j.at("created_utc").get<std::string>();
  p.nodes_in_turn = j.at("nodes_in_turn").get<bool>();
  p.node_timeout_s = j.at("node_timeout_s").get<double>();
  p.internode = j.at("internode").get<bool>();
  return p;
}

json to_json(const RankMessage& m) {
  return {{"rank", m.rank},         {"node_index", m.node_index}, {"local_rank", m.local_rank}, {"hostname", m.hostname},
          {"report", m.report},     {"failure", m.failure},       {"internode", m.internode}};
}

RankMessage rank_message_from_json(const json& j) {
  RankMessage m;
  m.rank = j.at("rank").get<int>();
  m.node_index = j.at("node_index").get<int>();
  m.local_rank = j.at("local_rank").get<int>();
  m.hostname = j.at("hostname").get<std::string>();
  m.report = j.at("report");
  m.failure = j.at("failure").get<std::string>();
  m.internode = j.at("internode");
  return m;
}

namespace {

std::string seconds(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.0f s", s);
  return buf;
}

void add_failure(report::NodeRun& n, const std::string& sentence) {
  n.failure += (n.failure.empty() ? "" : "; ") + sentence;
}

}  // namespace

std::vector<report::NodeRun> node_runs(const std::vector<std::optional<std::string>>& by_rank, const std::vector<int>& node_of_rank,
                                       double timeout_s) {
  int node_count = 0;
  for (int n : node_of_rank) node_count = std::max(node_count, n + 1);
  std::vector<report::NodeRun> nodes(static_cast<size_t>(node_count));
  for (int i = 0; i < node_count; ++i) nodes[i].node_index = i;
  for (size_t r = 0; r < node_of_rank.size(); ++r) nodes[node_of_rank[r]].ranks.push_back(static_cast<int>(r));

  for (report::NodeRun& n : nodes) {
    const int leader = n.ranks.front();  // ranks are in world order: the lowest is the leader
    for (int r : n.ranks) {
      const std::string who = "rank " + std::to_string(r) + " (node" + std::to_string(n.node_index) + (r == leader ? ", its leader" : "") + ")";
      if (r >= static_cast<int>(by_rank.size()) || !by_rank[r]) {
        add_failure(n, who + " did not answer within " + seconds(timeout_s) + ": it hung or died" +
                           (r == leader ? ", so this node's own report is missing" : ""));
        continue;
      }
      RankMessage m;
      try {
        m = rank_message_from_json(json::parse(*by_rank[r]));
      } catch (const json::exception& e) {
        add_failure(n, who + " sent an unreadable message (" + e.what() + ")");
        continue;
      }
      if (m.rank != r || m.node_index != n.node_index) {
        add_failure(n, who + " answered as rank " + std::to_string(m.rank) + " of node" + std::to_string(m.node_index));
        continue;
      }
      if (n.hostname.empty() || r == leader) n.hostname = m.hostname;
      if (!m.failure.empty()) add_failure(n, who + ": " + m.failure);
      if (r == leader) n.report = m.report;
    }
  }
  return nodes;
}

std::vector<json> internode_parts(const std::vector<std::optional<std::string>>& by_rank) {
  std::vector<json> parts(by_rank.size());
  for (size_t r = 0; r < by_rank.size(); ++r) {
    if (!by_rank[r]) continue;
    try {
      parts[r] = json::parse(*by_rank[r]).at("internode");
    } catch (const json::exception&) {
      // node_runs names the unreadable message; its inter-node part is simply absent
    }
  }
  return parts;
}

std::vector<std::string> node_notes(const std::vector<report::NodeRun>& nodes) {
  std::vector<std::string> out;
  for (const auto& n : nodes) {
    const std::string name = "node" + std::to_string(n.node_index);
    if (!n.failure.empty()) out.push_back(name + ": " + n.failure);
    if (n.report.is_object() && n.report.contains("measurement_note"))
      out.push_back(name + ": " + n.report.at("measurement_note").get<std::string>());
  }
  return out;
}

}  // namespace rigcheck::app
