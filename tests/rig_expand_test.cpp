// How a rig file's root ports become host bridges: one host bridge per PCI domain and root bus.

#include <gtest/gtest.h>

#include <algorithm>

#include "rigcheck/topology/rig.h"

using namespace rigcheck::topology;
using nlohmann::json;

namespace {

std::vector<const PciNode*> host_bridges(const Topology& t) {
  std::vector<const PciNode*> out;
  for (const auto& n : t.pci)
    if (n.kind == PciKind::host_bridge) out.push_back(&n);
  return out;
}

// Large servers number their PCI segments: a root port 0001:00:01.0 sits in segment 1 under a host
// bridge of its own, although its bus number is the same as 0000:00:01.0's.
TEST(RigExpand, RootPortsOfTwoPciDomainsGetTwoHostBridges) {
  const json j = json::parse(R"({
    "schema": "rigcheck.rig/1", "name": "two-domains", "source": "test rig",
    "sockets": [{"cores": 32}],
    "root_ports": [
      {"address": "0000:00:01.0", "socket": 0, "slot": "gen4x16", "gpu": {"address": "0000:01:00.0", "model": "20b0"}},
      {"address": "0001:00:01.0", "socket": 0, "slot": "gen4x16", "gpu": {"address": "0001:01:00.0", "model": "20b0"}}
    ],
    "variants": [{"name": "healthy"}]
  })");
  const Topology t = expand_rig(parse_rig(j), "");
  const auto hbs = host_bridges(t);
  ASSERT_EQ(hbs.size(), 2u);
  EXPECT_EQ(hbs[0]->domain, 0u);
  EXPECT_EQ(hbs[1]->domain, 1u);
  for (const auto& n : t.pci) {
    if (n.kind != PciKind::root_port) continue;
    EXPECT_EQ(t.pci[n.parent].domain, n.address->domain) << n.address->str();
  }
}

TEST(RigExpand, RootPortsOfOneRootBusShareItsHostBridge) {
  const json j = json::parse(R"({
    "schema": "rigcheck.rig/1", "name": "one-bus", "source": "test rig",
    "sockets": [{"cores": 32}],
    "root_ports": [
      {"address": "0000:00:01.0", "socket": 0, "slot": "gen4x16", "gpu": {"address": "0000:01:00.0", "model": "20b0"}},
      {"address": "0000:00:03.0", "socket": 0, "slot": "gen4x16", "gpu": {"address": "0000:02:00.0", "model": "20b0"}}
    ],
    "variants": [{"name": "healthy"}]
  })");
  const Topology t = expand_rig(parse_rig(j), "");
  EXPECT_EQ(host_bridges(t).size(), 1u);
}

}  // namespace
