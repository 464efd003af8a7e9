#include "rigcheck/app/run.h"

#include "rigcheck/app/cluster_run.h"

#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <csignal>
#include <ctime>
#include <filesystem>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "rigcheck/bench/cuda_backend.h"
#include "rigcheck/bench/runner.h"
#include "rigcheck/bench/sim_backend.h"
#include "rigcheck/report/bench_view.h"
#include "rigcheck/app/collective_step.h"
#include "rigcheck/bench/collective_runner.h"
#include "rigcheck/diagnosis/catalogue.h"
#include "rigcheck/diagnosis/expected.h"
#include "rigcheck/bench/cell_workers.h"
#include "rigcheck/bench/isolation.h"
#include "rigcheck/bench/live_machine.h"
#include "rigcheck/diagnosis/measured_rules.h"
#include "rigcheck/report/report.h"
#include "rigcheck/diagnosis/static_rules.h"
#include "rigcheck/topology/discover.h"
#include "rigcheck/topology/errors.h"
#include "rigcheck/topology/json.h"
#include "rigcheck/topology/rig.h"

namespace rigcheck::app {

using diagnosis::BuildInfo;
using diagnosis::Finding;
using diagnosis::Severity;
using diagnosis::judge_run;
using diagnosis::measured_findings;
using diagnosis::static_findings;
using diagnosis::this_build;

using nlohmann::json;

std::vector<std::string> planned_tests(bool full, int gpu_count) {
  std::vector<std::string> out;
  if (full) {
    for (const auto& t : bench::catalogue()) out.push_back(t.name);
    return out;
  }
  out = {"host_to_device_ce", "device_to_host_ce", "host_latency_sm"};
  if (gpu_count >= 2)
    for (const char* t : {"device_to_device_write_ce", "device_to_device_bidir_ce", "device_to_device_latency_sm", "all_to_host_ce"})
      out.push_back(t);
  return out;
}

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

// A test hook for the isolation tests: RIGCHECK_TEST_HOOK=hang:<test> or crash:<test> makes the
// child running that test hang or crash. Documented in tests/cli_test.sh; harmless otherwise.
void apply_test_hook(const std::string& test) {
  const char* hook = std::getenv("RIGCHECK_TEST_HOOK");
  if (!hook) return;
  const std::string h = hook;
  if (h == "hang:" + test)
    for (;;) std::this_thread::sleep_for(std::chrono::seconds(1));
  if (h == "crash:" + test) std::raise(SIGSEGV);
}

// Everything a child needs travels as JSON (the topology); the child builds its own backend, so
// the parent never initialises CUDA and can fork safely.
bench::RunOptions run_options(const RunConfig& config) {
  bench::RunOptions o;
  o.plan.bytes = config.bytes;
  o.plan.gpus = config.gpus;
  return o;
}

json measure_test_in_child(const json& topology_json, bool simulated, const std::string& test, const RunConfig& config,
                           const std::set<std::string>& only_cells) {
  apply_test_hook(test);
  topology::Topology t = topology::topology_from_json(topology_json);
  std::unique_ptr<bench::Backend> backend;
  if (simulated) backend = std::make_unique<bench::SimBackend>(t, fabric::default_fabric_constants(), 1);
  else backend = bench::make_cuda_backend(t);
  bench::RunOptions o = run_options(config);
  o.only_cells = only_cells;
  // "i/N name" to the parent, which shows it in its live line.
  o.on_cell = [](int index, int count, const std::string& cell) {
    bench::report_progress(std::to_string(index + 1) + "/" + std::to_string(count) + " " + cell);
  };
  bench::BenchRun run = bench::run_tests(*backend, t, {bench::find_test(test)}, o);
  auto judgements = judge_run(t, run);
  json cells = report::bench_json(run, judgements).at("cells");
  return {{"backend", run.backend}, {"cells", cells}, {"findings", report::to_json(measured_findings(t, run, judgements))}};
}

// The finding for a step whose worker hung, crashed or failed: the run went on without it. A
// worker that reported an error is a warning; one that hung or died is critical.
Finding worker_failure(const std::string& step, const std::string& rerun, const bench::IsolatedOutcome& o) {
  const bool hang = o.kind == bench::IsolatedOutcome::Kind::hang;
  Finding f = diagnosis::make_finding(hang ? "test-hang" : "test-crash", {{"step", step}, {"rerun", rerun}}, {step + ": " + o.detail});
  if (o.kind == bench::IsolatedOutcome::Kind::error) diagnosis::set_severity(f, Severity::warning);
  return f;
}

// Where the run stands, for the live line: which test, and how long the finished ones took.
struct RunClock {
  std::chrono::steady_clock::time_point run_started = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point test_started;
  int test_index = 0;
  int test_count = 0;
  int tests_done = 0;
  double tests_seconds = 0;  // of the finished tests
};

std::string seconds_text(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, s < 60 ? "%.0f s" : "%.0f min %02.0f s", s < 60 ? s : std::floor(s / 60), std::fmod(s, 60));
  return buf;
}

// "[3/7] device_to_device_write_ce: cell 37/90, 1 min 02 s elapsed, about 40 s left" from a
// worker's "37/90 device_to_device_write_ce/gpu3-gpu7". The estimate takes the current test's
// rate per cell and, for the tests after it, the mean of the finished ones (unknown before one).
std::string live_line(const RunClock& clock, const std::string& test, const std::string& progress) {
  int index = 0, count = 0;
  if (std::sscanf(progress.c_str(), "%d/%d", &index, &count) != 2 || count <= 0) return "";
  const auto now = std::chrono::steady_clock::now();
  const double in_test = std::chrono::duration<double>(now - clock.test_started).count();
  const double elapsed = std::chrono::duration<double>(now - clock.run_started).count();
  std::string line = "[" + std::to_string(clock.test_index + 1) + "/" + std::to_string(clock.test_count) + "] " + test + ": cell " +
                     std::to_string(index) + "/" + std::to_string(count) + ", " + seconds_text(elapsed) + " elapsed";
  const int later_tests = clock.test_count - clock.test_index - 1;
  if (index > 1 && (later_tests == 0 || clock.tests_done > 0)) {
    double left = in_test / (index - 1) * (count - index + 1);
    if (later_tests > 0) left += clock.tests_seconds / clock.tests_done * later_tests;
    line += ", about " + seconds_text(left) + " left";
  }
  return line;
}

// Measures one test in workers (a fresh one for the cells a hang left not-run).
bench::IsolatedOutcome measure_test(const json& topology_json, const topology::Topology& t, bool simulated,
                                    const std::string& test, const RunConfig& config, const RunClock& clock) {
  // The user's budget per test, or what its cells may legitimately take on this machine's links
  // when that is more (simulated cells take milliseconds).
  const double budget = simulated ? config.test_timeout_s
                                  : std::max(config.test_timeout_s, bench::test_budget_s(*bench::find_test(test), t, run_options(config)));
  bench::ProgressSink on_progress;
  if (config.live)
    on_progress = [&](const std::string& line) {
      if (std::string l = live_line(clock, test, line); !l.empty()) config.live(l);
    };
  return bench::measure_in_workers(
      [&](const std::set<std::string>& only) { return measure_test_in_child(topology_json, simulated, test, config, only); }, budget,
      config.interrupted, 4, on_progress);
}

struct Machine {
  topology::Topology topology;
  std::optional<topology::RigBuild> build;
  std::string rig;
  std::string no_measurement;  // why the GPUs cannot be measured ("" when they can)
};

Machine load_machine(const RunConfig& config) {
  Machine m;
  if (config.machine) {
    m.topology = config.machine->topology;
    m.build = config.machine->build;
    m.rig = config.machine_label;
    return m;
  }
  if (!config.simulate.empty()) {
    auto file = topology::load_machine(config.simulate, config.variant);
    m.topology = std::move(file.topology);
    m.build = file.build;
    m.rig = std::filesystem::path(config.simulate).stem().string() + (config.variant.empty() ? "" : " / " + config.variant);
    return m;
  }
  bench::LiveMachine live = bench::discover_in_worker();
  m.topology = std::move(live.topology);
  m.no_measurement = live.unavailable;
  return m;
}

void say(const RunConfig& c, const std::string& line) {
  if (c.progress) c.progress(line);
}

}  // namespace

RunOutcome execute_run(const RunConfig& config) {
  // A cluster file is told apart by its schema, so `run --simulate` takes rigs and clusters alike.
  if (!config.machine && !config.simulate.empty() && is_cluster_file(config.simulate)) return execute_cluster_simulation(config);
  Machine machine = load_machine(config);
  const topology::Topology& t = machine.topology;
  const bool simulated = !config.simulate.empty() || config.machine != nullptr;
  for (int g : config.gpus)
    if (g < 0 || g >= static_cast<int>(t.gpus.size()))
      throw topology::InputError("--gpus: there is no GPU" + std::to_string(g) + " (" + std::to_string(t.gpus.size()) + " GPUs)");

  BuildInfo build = this_build();
  if (machine.build) build = {machine.build->cuda_architectures, machine.build->cuda_toolkit_major};
  auto static_findings_list = static_findings(t, build);

  report::ReportHeader h;
  h.mode = simulated ? "simulated" : "real";
  h.created_utc = utc_now("%Y-%m-%dT%H:%M:%SZ");
  h.command_line = config.command_line;
  h.environment = report::whitelisted_environment(config.environment);
  if (config.keep_hostname) {
    char host[256] = {};
    if (::gethostname(host, sizeof host - 1) == 0) h.hostname = host;
  }
  h.rig = machine.rig;
  json report = report::new_report(h, t, static_findings_list);
  const int gpu_count = static_cast<int>(config.gpus.empty() ? t.gpus.size() : config.gpus.size());
  const auto tests = planned_tests(config.full, gpu_count);
  report["parameters"] = {{"bytes_per_copy", config.bytes},  {"copies_per_sample", bench::RunOptions{}.repetitions},
                          {"tests", tests},                   {"gpus", config.gpus},
                          {"test_timeout_s", config.test_timeout_s}, {"full", config.full}};

  if (config.write_files) std::filesystem::create_directories(config.out_dir);
  const std::string stem = config.name.empty() ? utc_now("%Y-%m-%d") + "-" + random_id() : config.name;
  RunOutcome out;
  out.json_path = (std::filesystem::path(config.out_dir) / (stem + ".json")).string();
  out.markdown_path = (std::filesystem::path(config.out_dir) / (stem + ".md")).string();
  out.html_path = (std::filesystem::path(config.out_dir) / (stem + ".html")).string();
  auto save = [&] {
    if (config.write_files) report::write_atomically(out.json_path, report.dump(2) + "\n");
  };

  say(config, std::string("topology: ") + std::to_string(t.gpus.size()) + " GPU(s); doctor: " +
                  report.at("verdict").at("summary").get<std::string>());
  save();

  std::string note;
  if (!simulated && !machine.no_measurement.empty()) note = machine.no_measurement;  // no driver says more than no GPU
  else if (t.gpus.empty()) note = "no GPU in the topology";
  if (!note.empty()) {
    report["measurement_note"] = "No measurements: " + note +
                                 ". To see what rigcheck measures, run it on a simulated rig: rigcheck run --simulate "
                                 "results/rigs/<rig>.json";
    say(config, report["measurement_note"].get<std::string>());
  } else {
    const json topology_json = report.at("topology");
    int done = 0;
    double elapsed = 0;
    RunClock clock;
    clock.test_count = static_cast<int>(tests.size());
    for (const auto& test : tests) {
      if (config.interrupted && *config.interrupted) {
        report["measurement_note"] = "interrupted after " + std::to_string(done) + " of " + std::to_string(tests.size()) + " tests";
        break;
      }
      const auto started = std::chrono::steady_clock::now();
      say(config, "[" + std::to_string(done + 1) + "/" + std::to_string(tests.size()) + "] " + test + " ...");
      clock.test_index = done;
      clock.test_started = started;
      bench::IsolatedOutcome o = measure_test(topology_json, t, simulated, test, config, clock);
      const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
      json entry = {{"name", test}, {"seconds", seconds}, {"status", "ok"}, {"detail", ""}};
      if (o.kind != bench::IsolatedOutcome::Kind::ok && config.interrupted && *config.interrupted) {
        // Ctrl-C reaches the worker too: its death is the user's stop, not a fault of the machine.
        report["measurement_note"] = "interrupted during " + test + " after " + std::to_string(done) + " of " +
                                     std::to_string(tests.size()) + " tests";
        break;
      }
      if (o.kind == bench::IsolatedOutcome::Kind::ok) {
        report["backend"] = o.result.at("backend");
        for (const auto& c : o.result.at("cells")) report["measurements"].push_back(c);
        json all = report.at("findings");
        for (const auto& f : o.result.at("findings")) all.push_back(f);
        report["findings"] = report::merge_findings(all);
      } else {
        entry["status"] = bench::IsolatedOutcome::to_string(o.kind);
        entry["detail"] = o.detail;
        json all = report.at("findings");
        all.push_back(report::to_json(worker_failure(test, "rigcheck bench " + test, o)));
        report["findings"] = report::merge_findings(all);
      }
      report["tests"].push_back(entry);
      report::update_verdict(report);
      save();  // after every test: an interrupted run still leaves a valid partial report
      ++done;
      elapsed += seconds;
      clock.tests_done = done;
      clock.tests_seconds = elapsed;
      char buf[96];
      std::snprintf(buf, sizeof buf, " %s (%.1f s; about %.0f s left)", entry.at("status").get<std::string>().c_str(), seconds,
                    elapsed / done * static_cast<double>(tests.size() - done));
      say(config, "    " + test + buf);
    }
  }
  report["collectives"] = json::array();
  if (note.empty() && gpu_count >= 2 && !(config.interrupted && *config.interrupted)) {
    say(config, "collectives: all-reduce, one process and one process per GPU, with the P2P-disabled control ...");
    const std::vector<uint64_t> sizes = config.full ? bench::size_sweep(8, 1ull << 30) : std::vector<uint64_t>{1ull << 20, 256ull << 20};
    // Isolated like every test (a crash of the model or of NCCL's set-up costs this step only);
    // its NCCL workers fork from this child, which initialises no CUDA either.
    bench::CollectiveOptions sweep;
    sweep.sizes = sizes;
    const double budget = simulated ? config.test_timeout_s
                                    : std::max(config.test_timeout_s, 4 * bench::collective_budget_s(sweep));  // two models, each with its control
    bench::IsolatedOutcome o = bench::run_isolated(
        [&] {
          std::vector<Finding> found;
          json collectives = run_collective_step(t, simulated, sizes, config.gpus, config.test_timeout_s, found);
          return json{{"collectives", collectives}, {"findings", report::to_json(found)}};
        },
        budget, config.interrupted);
    json all = report.at("findings");
    if (o.kind == bench::IsolatedOutcome::Kind::ok) {
      report["collectives"] = o.result.at("collectives");
      for (const auto& f : o.result.at("findings")) all.push_back(f);
    } else if (!(config.interrupted && *config.interrupted)) {
      all.push_back(report::to_json(worker_failure("all-reduce", "rigcheck bench allreduce", o)));
    }
    report["findings"] = report::merge_findings(all);
    report::update_verdict(report);
    save();
  }
  if (!(config.interrupted && *config.interrupted)) report["status"] = "complete";
  report::update_verdict(report);
  save();
  out.report = report;
  if (!config.write_files) {
    out.json_path = out.markdown_path = out.html_path = "";
    return out;
  }
  std::ostringstream md;
  report::render_report_markdown(report, md);
  report::write_atomically(out.markdown_path, md.str());
  std::ostringstream html;
  report::render_report_html(report, html);
  report::write_atomically(out.html_path, html.str());
  return out;
}

}  // namespace rigcheck::app
