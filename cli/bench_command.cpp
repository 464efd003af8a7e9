#include "bench_command.h"

#include <fstream>
#include <iostream>
#include <memory>

#include "arg_checks.h"
#include "exit_codes.h"
#include "rigcheck/bench/cuda_backend.h"
#include "rigcheck/bench/gbench_harness.h"
#include "rigcheck/bench/json.h"
#include "rigcheck/bench/sim_backend.h"
#include "rigcheck/report/bench_view.h"
#include "rigcheck/diagnosis/collective_rules.h"
#include "rigcheck/report/collectives_view.h"
#include "rigcheck/bench/collective_runner.h"
#include "rigcheck/bench/live_machine.h"
#include "rigcheck/diagnosis/expected.h"
#include "rigcheck/report/findings_view.h"
#include "rigcheck/diagnosis/measured_rules.h"
#include "rigcheck/diagnosis/static_rules.h"
#include "rigcheck/topology/discover.h"
#include "rigcheck/topology/errors.h"
#include "rigcheck/topology/json.h"
#include "rigcheck/topology/rig.h"
#include "size_arg.h"

namespace rigcheck::cli {

CLI::App* add_bench_command(CLI::App& app, BenchArgs& args) {
  CLI::App* cmd = app.add_subcommand(
      "bench",
      "Measure bandwidth and latency (TEST names from --list, or all). Google Benchmark flags such as "
      "--benchmark_filter=REGEX and --benchmark_repetitions=N are passed through.");
  cmd->add_option("tests", args.tests, "Tests to run (default: all)");
  cmd->add_option("--gpus", args.gpus, "Only these GPUs (rigcheck indexes, as `rigcheck topo` numbers them)")
      ->delimiter(',');
  cmd->add_option("--size", args.size, "Bytes per copy (e.g. 64MiB, 1GiB)")->capture_default_str();
  cmd->add_option("--simulate", args.simulate,
                  "Run on the simulated fabric of this topology JSON or rig file (results/rigs/) instead of the GPUs")
      ->check(CLI::ExistingFile);
  cmd->add_option("--variant", args.variant, "Rig variant to simulate (default: the rig's first, healthy one)");
  cmd->add_option("--seed", args.seed, "Noise seed of the simulation")->capture_default_str();
  cmd->add_option("--repetitions", args.repetitions, "Copies per timed sample")->capture_default_str()->check(CLI::Range(1, 1000));
  cmd->add_option("--time-cap", args.time_cap_s, "Seconds of sampling per cell at most")->capture_default_str()
      ->check(positive_seconds());
  cmd->add_option("--timeout", args.timeout_s, "Seconds before a sample counts as hung")->capture_default_str()
      ->check(positive_seconds());
  cmd->add_flag("--json", args.json, "Write results as JSON (schema rigcheck.bench/1)");
  cmd->add_option("-o,--output", args.output, "Write to this file instead of standard output");
  cmd->add_flag("--list", args.list, "List the tests and exit");
  cmd->add_option("--procs", args.procs, "Collectives: one process for all GPUs (single), one per GPU (per-gpu), or both")
      ->check(CLI::IsMember({"single", "per-gpu", "both"}))->capture_default_str();
  cmd->add_option("--sizes", args.sizes, "Collectives: size sweep MIN:MAX, doubling")->capture_default_str();
  cmd->add_flag("--no-control", args.no_control, "Collectives: skip the NCCL_P2P_DISABLE=1 control arm");
  cmd->allow_extras();
  return cmd;
}

namespace {

std::vector<const bench::TestSpec*> select_tests(const std::vector<std::string>& names) {
  std::vector<const bench::TestSpec*> out;
  for (const auto& name : names) {
    if (name == "all") {
      for (const auto& t : bench::catalogue()) out.push_back(&t);
      continue;
    }
    const bench::TestSpec* t = bench::find_test(name);
    if (!t) throw topology::InputError("unknown test \"" + name + "\" (see `rigcheck bench --list`)");
    out.push_back(t);
  }
  return out;
}

}  // namespace

namespace {

int run_collectives(const BenchArgs& args, const std::vector<bench::Collective>& ops) {
  auto range = bench::parse_size_range(args.sizes);
  if (!range) throw topology::InputError("--sizes: \"" + args.sizes + "\" is not a range such as 8B:1GiB");
  topology::Topology t = args.simulate.empty() ? topology::Topology{} : topology::load_machine_file(args.simulate, args.variant);
  if (args.simulate.empty()) {
    // Discovery initialises CUDA, so it runs in a worker: NCCL's workers must fork from a process without it.
    auto live = bench::discover_in_worker();
    t = std::move(live.topology);
    if (!live.unavailable.empty() && !t.gpus.empty()) {
      std::cout << "No measurement: " << live.unavailable << "\n";
      return kExitOk;
    }
  }
  for (int g : args.gpus)
    if (g < 0 || g >= static_cast<int>(t.gpus.size()))
      throw topology::InputError("--gpus: there is no GPU" + std::to_string(g));
  if (t.gpus.empty()) {
    std::cout << "No measurement: no NVIDIA GPU in the " << (args.simulate.empty() ? "PCI tree of this machine" : "topology")
              << ". To see the collective model, run: rigcheck bench allreduce --simulate RIG.json\n";
    return kExitOk;
  }
  bench::CollectiveOptions o;
  o.ops = ops;
  o.sizes = bench::size_sweep(range->first, range->second);
  o.gpus = args.gpus;
  o.timeout_s = std::max(args.timeout_s, bench::collective_budget_s(o));  // per process model, scaled to the sweep
  std::vector<bench::ProcessModel> models;
  if (args.procs != "per-gpu") models.push_back(bench::ProcessModel::single);
  if (args.procs != "single") models.push_back(bench::ProcessModel::per_gpu);
  bool failed = false;
  for (auto model : models) {
    o.process = model;
    const bench::CollectiveMeasurement m = bench::measure_collectives(t, !args.simulate.empty(), o, !args.no_control);
    const bench::CollectiveRun& run = m.main;
    const bench::CollectiveRun* control = m.control_or_null();
    if (args.json) {
      std::cout << report::collectives_json(run, control).dump(2) << "\n";
    } else {
      report::render_collectives(run, control, std::cout);
      if (control && control->status == "ok") {
        std::cout << "Control arm (NCCL_P2P_DISABLE=1):\n";
        report::render_collectives(*control, nullptr, std::cout);
      }
      std::cout << "\n";
    }
    if (run.status == "unavailable") return kExitOk;
    for (auto op : ops) {
      const std::string v = diagnosis::collective_verdict(run, control, op);
      failed = failed || v == "wrong results" || v == "hang" || v == "crash" || v == "error";
    }
  }
  return failed ? kExitFailure : kExitOk;
}

}  // namespace

int run_bench(const BenchArgs& args, const std::vector<std::string>& benchmark_args) {
  if (args.list) {
    for (const auto& t : bench::catalogue()) std::cout << t.name << "\n    " << t.description << "\n";
    for (auto c : bench::all_collectives())
      std::cout << bench::to_string(c) << "\n    NCCL collective, size sweep (--sizes), --procs single|per-gpu|both\n";
    return kExitOk;
  }
  std::vector<bench::Collective> ops;
  for (const auto& name : args.tests)
    if (auto c = bench::collective_from_name(name)) ops.push_back(*c);
  if (!ops.empty()) {
    if (ops.size() != args.tests.size())
      throw topology::InputError("give collectives (allreduce, …) and copy tests in separate rigcheck bench calls");
    return run_collectives(args, ops);
  }
  for (const auto& a : benchmark_args)
    if (a.rfind("--benchmark_", 0) != 0) throw topology::InputError("unknown option " + a);
  auto tests = select_tests(args.tests);
  auto bytes = parse_size(args.size);
  if (!bytes || *bytes < 4096) throw topology::InputError("--size: \"" + args.size + "\" is not a size of at least 4KiB");

  topology::Topology t;
  std::unique_ptr<bench::Backend> backend;
  if (!args.simulate.empty()) {
    t = topology::load_machine_file(args.simulate, args.variant);
    backend = std::make_unique<bench::SimBackend>(t, fabric::default_fabric_constants(), args.seed);
  } else {
    t = topology::discover({});
    try {
      backend = bench::make_cuda_backend(t);
    } catch (const bench::CudaUnavailable& e) {
      std::cout << "No measurement: " << e.what() << "\n"
                << "To see what rigcheck measures, run it on a simulated rig: rigcheck bench all --simulate RIG.json "
                   "(a topology from `rigcheck topo --json`)\n";
      return kExitOk;
    }
  }
  for (int g : args.gpus)
    if (g < 0 || g >= static_cast<int>(t.gpus.size()))
      throw topology::InputError("--gpus: there is no GPU" + std::to_string(g) + " (" + std::to_string(t.gpus.size()) +
                                 " GPUs)");
  if (t.gpus.empty()) {
    std::cout << "No measurement: the topology has no GPU.\n";
    return kExitOk;
  }

  bench::RunOptions options;
  options.plan.bytes = *bytes;
  options.plan.gpus = args.gpus;
  options.repetitions = args.repetitions;
  options.sampler.time_cap_s = args.time_cap_s;
  options.timeout_s = args.timeout_s;
  bench::BenchRun run;
  try {
    run = bench::run_with_google_benchmark(*backend, t, tests, options, benchmark_args);
  } catch (const std::invalid_argument& e) {
    throw topology::InputError(e.what());
  }

  std::ofstream file;
  if (!args.output.empty()) {
    file.open(args.output);
    if (!file) throw topology::InputError("cannot write " + args.output);
  }
  std::ostream& out = args.output.empty() ? std::cout : file;
  const auto judgements = diagnosis::judge_run(t, run);
  auto findings = diagnosis::measured_findings(t, run, judgements);
  if (args.json) {
    out << report::bench_json(run, judgements).dump(2) << "\n";
  } else {
    report::render_bench(run, judgements, static_cast<int>(t.gpus.size()), out);
    if (!findings.empty()) report::render_findings(findings, out);
  }
  out.flush();
  if (!out) throw std::runtime_error("writing the output failed");
  bool failed = false;
  for (const auto& c : run.cells)
    failed = failed || c.status == bench::CellStatus::corrupt || c.status == bench::CellStatus::hang ||
             c.status == bench::CellStatus::error;
  if (backend->wedged()) {
    // A copy hung and still occupies a GPU: tearing CUDA down at exit would wait for it forever.
    std::cout.flush();
    std::cerr.flush();
    std::_Exit(kExitFailure);
  }
  return failed ? kExitFailure : kExitOk;
}

}  // namespace rigcheck::cli
