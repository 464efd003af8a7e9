// The cluster part of the view (cluster_view.h): what the printers show of a cluster report.
#include "cluster_view.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <set>
#include <tuple>

#include "format.h"
#include "rigcheck/diagnosis/expected.h"

namespace rigcheck::report::detail {

using nlohmann::json;

namespace {

int severity_rank(const std::string& s) { return s == "critical" ? 2 : (s == "warning" ? 1 : 0); }

std::string gpus_text(const json& topology) {
  std::map<std::string, int> by_name;
  for (const auto& g : topology.value("gpus", json::array())) ++by_name[g.value("name", std::string("?"))];
  std::string out;
  for (const auto& [name, count] : by_name) out += (out.empty() ? "" : ", ") + std::to_string(count) + "x " + name;
  return out.empty() ? "no GPU" : out;
}

std::string nic_text(const json& path) {
  char rate[32];
  std::snprintf(rate, sizeof rate, "%.0f Gb/s", path.value("link_gbps", 0.0) * 8);
  std::string s = path.value("nic", std::string("?")) + " (" + path.value("kind", std::string("?")) + ") " + rate;
  const std::string cls = path.value("gpu_nic_path", std::string());
  if (!cls.empty()) s += ", " + cls + " to the GPUs";
  if (path.value("transport", std::string()) == "Socket") s += ", NCCL sockets";
  else s += path.value("gdr", false) ? ", GPUDirect RDMA" : ", staged through host memory";
  // Multi-rail: the node's other NICs that carry GPUs' traffic.
  const auto& more = path.value("more_rails", json::array());
  if (!more.empty()) {
    std::string names;
    for (const auto& r : more) names += (names.empty() ? "" : ", ") + r.value("nic", std::string("?"));
    s += "; " + std::to_string(more.size() + 1) + " rails with " + names;
  }
  return s;
}

NodeSummaryView summary_of(const json& node, const json& internode) {
  NodeSummaryView s;
  s.name = node.at("name");
  s.failure = node.at("failure");
  const json& r = node.at("report");
  for (const auto& p : internode.value("paths", json::array()))
    if (p.value("node", -1) == node.at("index").get<int>()) s.nic = nic_text(p);
  if (!r.is_object()) {
    s.verdict = "failed";
    s.summary = "no report";
    return s;
  }
  s.rig = r.at("rig").is_string() ? r.at("rig").get<std::string>() : "";
  s.verdict = s.failure.empty() ? r.at("verdict").at("worst").get<std::string>() : "failed";
  s.summary = r.at("verdict").at("summary");
  s.gpus = gpus_text(r.at("topology"));
  std::vector<const json*> fs;
  for (const auto& f : r.at("findings"))
    if (f.at("severity") != "info") fs.push_back(&f);
  std::stable_sort(fs.begin(), fs.end(), [](const json* a, const json* b) { return severity_rank(a->at("severity")) > severity_rank(b->at("severity")); });
  for (size_t i = 0; i < fs.size() && i < 3; ++i)
    s.worst_findings.push_back("[" + fs[i]->at("severity").get<std::string>() + "] " + fs[i]->at("id").get<std::string>() + ": " +
                               fs[i]->at("title").get<std::string>());
  return s;
}

// The node-leader matrix: row sends to column. Its shades follow the cell verdict bands of the
// GPU matrices (diagnosis::kOkRatio, kFarRatio) against the healthy network's figure.
void fill_pairwise(const json& internode, const std::vector<std::string>& names, ClusterView& v) {
  const auto& links = internode.value("pairwise", json::array());
  if (links.empty()) return;
  const size_t n = names.size();
  v.has_pairwise = true;
  v.pairwise.title = v.label + "node-leader send/recv, GB/s (row sends to column)";
  v.pairwise.labels = names;
  v.pairwise.cells.assign(n, std::vector<std::string>(n, "-"));
  v.pairwise_shades.assign(n, std::vector<Shade>(n, Shade::missing));
  v.pairwise_ratios.assign(n, std::vector<double>(n, 0));
  for (size_t i = 0; i < n; ++i) {
    v.pairwise.cells[i][i] = "X";
    v.pairwise_shades[i][i] = Shade::self;
  }
  std::set<std::string> expected;
  for (const auto& l : links) {
    const int a = l.at("from_node"), b = l.at("to_node");
    if (l.value("expected_gbps", 0.0) > 0) expected.insert(gbps_text(l.at("expected_gbps").get<double>()));
    if (a < 0 || b < 0 || a >= static_cast<int>(n) || b >= static_cast<int>(n)) continue;
    if (l.at("check") != "ok") {
      v.pairwise.cells[a][b] = l.at("check").get<std::string>();
      v.pairwise_shades[a][b] = Shade::failed;
      continue;
    }
    const double g = l.at("gbps"), e = l.value("expected_gbps", 0.0);
    const double ratio = e > 0 ? g / e : 0;
    v.pairwise.cells[a][b] = gbps_text(g) + (e > 0 && ratio < diagnosis::kOkRatio ? " !" : "");
    v.pairwise_ratios[a][b] = ratio;
    v.pairwise_shades[a][b] = e <= 0 ? Shade::no_expectation
                              : ratio >= diagnosis::kOkRatio ? Shade::ok
                              : ratio < kFarRatio          ? Shade::far_short
                                                           : Shade::short_of;
  }
  std::string list;
  for (const auto& e : expected) list += (list.empty() ? "" : ", ") + e;
  if (!list.empty()) v.pairwise_expected = "expected: " + list + " GB/s (the healthy network)";
}

}  // namespace

ClusterView cluster_view_of(const json& r) {
  ClusterView v;
  v.present = true;
  const json& inter = r.value("internode", json::object());
  v.label = inter.value("provenance", std::string()) == "simulated" || r.at("mode") == "simulated" ? "SIMULATED " : "";
  v.backend = inter.value("backend", std::string());
  v.nodes = static_cast<int>(r.at("nodes").size());
  v.ranks = inter.value("ranks", 0);
  v.bottleneck = inter.value("bottleneck", std::string());
  std::vector<std::string> names;
  for (const auto& node : r.at("nodes")) {
    v.node_summaries.push_back(summary_of(node, inter));
    names.push_back(node.at("name"));
  }
  fill_pairwise(inter, names, v);

  v.collectives.header = {"op", "scope", "ranks", "size", "busbw GB/s", "expected GB/s", "% of expected", "check"};
  for (const auto& c : inter.value("collectives", json::array())) {
    const double expected = c.value("expected_busbw_gbps", 0.0);
    const int groups = c.value("groups", 1);
    const std::string ranks = std::to_string(c.value("ranks", 0)) + (groups > 1 ? " x " + std::to_string(groups) + " groups" : "");
    for (const auto& res : c.value("results", json::array())) {
      const double busbw = res.at("busbw_gbps");
      char pct[16] = "-";
      if (expected > 0) std::snprintf(pct, sizeof pct, "%.0f%%%s", busbw / expected * 100, busbw < diagnosis::kOkRatio * expected ? " !" : "");
      v.collectives.rows.push_back({c.at("op").get<std::string>(), c.at("scope").get<std::string>(), ranks, size_text(res.at("bytes")),
                                    gbps_text(busbw), expected > 0 ? gbps_text(expected) : "-", pct, res.at("check").get<std::string>()});
    }
  }

  // Transports between nodes, counted per (from, to, transport, NIC).
  std::map<std::tuple<int, int, std::string, std::string>, int> counted;
  for (const auto& t : inter.value("transports", json::array()))
    ++counted[{t.value("from_node", -1), t.value("to_node", -1), t.value("detail", std::string()), t.value("nic", std::string())}];
  v.transports.header = {"from", "to", "transport", "NIC", "channels"};
  auto name_of = [&](int i) { return i >= 0 && i < static_cast<int>(names.size()) ? names[i] : std::string("?"); };
  for (const auto& [key, count] : counted) {
    const auto& [from, to, detail, nic] = key;
    v.transports.rows.push_back({name_of(from), name_of(to), detail, nic.empty() ? "-" : nic, std::to_string(count)});
  }
  v.nccl_environment.header = {"variable", "value"};
  for (const auto& [k, val] : inter.value("nccl_environment", json::object()).items())
    v.nccl_environment.rows.push_back({k, val.is_string() ? val.get<std::string>() : val.dump()});
  for (const auto& n : inter.value("notes", json::array())) v.notes.push_back(n.get<std::string>());
  return v;
}

}  // namespace rigcheck::report::detail

namespace rigcheck::report {

TestView node_pair_test(const ReportView& v) {
  TestView t;
  t.name = "node_leader_send_recv";
  t.unit = "GB/s";
  t.description = "NCCL send/recv between node leaders (local rank 0), one direction at a time";
  t.pairwise = true;
  t.matrix = v.cluster.pairwise;
  t.shades = v.cluster.pairwise_shades;
  t.ratios = v.cluster.pairwise_ratios;
  t.expected_legend = v.cluster.pairwise_expected;
  t.picture_caption = "row node's leader sends to column node's leader";
  t.host_staged_marks = false;
  return t;
}

}  // namespace rigcheck::report
