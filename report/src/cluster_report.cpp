// The merged report of a cluster (report/cluster_report.h): the nodes' own reports, anonymised,
// the inter-node results, and the cluster's findings over both.
#include "rigcheck/report/cluster_report.h"

#include <ctime>
#include <set>

#include "rigcheck/diagnosis/cluster_rules.h"
#include "rigcheck/report/redact.h"
#include "rigcheck/report/report.h"
#include "rigcheck/topology/json.h"
#include "rigcheck/topology/utf8.h"

namespace rigcheck::report {

using nlohmann::json;

namespace {

std::string utc_now() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// Every string of `j` with `from` replaced by `to`: a node's hostname can sit in its command
// line, its NCCL variables or a finding's evidence, not only in host.hostname.
void replace_everywhere(json& j, const std::string& from, const std::string& to) {
  if (j.is_string()) {
    std::string s = j.get<std::string>();
    bool changed = false;
    for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) {
      s.replace(at, from.size(), to);
      changed = true;
    }
    if (changed) j = s;
  } else if (j.is_array() || j.is_object()) {
    for (auto& v : j) replace_everywhere(v, from, to);
  }
}

std::string node_name(const NodeRun& n, bool keep_hostname) {
  if (keep_hostname && !n.hostname.empty()) return topology::valid_utf8(n.hostname);
  return "node" + std::to_string(n.node_index);
}

// A node's report as it goes into the cluster's: no hostname unless kept.
json anonymised(const NodeRun& n, const std::string& name, bool keep_hostname) {
  if (!n.report.is_object()) return nullptr;
  json r = n.report;
  if (keep_hostname) return r;
  if (r.contains("host") && r["host"].is_object()) r["host"]["hostname"] = nullptr;
  // A hostname of one or two characters would also match inside ordinary words.
  if (n.hostname.size() >= 3) replace_everywhere(r, n.hostname, name);
  return r;
}

std::string gpus_of(const json& topology) {
  if (!topology.is_object() || !topology.contains("gpus")) return "";
  std::map<std::string, int> by_name;
  for (const auto& g : topology.at("gpus")) ++by_name[g.value("name", std::string("?"))];
  std::string out;
  for (const auto& [name, count] : by_name) out += (out.empty() ? "" : ", ") + std::to_string(count) + "x " + name;
  return out;
}

// The facts the cluster rules compare, read from a node's (anonymised) report.
diagnosis::ClusterNode facts_of(const NodeRun& n, const std::string& name, const json& report,
                                const bench::InterNodeResults& internode) {
  diagnosis::ClusterNode c;
  c.node = n.node_index;
  c.name = name;
  c.failure = n.failure;
  c.has_report = report.is_object();
  for (const auto& p : internode.paths)
    if (p.node == n.node_index) c.path = p;
  if (!c.has_report) return c;
  const json& topo = report.value("topology", json::object());
  c.gpus = gpus_of(topo);
  const json& v = report.value("versions", json::object());
  c.nvidia_driver = v.value("nvidia_driver", std::string());
  c.cuda_driver_version = v.value("cuda_driver", 0);
  c.nccl_version = v.value("nccl", 0);
  for (const auto& nic : topo.value("nics", json::array()))
    for (const auto& port : nic.value("ports", json::array()))
      if ((nic.value("kind", "") == "infiniband" || nic.value("kind", "") == "roce") &&
          (port.value("state", "") == "ACTIVE") && !c.rdma_nic) {
        c.rdma_nic = true;
        c.rdma_nic_name = nic.value("name", std::string());
      }
  if (c.path && (c.path->kind == "ib" || c.path->kind == "roce") && !c.rdma_nic) {
    c.rdma_nic = c.path->link_gbps > 0;
    c.rdma_nic_name = c.path->nic;
  }
  const json& system = topo.value("system", json::object());
  c.gdr_module = system.contains("gpudirect_rdma") ? system["gpudirect_rdma"].value("peer_module", std::string("?")) : "?";
  for (const auto& m : report.value("measurements", json::array()))
    if (m.value("status", "") == "ok" && m.value("unit", "") == "GB/s" && m.contains("median") && m["median"].is_number())
      c.cells[m.value("name", std::string())] = m["median"].get<double>();
  for (const auto& col : report.value("collectives", json::array())) {
    const auto& results = col.value("results", json::array());
    if (col.value("status", "") != "ok" || results.empty()) continue;
    const json& last = results.back();
    if (last.contains("busbw_gbps") && last["busbw_gbps"].is_number())
      c.cells["collective/" + col.value("process_model", std::string()) + "/" + last.value("op", std::string())] = last["busbw_gbps"].get<double>();
  }
  for (const auto& f : report.value("findings", json::array())) c.local_finding_ids.insert(f.value("id", std::string()));
  return c;
}

// The cluster has no machine of its own: an empty topology names it and keeps the document a
// rigcheck.report/1 that every reader of reports accepts.
json cluster_topology(size_t nodes, const std::string& mode) {
  topology::Topology t;
  t.source.kind = mode == "simulated" ? "json" : "live";
  t.machine = "cluster of " + std::to_string(nodes) + " node" + (nodes == 1 ? "" : "s");
  return topology::to_json(t);
}

// One value where the nodes agree, "mixed" (or 0) where they do not: the per-node values are in
// the nodes' reports and a mismatch is a finding.
json common_versions(const std::vector<json>& reports) {
  json out = {{"nvidia_driver", ""}, {"cuda_driver", 0}, {"cuda_runtime", 0}, {"nccl", 0}, {"kernel", ""}};
  for (const char* key : {"nvidia_driver", "cuda_driver", "cuda_runtime", "nccl", "kernel"}) {
    std::set<std::string> seen;
    json first;
    for (const auto& r : reports) {
      if (!r.is_object() || !r.contains("versions") || !r["versions"].contains(key)) continue;
      if (first.is_null()) first = r["versions"][key];
      seen.insert(r["versions"][key].dump());
    }
    if (seen.size() == 1) out[key] = first;
    else if (seen.size() > 1) out[key] = out[key].is_string() ? json("mixed") : json(0);
  }
  return out;
}


// A measured run may leave the network paths to the report: each node's, from its own topology,
// and the expectations that follow from them.
bench::InterNodeResults with_paths(const std::vector<NodeRun>& nodes, bench::InterNodeResults r) {
  for (const auto& n : nodes) {
    bool known = false;
    for (const auto& p : r.paths) known = known || p.node == n.node_index;
    if (known || !n.report.is_object() || !n.report.contains("topology")) continue;
    try {
      const topology::Topology t = topology::topology_from_json(n.report.at("topology"));
      if (auto p = bench::network_path_of(t, n.node_index)) {
        r.paths.push_back(*p);
        r.healthy_paths.push_back(*bench::network_path_of(t, n.node_index, bench::PathState::healthy));
      }
    } catch (const std::exception&) {
      // A node's topology that does not read back gives no path; its report says what it has.
    }
  }
  bench::fill_network_expectations(r);
  return r;
}

}  // namespace

bool is_cluster_report(const json& report) { return report.is_object() && report.contains("nodes") && report["nodes"].is_array(); }

json build_cluster_report(const std::vector<NodeRun>& nodes, const bench::InterNodeResults& measured, const ClusterReportOptions& o) {
  const bench::InterNodeResults internode = with_paths(nodes, measured);
  json r;
  r["schema"] = kReportSchema;
  r["mode"] = o.mode;
  r["tool"] = {{"name", "rigcheck"}, {"version", "0.1.0"}};
  r["created_utc"] = o.created_utc.empty() ? utc_now() : o.created_utc;
  std::vector<std::string> argv;
  for (const auto& a : o.command_line) argv.push_back(topology::valid_utf8(a));
  r["command_line"] = redaction_enabled() ? redact_command_line(argv) : argv;
  std::map<std::string, std::string> env;
  for (const auto& [k, v] : o.environment) env[topology::valid_utf8(k)] = topology::valid_utf8(v);
  r["environment"] = env;
  r["host"] = {{"hostname", nullptr}};
  r["rig"] = o.cluster.empty() ? json(nullptr) : json(topology::valid_utf8(o.cluster));

  json node_entries = json::array();
  std::vector<json> reports;
  std::vector<diagnosis::ClusterNode> facts;
  json findings = json::array();
  bool complete = true;
  for (const auto& n : nodes) {
    const std::string name = node_name(n, o.keep_hostname);
    json report = anonymised(n, name, o.keep_hostname);
    std::string failure = topology::valid_utf8(n.failure);
    if (!o.keep_hostname && n.hostname.size() >= 3)
      for (size_t at = failure.find(n.hostname); at != std::string::npos; at = failure.find(n.hostname, at + name.size()))
        failure.replace(at, n.hostname.size(), name);
    if (!failure.empty() || !report.is_object() || report.value("status", "") != "complete") complete = false;
    json entry = {{"index", n.node_index}, {"name", name}, {"ranks", n.ranks}, {"failure", failure}, {"report", report}};
    node_entries.push_back(entry);
    reports.push_back(report);
    NodeRun anon = n;
    anon.failure = failure;
    facts.push_back(facts_of(anon, name, report, internode));
    // The nodes' warnings and critical findings, named by node, so the cluster's verdict counts
    // them; their GPU indexes are the node's own and stay in the node's report.
    if (report.is_object())
      for (auto f : report.value("findings", json::array())) {
        if (f.value("severity", "info") == "info") continue;
        // One evidence line per node (its first, with how many more), every line in details, so
        // that ten alike nodes do not list the same ten GPUs ten times.
        json all = json::array();
        for (const auto& e : f.value("details", f.value("evidence", json::array()))) all.push_back(name + ": " + e.get<std::string>());
        const auto& evidence = f.value("evidence", json::array());
        std::string line = name + (evidence.empty() ? std::string() : ": " + evidence.front().get<std::string>());
        if (evidence.size() > 1) line += " (and " + std::to_string(evidence.size() - 1) + " more in " + name + "'s report)";
        f["evidence"] = json::array({line});
        if (all.size() > 1) f["details"] = all;
        else f.erase("details");
        f["gpus"] = json::array();
        findings.push_back(f);
      }
  }
  for (const auto& f : to_json(diagnosis::cluster_findings(facts, internode))) findings.push_back(f);
  r["versions"] = common_versions(reports);
  // Every node ran the same local run: the first report's parameters stand for all.
  r["parameters"] = {{"bytes_per_copy", 64ull << 20}, {"copies_per_sample", 1}, {"tests", json::array()},
                     {"gpus", json::array()},         {"test_timeout_s", 0},     {"full", false}};
  for (const auto& rep : reports)
    if (rep.is_object() && rep.contains("parameters")) {
      r["parameters"] = rep["parameters"];
      break;
    }
  r["topology"] = cluster_topology(nodes.size(), o.mode);
  r["findings"] = merge_findings(findings);
  r["tests"] = json::array();
  r["measurements"] = json::array();
  r["collectives"] = json::array();
  r["measurement_note"] = "";
  r["status"] = complete ? "complete" : "partial";
  r["backend"] = internode.backend;
  r["cluster"] = {{"nodes", nodes.size()}, {"ranks", internode.ranks}, {"launcher", o.launcher}};
  r["nodes"] = node_entries;
  json inter = bench::to_json(internode);
  if (!o.keep_hostname)
    for (const auto& n : nodes)
      if (n.hostname.size() >= 3) replace_everywhere(inter, n.hostname, node_name(n, false));
  r["internode"] = inter;
  update_verdict(r);
  return r;
}

}  // namespace rigcheck::report
