#include "bench_command.h"

#include <fstream>
#include <iostream>
#include <memory>

#include "arg_checks.h"
#include "exit_codes.h"
#include "rigcheck/app/bench_job.h"
#include "rigcheck/bench/catalogue.h"
#include "rigcheck/bench/collectives.h"
#include "rigcheck/topology/errors.h"
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

int run_bench(const BenchArgs& args, const std::vector<std::string>& benchmark_args) {
  if (args.list) {
    for (const auto& t : bench::catalogue()) std::cout << t.name << "\n    " << t.description << "\n";
    for (auto c : bench::all_collectives())
      std::cout << bench::to_string(c) << "\n    NCCL collective, size sweep (--sizes), --procs single|per-gpu|both\n";
    return kExitOk;
  }
  const app::MachineChoice machine{args.simulate, args.variant};
  std::vector<bench::Collective> ops;
  for (const auto& name : args.tests)
    if (auto c = bench::collective_from_name(name)) ops.push_back(*c);
  if (!ops.empty()) {
    if (ops.size() != args.tests.size())
      throw topology::InputError("give collectives (allreduce, …) and copy tests in separate rigcheck bench calls");
    auto range = bench::parse_size_range(args.sizes);
    if (!range) throw topology::InputError("--sizes: \"" + args.sizes + "\" is not a range such as 8B:1GiB");
    app::CollectiveJob job;
    job.machine = machine;
    job.ops = ops;
    job.sizes = bench::size_sweep(range->first, range->second);
    job.gpus = args.gpus;
    if (args.procs != "per-gpu") job.process_models.push_back(bench::ProcessModel::single);
    if (args.procs != "single") job.process_models.push_back(bench::ProcessModel::per_gpu);
    job.control = !args.no_control;
    job.timeout_s = args.timeout_s;
    job.json = args.json;
    return app::run_collective_job(job, std::cout, std::cout).failed ? kExitFailure : kExitOk;
  }
  for (const auto& a : benchmark_args)
    if (a.rfind("--benchmark_", 0) != 0) throw topology::InputError("unknown option " + a);
  app::BenchJob job;
  job.machine = machine;
  job.tests = select_tests(args.tests);
  auto bytes = parse_size(args.size);
  if (!bytes || *bytes < 4096) throw topology::InputError("--size: \"" + args.size + "\" is not a size of at least 4KiB");
  job.bytes = *bytes;
  job.gpus = args.gpus;
  job.seed = args.seed;
  job.repetitions = args.repetitions;
  job.time_cap_s = args.time_cap_s;
  job.timeout_s = args.timeout_s;
  job.json = args.json;
  job.benchmark_args = benchmark_args;

  std::ofstream file;
  if (!args.output.empty()) {
    file.open(args.output);
    if (!file) throw topology::InputError("cannot write " + args.output);
  }
  std::ostream& out = args.output.empty() ? std::cout : file;
  const app::BenchOutcome outcome = app::run_bench_job(job, out, std::cout);
  out.flush();
  if (!out) throw std::runtime_error("writing the output failed");
  if (outcome.wedged) {
    // A copy hung and still occupies a GPU: tearing CUDA down at exit would wait for it forever.
    std::cout.flush();
    std::cerr.flush();
    std::_Exit(kExitFailure);
  }
  return outcome.failed ? kExitFailure : kExitOk;
}

}  // namespace rigcheck::cli
