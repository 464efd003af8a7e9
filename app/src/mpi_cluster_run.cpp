#include "rigcheck/app/mpi_cluster_run.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <random>
#include <sstream>
#include <thread>

#include "rigcheck/app/cluster_gather.h"
#include "rigcheck/report/cluster_report.h"
#include "rigcheck/report/report.h"

namespace rigcheck::app {

using nlohmann::json;

namespace {

std::string utc_now(const char* format) {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, format, &tm);
  return buf;
}

std::string random_id() {
  std::random_device rd;
  char buf[16];
  std::snprintf(buf, sizeof buf, "%06x", rd() & 0xffffff);
  return buf;
}

// Test hooks of the cluster tests (tests/mpi/): RIGCHECK_TEST_HOOK=hang-rank:<r> makes rank r
// hang, die-rank:<r> makes it exit at once without MPI_Finalize, fail-rank:<r> makes its local part
// throw, all before it answers rank 0. Harmless otherwise.
void apply_rank_hook(int rank) {
  const char* hook = std::getenv("RIGCHECK_TEST_HOOK");
  if (!hook) return;
  const std::string h = hook, r = std::to_string(rank);
  if (h == "hang-rank:" + r)
    for (;;) std::this_thread::sleep_for(std::chrono::seconds(1));
  if (h == "die-rank:" + r) std::_Exit(1);
}

bool local_part_fails(int rank) {
  const char* hook = std::getenv("RIGCHECK_TEST_HOOK");
  return hook && std::string(hook) == "fail-rank:" + std::to_string(rank);
}

std::string node_name(int i) { return "node" + std::to_string(i); }

// The node's local part: the leader's execute_run, without files.
RankMessage local_part(const mpi::Identity& id, const MpiClusterConfig& c, const ClusterPlan& plan) {
  RankMessage m;
  m.rank = id.rank;
  m.node_index = id.node_index;
  m.local_rank = id.local_rank;
  m.hostname = id.hostname;
  if (!id.leader()) return m;
  RunConfig rc = c.local;
  rc.write_files = false;
  rc.name = plan.stem + "-" + node_name(id.node_index);
  rc.live = nullptr;  // several nodes' status lines cannot share one terminal line
  if (c.local.progress) {
    const std::string prefix = node_name(id.node_index) + ": ";
    rc.progress = [prefix, p = c.local.progress](const std::string& line) { p(prefix + line); };
  }
  try {
    if (local_part_fails(id.rank)) throw std::runtime_error("the test hook fail-rank made it fail");
    m.report = execute_run(rc).report;
  } catch (const std::exception& e) {
    m.failure = std::string("its local part failed: ") + e.what();
  }
  return m;
}

// GPUs of a node whose report measured them; 0 when it has none or said why it could not.
int measurable_gpus(const report::NodeRun& n) {
  if (!n.failure.empty() || !n.report.is_object() || n.report.contains("measurement_note")) return 0;
  const json& t = n.report.value("topology", json::object());
  return t.contains("gpus") ? static_cast<int>(t.at("gpus").size()) : 0;
}

#if RIGCHECK_HAVE_NCCL
constexpr bool kHaveNccl = true;
#else
constexpr bool kHaveNccl = false;
#endif

// Rank 0's decision on the inter-node step: who drives how many GPUs, or why it is skipped.
json internode_plan(const MpiClusterConfig& c, const ClusterPlan& plan, const mpi::Identity& id, const std::vector<report::NodeRun>& nodes,
                    const std::vector<std::optional<std::string>>& by_rank) {
  json p = {{"run", false}, {"reason", ""}};
  std::vector<std::string> without;
  std::vector<int> gpus;
  for (const auto& n : nodes) {
    gpus.push_back(measurable_gpus(n));
    if (gpus.back() == 0) without.push_back(node_name(n.node_index));
  }
  if (!plan.internode) p["reason"] = "the inter-node step was not asked for (--no-internode)";
  else if (!kHaveNccl) p["reason"] = "this rigcheck was built without NCCL (RIGCHECK_NCCL=OFF), so nothing was measured between nodes";
  else if (id.node_count < 2) p["reason"] = "all ranks are on one node: there is no network between nodes to measure";
  else if (!without.empty()) {
    std::string list;
    for (const auto& w : without) list += (list.empty() ? "" : ", ") + w;
    p["reason"] = "nothing was measured between nodes: " + list + (without.size() == 1 ? " has" : " have") +
                  " no GPU that can be measured (its report says why)";
  } else {
    std::vector<int> local(by_rank.size(), 0);
    for (size_t r = 0; r < by_rank.size(); ++r) local[r] = rank_message_from_json(json::parse(*by_rank[r])).local_rank;
    p["run"] = true;
    p["devices_of_rank"] = bench::devices_of_ranks(id.node_of_rank, local, gpus);
  }
  (void)c;
  return p;
}

bench::InterNodeResults skipped_internode(const std::string& reason, const mpi::Identity& id) {
  bench::InterNodeResults r;
  r.nodes = id.node_count;
  r.ranks = id.size;
  r.ranks_per_node.assign(static_cast<size_t>(id.node_count), 0);
  for (int n : id.node_of_rank) ++r.ranks_per_node[n];
  r.notes.push_back(reason);
  return r;
}

void write_report(MpiClusterOutcome& out, const MpiClusterConfig& c, const ClusterPlan& plan) {
  namespace fs = std::filesystem;
  fs::create_directories(c.local.out_dir);
  const fs::path base = fs::path(c.local.out_dir) / plan.stem;
  out.json_path = base.string() + ".json";
  out.markdown_path = base.string() + ".md";
  out.html_path = base.string() + ".html";
  report::write_atomically(out.json_path, out.report.dump(2) + "\n");
  std::ostringstream md;
  report::render_report_markdown(out.report, md);
  report::write_atomically(out.markdown_path, md.str());
  std::ostringstream html;
  report::render_report_html(out.report, html);
  report::write_atomically(out.html_path, html.str());
}

}  // namespace

MpiClusterOutcome execute_mpi_cluster_run(mpi::World& world, const MpiClusterConfig& c) {
  const mpi::Identity& id = world.identity();
  MpiClusterOutcome out;
  out.root = id.rank == 0;
  auto say = [&](const std::string& line) {
    if (out.root && c.local.progress) c.local.progress(line);
  };

  // 1. Rank 0's plan for everyone.
  ClusterPlan plan;
  plan.stem = c.local.name.empty() ? utc_now("%Y-%m-%d") + "-" + random_id() : c.local.name;
  plan.created_utc = utc_now("%Y-%m-%dT%H:%M:%SZ");
  plan.nodes_in_turn = c.nodes_in_turn;
  plan.node_timeout_s = c.node_timeout_s;
  plan.internode = c.internode;
  const auto text = world.broadcast(to_json(plan).dump(), c.exchange_timeout_s);
  if (!text) throw mpi::MpiError("rank 0's plan did not arrive within " + std::to_string(static_cast<int>(c.exchange_timeout_s)) + " s");
  plan = cluster_plan_from_json(json::parse(*text));
  say("cluster: " + std::to_string(id.size) + " ranks on " + std::to_string(id.node_count) + " node(s)" +
      (id.faked_node ? " (nodes faked by RIGCHECK_FAKE_NODE)" : "") + "; local parts " +
      (plan.nodes_in_turn ? "one node at a time" : "on all nodes at once"));

  // 2. Every node's local part, by its leader.
  RankMessage mine;
  bool in_step = true;  // every rank reached every barrier of the local parts in time
  if (plan.nodes_in_turn) {
    for (int k = 0; k < id.node_count; ++k) {
      say("cluster: " + node_name(k) + "'s local part ...");
      if (k == id.node_index) mine = local_part(id, c, plan), apply_rank_hook(id.rank);
      if (!world.barrier(plan.node_timeout_s, c.local.interrupted)) {
        in_step = false;
        break;
      }
    }
    if (mine.hostname.empty()) mine = RankMessage{id.rank, id.node_index, id.local_rank, id.hostname, nullptr, "", nullptr};
  } else {
    mine = local_part(id, c, plan);
    apply_rank_hook(id.rank);
  }

  // 3. The nodes' reports to rank 0.
  say("cluster: gathering the nodes' reports ...");
  const mpi::Gathered first = world.gather(to_json(mine).dump(), in_step ? plan.node_timeout_s : c.exchange_timeout_s, c.local.interrupted);
  std::vector<report::NodeRun> nodes;
  json plan2;
  if (out.root) {
    nodes = node_runs(first.by_rank, id.node_of_rank, plan.node_timeout_s);
    if (!first.missing.empty() || !in_step) {
      out.must_abort = true;
      plan2 = {{"run", false}, {"reason", "nothing was measured between nodes: a rank did not answer (see the nodes' failures)"}};
    } else {
      plan2 = internode_plan(c, plan, id, nodes, first.by_rank);
    }
  }

  // 4. Between nodes, when every node can.
  bench::InterNodeResults internode;
  if (!out.must_abort) {
    // The others wait as long as rank 0 may wait for the slowest node: giving up first would end
    // them with an error, and mpirun would then stop rank 0 before it writes the report.
    const auto p = world.broadcast(out.root ? plan2.dump() : std::string(), plan.node_timeout_s + c.exchange_timeout_s);
    if (!p) throw mpi::MpiError("rank 0's inter-node plan did not arrive within " + std::to_string(static_cast<int>(c.exchange_timeout_s)) + " s");
    plan2 = json::parse(*p);
  }
  if (!out.must_abort && plan2.at("run").get<bool>()) {
    say("cluster: NCCL between nodes (all ranks, network only, intra-node only, node-leader send/recv) ...");
    const bench::NcclLayout layout = bench::nccl_layout(plan2.at("devices_of_rank").get<std::vector<int>>(), id.node_of_rank);
    bench::InterNodeHooks hooks;
    hooks.broadcast_id = [&](const std::string& bytes) {
      auto b = world.broadcast(bytes, c.exchange_timeout_s);
      if (!b) throw mpi::MpiError("the NCCL unique id did not arrive from rank 0 within " + std::to_string(static_cast<int>(c.exchange_timeout_s)) + " s");
      return *b;
    };
    hooks.barrier = [&] { return world.barrier(c.internode_options.timeout_s, c.local.interrupted); };
    hooks.on_abort = [&](std::function<void()> f) { return world.on_abort(std::move(f)); };
    hooks.drop_abort_hook = [&](int hook) { world.drop_abort_hook(hook); };
    json part;
    try {
      part = bench::run_internode_rank(id.rank, layout, c.internode_options, hooks);
    } catch (const std::exception& e) {
      part = {{"rank", id.rank}, {"status", "error"}, {"detail", e.what()}};
    }
    const mpi::Gathered second = world.gather(part.dump(), c.internode_options.timeout_s + c.exchange_timeout_s, c.local.interrupted);
    if (out.root) {
      std::vector<json> parts(static_cast<size_t>(id.size));
      for (size_t r = 0; r < parts.size(); ++r)
        if (second.by_rank[r]) parts[r] = json::parse(*second.by_rank[r]);
      internode = bench::merge_internode(parts, layout, world.library_version());
      for (int r : second.missing) {
        internode.notes.push_back("rank " + std::to_string(r) + " (" + node_name(id.node_of_rank[r]) + ") did not send its inter-node results in time");
        nodes[id.node_of_rank[r]].failure += std::string(nodes[id.node_of_rank[r]].failure.empty() ? "" : "; ") + "rank " + std::to_string(r) +
                                              " hung or died in the inter-node step";
        out.must_abort = true;
      }
      for (const auto& row : parts)
        if (row.is_object() && row.value("status", "") == "hang") out.must_abort = true;  // its peers may still be stuck in NCCL
    }
  } else if (out.root) {
    internode = skipped_internode(plan2.value("reason", ""), id);
  }

  // 5. Rank 0 writes the one report.
  if (out.root) {
    report::ClusterReportOptions o;
    o.keep_hostname = c.local.keep_hostname;
    o.mode = "real";
    o.created_utc = plan.created_utc;
    o.command_line = c.local.command_line;
    o.environment = report::whitelisted_environment(c.local.environment);
    o.launcher = c.launcher;
    out.report = report::build_cluster_report(nodes, internode, o);
    out.notes = node_notes(nodes);  // the inter-node notes are in the report's own text
    write_report(out, c, plan);
  }

  // 6. An orderly end only when every rank is still in step; otherwise the caller aborts.
  if (!out.must_abort) {
    const bool together = world.barrier(out.root ? c.exchange_timeout_s : plan.node_timeout_s + c.exchange_timeout_s, nullptr);
    if (!together) out.must_abort = true;
  }
  return out;
}

}  // namespace rigcheck::app
