#include "rigcheck/fabric/transfer.h"

namespace rigcheck::fabric {

std::string describe(const Endpoint& e) {
  if (e.is_host()) return e.numa_node >= 0 ? "host(node " + std::to_string(e.numa_node) + ")" : "host";
  if (e.gpu < 0) return "all other GPUs";
  return "GPU" + std::to_string(e.gpu);
}

const char* to_string(Engine e) { return e == Engine::ce ? "ce" : "sm"; }
const char* to_string(Initiator i) { return i == Initiator::src ? "src" : "dst"; }

const char* to_string(PeerPath p) {
  switch (p) {
    case PeerPath::direct: return "direct";
    case PeerPath::host_staged: return "host-staged";
    case PeerPath::unsupported: return "unsupported";
  }
  return "?";
}

}  // namespace rigcheck::fabric
