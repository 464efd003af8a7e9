// The simulated cluster run (app/cluster_run.h).
#include "rigcheck/app/cluster_run.h"

#include <atomic>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "rigcheck/app/cluster_file.h"
#include "rigcheck/bench/internode.h"
#include "rigcheck/fabric/fabric_constants.h"
#include "rigcheck/fabric/ring.h"
#include "rigcheck/report/cluster_report.h"
#include "rigcheck/report/report.h"
#include "rigcheck/topology/errors.h"

namespace rigcheck::app {

using nlohmann::json;

bool is_cluster_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) return false;
  // A cluster file is small; a large topology JSON is not read whole just to be told apart.
  std::string head(4096, '\0');
  in.read(head.data(), static_cast<std::streamsize>(head.size()));
  head.resize(static_cast<size_t>(in.gcount()));
  return head.find(kClusterSchema) != std::string::npos;
}

namespace {

std::string nccl_text(int v) {
  if (v <= 0) return "";
  return std::to_string(v / 10000) + "." + std::to_string(v % 10000 / 100) + "." + std::to_string(v % 100);
}

std::string stem_of(const RunConfig& config) {
  if (!config.name.empty()) return config.name;
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char date[16];
  std::strftime(date, sizeof date, "%Y-%m-%d", &tm);
  std::random_device rd;
  char id[16];
  std::snprintf(id, sizeof id, "%06x", rd() & 0xffffff);
  return std::string(date) + "-cluster-" + id;
}

// One node's local run, simulated: the same execute_run as a single machine, its report kept in
// memory. A node with a "hang" fault stops before its first test (what the MPI layer would
// gather from a node it had to stop); a "dead" one sends nothing.
report::NodeRun run_node(const ClusterNodeSpec& spec, const RunConfig& config) {
  report::NodeRun n;
  n.node_index = spec.index;
  n.ranks = {};
  n.failure = spec.failure;
  if (spec.report_lost) return n;
  RunConfig c = config;
  c.simulate.clear();
  c.variant.clear();
  c.machine = &spec.machine;
  c.machine_label = spec.label;
  c.write_files = false;
  c.keep_hostname = false;  // simulated nodes have no hostname of their own
  const std::string prefix = "node" + std::to_string(spec.index) + ": ";
  if (config.progress) c.progress = [&](const std::string& line) { config.progress(prefix + line); };
  c.live = nullptr;
  std::atomic<bool> stopped{!spec.failure.empty()};
  if (!spec.failure.empty()) c.interrupted = &stopped;
  n.report = execute_run(c).report;
  if (!spec.failure.empty()) {
    n.report["status"] = "partial";
    n.report["measurement_note"] = "The node hung and was stopped: " + spec.failure + ". Its topology and doctor checks are here; no test finished.";
  }
  return n;
}

bench::InterNodeResults simulate_network(const ClusterFile& cluster, const std::vector<report::NodeRun>& runs) {
  bench::InterNodeSimulation s;
  s.fabric = cluster.fabric;
  const fabric::FabricConstants& constants = fabric::default_fabric_constants();
  for (const auto& node : cluster.nodes) {
    const topology::Topology& t = node.machine.topology;
    auto path = bench::network_path_of(t, node.index);
    if (!path)
      throw topology::InputError("node " + std::to_string(node.index) + " (" + node.label +
                                 ") has no NIC that is up: give its rig a \"nic\" (or add one with the node's \"patch\")");
    if (node.sockets) {
      // NCCL's socket transport is modelled on one interface: no rails.
      path->transport = "Socket";
      path->gdr = false;
      path->gpus.clear();
      path->more_rails.clear();
    }
    s.paths.push_back(*path);
    s.healthy_paths.push_back(*bench::network_path_of(t, node.index, bench::PathState::healthy));
    s.gpus_per_node.push_back(static_cast<int>(t.gpus.size()));
    std::vector<int> gpus;
    for (const auto& g : t.gpus) gpus.push_back(g.index);
    const fabric::Ring ring = gpus.size() > 1 ? fabric::ring_model(fabric::Fabric(t, constants), gpus, false) : fabric::Ring{};
    s.node_ring_gbps.push_back(ring.rate_gbps);
    bool p2p = !ring.hops.empty();
    for (const auto& h : ring.hops) p2p = p2p && h.p2p;
    s.node_ring_p2p.push_back(p2p);
  }
  s.nccl_version = nccl_text(cluster.nodes.front().machine.topology.system.nccl_version);
  std::string failed;
  for (const auto& r : runs)
    if (!r.failure.empty()) failed += (failed.empty() ? "node" : ", node") + std::to_string(r.node_index);
  if (failed.empty()) return bench::simulate_internode(s);
  // A node that hangs stops the job: the MPI layer aborts every communicator, so nothing was
  // measured between nodes. The paths still say what the network would have been.
  bench::InterNodeResults r;
  r.provenance = bench::Provenance::simulated;
  r.backend = "simulated network model (ring across nodes)";
  r.nodes = static_cast<int>(s.paths.size());
  r.ranks_per_node = s.gpus_per_node;
  for (int g : s.gpus_per_node) r.ranks += g;
  r.paths = s.paths;
  r.healthy_paths = s.healthy_paths;
  r.fabric = s.fabric;
  r.nccl_version = s.nccl_version;
  r.bottleneck = bench::network_bottleneck(s.paths, s.fabric).text;
  r.notes.push_back("No inter-node test ran: " + failed + " did not finish, and a job stops with its slowest rank.");
  return r;
}

}  // namespace

RunOutcome execute_cluster_simulation(const RunConfig& config) {
  const ClusterFile cluster = load_cluster(config.simulate, config.variant);
  if (!config.gpus.empty()) throw topology::InputError("--gpus does not apply to a cluster file (every node runs on all its GPUs)");
  auto say = [&](const std::string& line) {
    if (config.progress) config.progress(line);
  };
  say("cluster " + cluster.name + " / " + cluster.variant.name + ": " + std::to_string(cluster.nodes.size()) + " node(s), simulated");
  std::vector<report::NodeRun> runs;
  for (const auto& node : cluster.nodes) {
    if (config.interrupted && *config.interrupted) break;
    say("node" + std::to_string(node.index) + " (" + node.label + ") ...");
    runs.push_back(run_node(node, config));
  }
  // Ranks as mpirun -N <GPUs per node> would number them: node by node.
  int rank = 0;
  for (auto& r : runs)
    for (size_t g = 0; g < cluster.nodes[r.node_index].machine.topology.gpus.size(); ++g) r.ranks.push_back(rank++);
  say("inter-node: collectives (all, network, intra), node-leader send/recv, transports on the network model ...");
  const bench::InterNodeResults inter = simulate_network(cluster, runs);

  report::ClusterReportOptions o;
  o.keep_hostname = false;
  o.mode = "simulated";
  o.command_line = config.command_line;
  o.environment = report::whitelisted_environment(config.environment);
  o.cluster = std::filesystem::path(config.simulate).stem().string() + " / " + cluster.variant.name;
  json report = report::build_cluster_report(runs, inter, o);
  if (config.interrupted && *config.interrupted) {
    report["status"] = "partial";
    report["measurement_note"] = "interrupted after " + std::to_string(runs.size()) + " of " + std::to_string(cluster.nodes.size()) + " nodes";
  }

  RunOutcome out;
  out.report = report;
  if (!config.write_files) return out;
  std::filesystem::create_directories(config.out_dir);
  const std::string stem = stem_of(config);
  out.json_path = (std::filesystem::path(config.out_dir) / (stem + ".json")).string();
  out.markdown_path = (std::filesystem::path(config.out_dir) / (stem + ".md")).string();
  out.html_path = (std::filesystem::path(config.out_dir) / (stem + ".html")).string();
  report::write_atomically(out.json_path, report.dump(2) + "\n");
  std::ostringstream md;
  report::render_report_markdown(report, md);
  report::write_atomically(out.markdown_path, md.str());
  std::ostringstream html;
  report::render_report_html(report, html);
  report::write_atomically(out.html_path, html.str());
  return out;
}

}  // namespace rigcheck::app
