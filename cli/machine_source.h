#pragma once
// Where a command reads the machine from: this machine (default), an hwloc XML (+ lspci dump), a
// fake root, or a saved topology / rig file. Shared by `topo` and `doctor`.

#include <CLI/CLI.hpp>
#include <string>

#include "rigcheck/topology/rig.h"

namespace rigcheck::cli {

struct SourceArgs {
  std::string xml;
  std::string pci_dump;
  std::string fsroot;
  std::string from_json;
  std::string variant;
};

void add_source_options(CLI::App* cmd, SourceArgs& args);

// The machine, and the build a rig file assumes (none for the other sources).
topology::MachineFile load_source(const SourceArgs& args);

}  // namespace rigcheck::cli
