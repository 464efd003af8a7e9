#pragma once
// `rigcheck import FILE... [-]`: diagnose outputs of other tools (nvbandwidth, p2pBandwidthLatencyTest,
// nccl-tests, nvidia-smi topo) as pasted in forum threads and issues.

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

namespace rigcheck::cli {

struct ImportArgs {
  std::vector<std::string> files;
  std::string format = "text";
  std::string output;  // also write the JSON report here
};

CLI::App* add_import_command(CLI::App& app, ImportArgs& args);
int run_import_command(const ImportArgs& args, int argc, char** argv);

}  // namespace rigcheck::cli
