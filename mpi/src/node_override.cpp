#include "rigcheck/mpi/node_override.h"

#include <charconv>
#include <cstring>

namespace rigcheck::mpi {

namespace {

std::optional<int> non_negative(const char* text) {
  if (!text || !*text) return std::nullopt;
  int n = 0;
  const char* end = text + std::strlen(text);
  auto [p, ec] = std::from_chars(text, end, n);
  if (ec != std::errc() || p != end || n < 0) return std::nullopt;
  return n;
}

}  // namespace

NodeOverride fake_node(int world_rank, const std::function<const char*(const char*)>& getenv) {
  NodeOverride o;
  if (const char* node = getenv("RIGCHECK_FAKE_NODE")) {
    o.node = non_negative(node);
    if (!o.node) o.error = std::string("RIGCHECK_FAKE_NODE=\"") + node + "\" is not a node number (0, 1, ...)";
    return o;
  }
  if (const char* size = getenv("RIGCHECK_FAKE_NODE_SIZE")) {
    const auto k = non_negative(size);
    if (!k || *k == 0) {
      o.error = std::string("RIGCHECK_FAKE_NODE_SIZE=\"") + size + "\" is not a number of ranks per node (1, 2, ...)";
      return o;
    }
    o.node = world_rank / *k;
  }
  return o;
}

}  // namespace rigcheck::mpi
