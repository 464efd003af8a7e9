#pragma once
// sysfs per-function files: link speed/width (the only link data a non-root user gets), NUMA
// node, BAR sizes, driver and IOMMU group. Internal.

#include "discovery_state.h"
#include "rigcheck/topology/rooted_fs.h"

namespace rigcheck::topology::detail {

void apply_sysfs(const RootedFs& fs, DiscoveryState& state);

// Size of BAR `index` from a sysfs `resource` file ("start end flags" per line, hex); 0 if unset.
uint64_t bar_size_from_resource(const std::string& resource_text, int index);

}  // namespace rigcheck::topology::detail
