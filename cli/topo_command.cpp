#include "topo_command.h"

#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "exit_codes.h"
#include "rigcheck/topology/discover.h"
#include "rigcheck/topology/errors.h"
#include "rigcheck/topology/json.h"
#include "rigcheck/topology/render.h"

namespace rigcheck::cli {

CLI::App* add_topo_command(CLI::App& app, TopoArgs& args) {
  CLI::App* cmd = app.add_subcommand("topo", "Discover and print the PCIe/NVLink/NUMA topology (no benchmark)");
  cmd->add_option("--xml", args.xml, "Read an hwloc XML topology (lstopo --of xml) instead of this machine")
      ->check(CLI::ExistingFile);
  cmd->add_option("--pci-dump", args.pci_dump, "Read PCI config space from `sudo lspci -xxxx` output (ACS, link registers)")
      ->check(CLI::ExistingFile);
  cmd->add_option("--fsroot", args.fsroot, "Read /sys and /proc below this directory (a captured or generated tree)")
      ->check(CLI::ExistingDirectory);
  cmd->add_option("--from-json", args.from_json, "Print a topology saved earlier with --json")->check(CLI::ExistingFile);
  cmd->add_flag("--json", args.json, "Write the topology model as JSON (schema rigcheck.topology/1)");
  cmd->add_option("-o,--output", args.output, "Write to this file instead of standard output");
  cmd->add_flag("--all-devices", args.all_devices, "Show every PCI function in the tree, not only the GPU branches");
  cmd->get_option("--from-json")->excludes("--xml")->excludes("--fsroot")->excludes("--pci-dump");
  cmd->get_option("--xml")->excludes("--fsroot");
  return cmd;
}

int run_topo(const TopoArgs& args) {
  topology::Topology t;
  if (!args.from_json.empty()) {
    t = topology::load_topology_json_file(args.from_json);
  } else {
    topology::DiscoveryOptions options;
    options.xml = args.xml;
    options.pci_dump = args.pci_dump;
    options.fsroot = args.fsroot;
    t = topology::discover(options);
  }

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
