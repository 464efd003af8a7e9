#pragma once
// The transfer vocabulary shared by the fabric model and the measurement layer: endpoints, the
// engine and the GPU that drive a copy, how many bytes, and how a peer copy travels.

#include <cstdint>
#include <string>

namespace rigcheck::fabric {

// Host memory (on a NUMA node) or a GPU's memory.
struct Endpoint {
  enum class Kind { host, gpu };
  Kind kind = Kind::host;
  int gpu = -1;        // GPU index (Topology::gpus) when kind == gpu
  int numa_node = -1;  // host memory: the NUMA node it is bound to (-1: the GPU's local node)

  static Endpoint host(int numa_node = -1) { return {Kind::host, -1, numa_node}; }
  static Endpoint device(int gpu) { return {Kind::gpu, gpu, -1}; }
  bool is_host() const { return kind == Kind::host; }
  bool operator==(const Endpoint&) const = default;
};

// Copy engine (cudaMemcpyAsync) or SM copy kernel.
enum class Engine { ce, sm };

// Which GPU issues the copy. For a peer copy this decides read vs write: the destination GPU
// pulling data is a read, the source GPU pushing it is a write.
enum class Initiator { src, dst };

struct Transfer {
  Endpoint src;
  Endpoint dst;
  Engine engine = Engine::ce;
  Initiator initiator = Initiator::src;
  uint64_t bytes = 0;     // per copy
  bool measured = true;   // false: interference traffic, timed but not reported
  // Split-warp SM kernel moving `bytes` each way between src and dst in one launch
  // (bidirectional host<->GPU SM test); the result counts both directions.
  bool split_bidirectional = false;
};

// How the bytes of a GPU-to-GPU transfer actually travel, seen from the GPU that issues it:
// peer_path(accessor, owner) says whether `accessor` can reach `owner`'s memory directly.
enum class PeerPath {
  direct,       // peer-to-peer (PCIe or NVLink)
  host_staged,  // no peer access: the driver bounces through host memory
  unsupported,  // cannot be measured this way (e.g. an SM copy without peer access)
};

std::string describe(const Endpoint& e);  // "host(node 0)", "GPU3"
const char* to_string(Engine e);          // "ce", "sm"
const char* to_string(Initiator i);       // "src", "dst"
const char* to_string(PeerPath p);        // "direct", "host-staged", "unsupported"

}  // namespace rigcheck::fabric
