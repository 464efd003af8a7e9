#include "machine_source.h"

#include "rigcheck/topology/discover.h"
#include "rigcheck/topology/errors.h"

namespace rigcheck::cli {

void add_source_options(CLI::App* cmd, SourceArgs& args) {
  cmd->add_option("--xml", args.xml, "Read an hwloc XML topology (lstopo --of xml) instead of this machine")
      ->check(CLI::ExistingFile);
  cmd->add_option("--pci-dump", args.pci_dump, "Read PCI config space from `sudo lspci -xxxx` output (ACS, link registers)")
      ->check(CLI::ExistingFile);
  cmd->add_option("--fsroot", args.fsroot, "Read /sys and /proc below this directory (a captured or generated tree)")
      ->check(CLI::ExistingDirectory);
  cmd->add_option("--from-json", args.from_json, "Read a topology saved with `rigcheck topo --json`, or a rig file")
      ->check(CLI::ExistingFile);
  cmd->add_option("--variant", args.variant, "Rig variant (default: the rig's first, healthy one)");
  cmd->get_option("--from-json")->excludes("--xml")->excludes("--fsroot")->excludes("--pci-dump");
  cmd->get_option("--xml")->excludes("--fsroot");
}

topology::MachineFile load_source(const SourceArgs& args) {
  if (!args.from_json.empty()) return topology::load_machine(args.from_json, args.variant);
  if (!args.variant.empty()) throw topology::InputError("--variant applies to rig files given with --from-json");
  topology::DiscoveryOptions o;
  o.xml = args.xml;
  o.pci_dump = args.pci_dump;
  o.fsroot = args.fsroot;
  return {topology::discover(o), std::nullopt};
}

}  // namespace rigcheck::cli
