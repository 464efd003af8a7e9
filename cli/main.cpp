// rigcheck: validates a multi-GPU machine. This file only parses arguments and maps errors to
// exit codes; the work is in the libraries.

#include <CLI/CLI.hpp>
#include <iostream>

#include "bench_command.h"
#include "doctor_command.h"
#include "exit_codes.h"
#include "import_command.h"
#include "run_command.h"
#include "terminal_safe.h"
#include "rigcheck/app/launcher.h"
#include "rigcheck/topology/errors.h"
#include "topo_command.h"
#if RIGCHECK_HAVE_CUDA
#include "selftest_command.h"
#endif

extern char** environ;

namespace {

constexpr const char* kFooter =
    "Exit codes: 0 success (also when there is no GPU to measure: that is said, not an error); 1 a check failed\n"
    "(corrupt data, a hang, a CUDA error) or an internal error; 2 bad arguments or unreadable/malformed input;\n"
    "doctor, run and import: 3 the worst finding is a warning, 4 at least one critical finding.\n"
    "Run `rigcheck <command> --help` for a command's options.";

}  // namespace

int main(int argc, char** argv) {
  using namespace rigcheck::cli;
  // Every line printed may carry a name from the machine or a file; see terminal_safe.h.
  TerminalSafeBuf safe_out(std::cout.rdbuf()), safe_err(std::cerr.rdbuf());
  std::streambuf* const real_out = std::cout.rdbuf(&safe_out);
  std::streambuf* const real_err = std::cerr.rdbuf(&safe_err);
  // Whole lines to stderr (terminal_safe.h): without unitbuf each `<<` of a message is not flushed
  // on its own; the filter passes a line when it ends, and a flush (or the end of main) the rest.
  std::cerr.unsetf(std::ios::unitbuf);
  struct Restore {  // before the filters go out of scope, for anything printed at exit
    std::streambuf *out, *err;
    ~Restore() {
      std::cout.flush(), std::cerr.flush();
      std::cout.rdbuf(out), std::cerr.rdbuf(err);
    }
  } restore{real_out, real_err};
  CLI::App app{"rigcheck: validate a multi-GPU machine's topology, links and peer-to-peer paths"};
  app.footer(kFooter);
  app.require_subcommand(1);
  app.set_version_flag("--version", "rigcheck 0.1.0");

  TopoArgs topo;
  CLI::App* topo_cmd = add_topo_command(app, topo);
  ReportArgs report_args;
  CLI::App* report_cmd = add_report_command(app, report_args);
  CompareArgs compare;
  CLI::App* compare_cmd = add_compare_command(app, compare);
  RunArgs run;
  CLI::App* run_cmd = add_run_command(app, run);
  DoctorArgs doctor;
  CLI::App* doctor_cmd = add_doctor_command(app, doctor);
  BenchArgs bench;
  CLI::App* bench_cmd = add_bench_command(app, bench);
  ImportArgs import_args;
  CLI::App* import_cmd = add_import_command(app, import_args);
#if RIGCHECK_HAVE_CUDA
  SelfTestArgs selftest;
  CLI::App* selftest_cmd = add_selftest_command(app, selftest);
#endif

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? kExitOk : kExitBadInput;
  }

  // run, doctor, bench and selftest use the GPUs: N copies of them started by mpirun or srun
  // would fight over the same devices. Rank 0 says why and exits with the job's status; the other
  // ranks stop quietly with success, since a rank that ends non-zero first makes mpirun kill the
  // job, rank 0 too, before it has said why (seen in CI: only mpirun's banner about rank 2).
  const bool uses_gpus = run_cmd->parsed() || doctor_cmd->parsed() || bench_cmd->parsed()
#if RIGCHECK_HAVE_CUDA
                         || selftest_cmd->parsed()
#endif
      ;
  // With MPI, `run` joins them (one cluster report by rank 0); the others run on one machine.
  std::optional<rigcheck::app::LaunchedAs> rank;
  if (uses_gpus) rank = rigcheck::app::launched_as_rank(environ);
  if (rank) {
    std::string refusal;
#if RIGCHECK_HAVE_MPI
    if (!rigcheck::app::can_join_with_mpi(*rank)) refusal = rigcheck::app::rank_cannot_join_message(*rank);
    else if (!run_cmd->parsed())
      refusal = rigcheck::app::rank_needs_run_message(*rank, doctor_cmd->parsed() ? "doctor" : bench_cmd->parsed() ? "bench" : "selftest");
#else
    refusal = rigcheck::app::rank_without_mpi_message(*rank);
#endif
    if (!refusal.empty()) {
      if (rank->rank != 0) return kExitOk;
      std::cerr << "rigcheck: " << refusal << "\n";
      return kExitBadInput;
    }
  }

  try {
    int rc = kExitFailure;
#if RIGCHECK_HAVE_MPI
    if (run_cmd->parsed() && rank) rc = run_run_cluster(run, argc, argv, rank->launcher);
    else
#endif
    if (run_cmd->parsed()) rc = run_run(run, argc, argv);
    else if (topo_cmd->parsed()) rc = run_topo(topo);
    else if (report_cmd->parsed()) rc = run_report(report_args);
    else if (compare_cmd->parsed()) rc = run_compare(compare);
    else if (doctor_cmd->parsed()) rc = run_doctor(doctor);
    else if (bench_cmd->parsed()) rc = run_bench(bench, bench_cmd->remaining());
    else if (import_cmd->parsed()) rc = run_import_command(import_args, argc, argv);
#if RIGCHECK_HAVE_CUDA
    else if (selftest_cmd->parsed()) rc = run_selftest_command(selftest);
#endif
    // Output that did not arrive (a full disk, a closed pipe) is a failure, not success.
    std::cout.flush();
    if (!std::cout) {
      std::cerr << "rigcheck: cannot write to standard output\n";
      return kExitFailure;
    }
    return rc;
  } catch (const rigcheck::topology::InputError& e) {
    std::cerr << "rigcheck: " << e.what() << "\n";
    return kExitBadInput;
  } catch (const std::exception& e) {
    std::cerr << "rigcheck: internal error: " << e.what() << "\n";
    return kExitFailure;
  }
  return kExitFailure;
}
