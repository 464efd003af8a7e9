#include "rigcheck/app/bench_job.h"

#include <memory>
#include <stdexcept>

#include "rigcheck/bench/collective_runner.h"
#include "rigcheck/bench/cuda_backend.h"
#include "rigcheck/bench/gbench_harness.h"
#include "rigcheck/bench/live_machine.h"
#include "rigcheck/bench/sim_backend.h"
#include "rigcheck/diagnosis/collective_rules.h"
#include "rigcheck/diagnosis/expected.h"
#include "rigcheck/diagnosis/measured_rules.h"
#include "rigcheck/report/bench_view.h"
#include "rigcheck/report/collectives_view.h"
#include "rigcheck/report/findings_view.h"
#include "rigcheck/topology/discover.h"
#include "rigcheck/topology/errors.h"
#include "rigcheck/topology/rig.h"

namespace rigcheck::app {

namespace {

void check_gpus(const std::vector<int>& gpus, const topology::Topology& t) {
  for (int g : gpus)
    if (g < 0 || g >= static_cast<int>(t.gpus.size()))
      throw topology::InputError("--gpus: there is no GPU" + std::to_string(g) + " (" + std::to_string(t.gpus.size()) +
                                 " GPUs)");
}

}  // namespace

BenchOutcome run_bench_job(const BenchJob& job, std::ostream& out, std::ostream& console) {
  BenchOutcome outcome;
  topology::Topology t;
  std::unique_ptr<bench::Backend> backend;
  if (!job.machine.simulate.empty()) {
    t = topology::load_machine_file(job.machine.simulate, job.machine.variant);
    backend = std::make_unique<bench::SimBackend>(t, fabric::default_fabric_constants(), job.seed);
  } else {
    t = topology::discover({});
    try {
      backend = bench::make_cuda_backend(t);
    } catch (const bench::CudaUnavailable& e) {
      console << "No measurement: " << e.what() << "\n"
              << "To see what rigcheck measures, run it on a simulated rig: rigcheck bench all --simulate RIG.json "
                 "(a topology from `rigcheck topo --json`)\n";
      return outcome;
    }
  }
  check_gpus(job.gpus, t);
  if (t.gpus.empty()) {
    console << "No measurement: the topology has no GPU.\n";
    return outcome;
  }

  bench::RunOptions options;
  options.plan.bytes = job.bytes;
  options.plan.gpus = job.gpus;
  options.repetitions = job.repetitions;
  options.sampler.time_cap_s = job.time_cap_s;
  options.timeout_s = job.timeout_s;
  bench::BenchRun run;
  try {
    run = bench::run_with_google_benchmark(*backend, t, job.tests, options, job.benchmark_args);
  } catch (const std::invalid_argument& e) {
    throw topology::InputError(e.what());
  }
  outcome.measured = true;

  const auto judgements = diagnosis::judge_run(t, run);
  const auto findings = diagnosis::measured_findings(t, run, judgements);
  if (job.json) {
    out << report::bench_json(run, judgements).dump(2) << "\n";
  } else {
    report::render_bench(run, judgements, static_cast<int>(t.gpus.size()), out);
    if (!findings.empty()) report::render_findings(findings, out);
  }
  for (const auto& c : run.cells)
    outcome.failed = outcome.failed || c.status == bench::CellStatus::corrupt || c.status == bench::CellStatus::hang ||
                     c.status == bench::CellStatus::error;
  outcome.wedged = backend->wedged();
  return outcome;
}

BenchOutcome run_collective_job(const CollectiveJob& job, std::ostream& out, std::ostream& console) {
  BenchOutcome outcome;
  const bool simulated = !job.machine.simulate.empty();
  topology::Topology t = simulated ? topology::load_machine_file(job.machine.simulate, job.machine.variant) : topology::Topology{};
  if (!simulated) {
    // Discovery initialises CUDA, so it runs in a worker: NCCL's workers must fork from a process without it.
    auto live = bench::discover_in_worker();
    t = std::move(live.topology);
    if (!live.unavailable.empty() && !t.gpus.empty()) {
      console << "No measurement: " << live.unavailable << "\n";
      return outcome;
    }
  }
  check_gpus(job.gpus, t);
  if (t.gpus.empty()) {
    console << "No measurement: no NVIDIA GPU in the " << (simulated ? "topology" : "PCI tree of this machine")
            << ". To see the collective model, run: rigcheck bench allreduce --simulate RIG.json\n";
    return outcome;
  }
  bench::CollectiveOptions o;
  o.ops = job.ops;
  o.sizes = job.sizes;
  o.gpus = job.gpus;
  o.timeout_s = std::max(job.timeout_s, bench::collective_budget_s(o));  // per process model, scaled to the sweep
  for (auto model : job.process_models) {
    o.process = model;
    const bench::CollectiveMeasurement m = bench::measure_collectives(t, simulated, o, job.control);
    const bench::CollectiveRun& run = m.main;
    const bench::CollectiveRun* control = m.control_or_null();
    if (job.json) {
      out << report::collectives_json(run, control).dump(2) << "\n";
    } else {
      report::render_collectives(run, control, out);
      if (control && control->status == "ok") {
        out << "Control arm (NCCL_P2P_DISABLE=1):\n";
        report::render_collectives(*control, nullptr, out);
      }
      out << "\n";
    }
    if (run.status == "unavailable") return BenchOutcome{};  // no NCCL here: said in the table, not a failure
    outcome.measured = true;
    for (auto op : job.ops) {
      const std::string v = diagnosis::collective_verdict(run, control, op);
      outcome.failed = outcome.failed || v == "wrong results" || v == "hang" || v == "crash" || v == "error";
    }
  }
  return outcome;
}

}  // namespace rigcheck::app
