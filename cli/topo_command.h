#pragma once
// `rigcheck topo`: discover and print the topology.

#include <CLI/CLI.hpp>
#include <string>

#include "machine_source.h"

namespace rigcheck::cli {

struct TopoArgs {
  SourceArgs source;
  std::string output;
  bool json = false;
  bool all_devices = false;
};

CLI::App* add_topo_command(CLI::App& app, TopoArgs& args);
int run_topo(const TopoArgs& args);

}  // namespace rigcheck::cli
