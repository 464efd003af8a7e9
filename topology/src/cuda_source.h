#pragma once
// CUDA runtime: device ordinals, compute capability, memory and peer access, joined by BDF;
// driver/runtime/NCCL versions. Compiled to a "built without CUDA" note when RIGCHECK_CUDA is off.

#include "discovery_state.h"

namespace rigcheck::topology::detail {

void apply_cuda(DiscoveryState& state);

}  // namespace rigcheck::topology::detail
