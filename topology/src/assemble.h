#pragma once
// Turns what the sources read into the model: bridge kinds, chipset marks, links, GPUs and their
// NVLink bundles. Internal; runs after all PCI sources and before the path computation.

#include <optional>

#include "discovery_state.h"
#include "rigcheck/topology/rooted_fs.h"

namespace rigcheck::topology::detail {

void classify_bridges(DiscoveryState& state);
void assemble_links(DiscoveryState& state);
// `fs` is given for live and fake-root discovery: GPU NUMA node and BAR1 come from sysfs.
void collect_gpus(DiscoveryState& state, const std::optional<RootedFs>& fs);
void attach_nvlinks(DiscoveryState& state);

}  // namespace rigcheck::topology::detail
