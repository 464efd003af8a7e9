#include "import_command.h"

#include <iostream>

#include "exit_codes.h"
#include "rigcheck/app/import_job.h"
#include "rigcheck/report/report.h"

namespace rigcheck::cli {

CLI::App* add_import_command(CLI::App& app, ImportArgs& args) {
  CLI::App* cmd = app.add_subcommand(
      "import",
      "Diagnose outputs of nvbandwidth (text or -j JSON), p2pBandwidthLatencyTest, nccl-tests (text or -J JSON), nvidia-smi topo -m/-p2p, bandwidthTest (also --csv), simpleP2P and conjugateGradientMultiDeviceCG (peer access, their data checks), kernel log lines (link limited at boot, AER, Xid, IOMMU default domain, units and GPU page faults) and kernel command lines (dmesg, /proc/cmdline), NCCL INFO transport lines and topology XML, lspci -vv (links, ACS, also `| grep ACSCtl`) and -tv, vLLM's P2P lines and rigcheck reports, "
      "as pasted in a forum post or an issue (several in one file, prose around them, Markdown damage is fine); "
      "- reads stdin. The report (mode \"imported\") has the same findings as a live run; every figure is labelled IMPORTED. "
      "Exit code: 0 nothing above info, 3 warnings, 4 a critical finding, 2 a file of no known format.");
  cmd->add_option("files", args.files, "Files with the outputs; - for stdin")->required();
  cmd->add_option("--format", args.format, "text (default), markdown or json")->check(CLI::IsMember({"text", "markdown", "json"}));
  cmd->add_option("-o,--output", args.output, "Also write the JSON report (rigcheck.report/1) to this file");
  return cmd;
}

int run_import_command(const ImportArgs& args, int argc, char** argv) {
  app::ImportConfig config;
  config.files = args.files;
  config.command_line.assign(argv, argv + argc);
  app::ImportOutcome out = app::run_import(config, std::cin);
  if (!args.output.empty()) report::write_atomically(args.output, out.report.dump(2) + "\n");
  if (args.format == "json") std::cout << out.report.dump(2) << "\n";
  else if (args.format == "markdown") report::render_report_markdown(out.report, std::cout);
  else report::render_report_text(out.report, std::cout);
  switch (out.worst) {
    case diagnosis::Severity::critical: return kExitCritical;
    case diagnosis::Severity::warning: return out.any_finding_above_info ? kExitWarnings : kExitOk;
    case diagnosis::Severity::info: return kExitOk;
  }
  return kExitOk;
}

}  // namespace rigcheck::cli
