#pragma once
// The PCI tree above imported GPUs, from `lspci -t` or NCCL's topology XML: the host bridge of
// each root bus, the bridges in between (root ports, switch ports) with the links and ACS that
// lspci or the XML state. GPUs in no imported tree get the assumed root port instead.

#include <map>
#include <string>
#include <vector>

#include "rigcheck/ingest/model.h"
#include "rigcheck/topology/model.h"

namespace rigcheck::ingest {

class TreeBuilder {
 public:
  TreeBuilder(const PartialMachine& m, topology::Topology& t) : m_(m), t_(t) {}

  // The node id the GPU at `address` hangs from (its bridge, or its root bus's host bridge),
  // creating the nodes above it; -1 when no imported tree holds the GPU.
  int parent_for(const std::string& address, int numa_node);

  // The tree node of a function (its XML link, class), or nullptr.
  const ImportedPciNode* node(const std::string& address) const;

 private:
  int host_bridge(const ImportedPciNode& n, int numa_node);
  int bridge(const ImportedPciNode& n, int parent_id, bool xml_top);

  const PartialMachine& m_;
  topology::Topology& t_;
  std::map<std::string, int> hosts_;    // root bus -> host bridge node
  std::map<std::string, int> bridges_;  // bridge BDF -> node
};

}  // namespace rigcheck::ingest
