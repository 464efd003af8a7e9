#pragma once
// The one check every Topology passes before anything uses it, whichever way it was made (a
// topology JSON, a rig file, discovery): every index refers to something that exists and every
// number is one a real machine can have. The fabric model, the renderers and the rules index
// arrays with these values and size loops and allocations by them, so they rely on it.

#include <cstddef>

#include "rigcheck/topology/model.h"

namespace rigcheck::topology {

// More than any single machine has (the largest NVLink domains put 72 GPUs behind one fabric,
// but no node holds more than a few dozen); the pair list grows with the square.
inline constexpr size_t kMaxGpus = 1024;
inline constexpr size_t kMaxPciNodes = 65536;  // 256 buses x 256 functions
inline constexpr int kMaxPackageIndex = 255;   // a socket's os_index; the fabric sizes a matrix by it
inline constexpr int kMaxNumaIndex = 1023;     // Linux's MAX_NUMNODES
inline constexpr int kMaxNvLinksPerBundle = 64;

// Throws InputError naming the first thing wrong.
void validate_topology(const Topology& t);

// Throws InputError when a machine would have more GPUs than kMaxGpus. Called before pairs are
// computed (their number is the square), as well as by validate_topology.
void check_gpu_count(size_t gpus);

}  // namespace rigcheck::topology
