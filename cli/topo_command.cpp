#include "topo_command.h"

#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "exit_codes.h"
#include "rigcheck/topology/errors.h"
#include "rigcheck/topology/json.h"
#include "rigcheck/topology/render.h"

namespace rigcheck::cli {

CLI::App* add_topo_command(CLI::App& app, TopoArgs& args) {
  CLI::App* cmd = app.add_subcommand("topo", "Discover and print the PCIe/NVLink/NUMA topology and the network adapters (no benchmark)");
  add_source_options(cmd, args.source);
  cmd->add_flag("--json", args.json, "Write the topology model as JSON (schema rigcheck.topology/1)");
  cmd->add_option("-o,--output", args.output, "Write to this file instead of standard output");
  cmd->add_flag("--all-devices", args.all_devices, "Show every PCI function in the tree, not only the GPU branches");
  return cmd;
}

int run_topo(const TopoArgs& args) {
  const topology::Topology t = load_source(args.source).topology;

  std::ofstream file;
  if (!args.output.empty()) {
    file.open(args.output);
    if (!file) throw topology::InputError("cannot write " + args.output);
  }
  std::ostream& out = args.output.empty() ? std::cout : file;
  if (args.json) {
    out << topology::to_json(t).dump(2) << "\n";
    // Notes go to stderr as well, so that `--json > file` still tells the user what was missing.
    topology::render_notes(t, std::cerr);
  } else {
    topology::render_topology(t, out, topology::RenderOptions{args.all_devices});
  }
  out.flush();
  if (!out) throw std::runtime_error("writing the output failed");
  return kExitOk;
}

}  // namespace rigcheck::cli
