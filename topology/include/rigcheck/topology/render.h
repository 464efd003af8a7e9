#pragma once
// Terminal rendering of a topology: system summary, notes, PCIe tree, GPU matrix, NVLink bundles.

#include <ostream>

#include "rigcheck/topology/model.h"

namespace rigcheck::topology {

struct RenderOptions {
  bool all_devices = false;  // show every PCI function, not only the branches that lead to GPUs
};

void render_system(const Topology& t, std::ostream& out);
void render_notes(const Topology& t, std::ostream& out);
void render_tree(const Topology& t, std::ostream& out, const RenderOptions& options = {});
void render_matrix(const Topology& t, std::ostream& out);
void render_nvlink(const Topology& t, std::ostream& out);
void render_topology(const Topology& t, std::ostream& out, const RenderOptions& options = {});

// "ctl RR CR (redirects P2P)", "ctl off", "cap only", used by the tree and by reports.
std::string describe_acs(const AcsState& acs);
// A network port's state as `topo` prints it after "port N": "ACTIVE/LinkUp 200 Gb/sec (4X HDR)
// (ib0)"; the rate only while the port is up (a down port's rate means nothing).
std::string describe_port_state(const NicPort& p);
// "max Gen4 x16 (device Gen4 x16, port Gen3 x16), now Gen1 x16"
std::string describe_link(const PciLink& link);

}  // namespace rigcheck::topology
