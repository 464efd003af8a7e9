// How a rig file's root ports become host bridges: one host bridge per PCI domain and root bus.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "rigcheck/topology/rig.h"

using namespace rigcheck::topology;
using nlohmann::json;

namespace {

// A one-socket rig with two root ports, each with an A100 below it.
Topology two_root_ports(const std::string& port_a, const std::string& gpu_a, const std::string& port_b,
                        const std::string& gpu_b) {
  const auto root_port = [](const std::string& port, const std::string& gpu) {
    return json{{"address", port}, {"socket", 0}, {"slot", "gen4x16"}, {"gpu", {{"address", gpu}, {"model", "20b0"}}}};
  };
  const json j = {{"schema", "rigcheck.rig/1"},
                  {"name", "two-root-ports"},
                  {"source", "test rig"},
                  {"sockets", json::array({{{"cores", 32}}})},
                  {"root_ports", json::array({root_port(port_a, gpu_a), root_port(port_b, gpu_b)})},
                  {"variants", json::array({{{"name", "healthy"}}})}};
  return expand_rig(parse_rig(j), "");
}

std::vector<const PciNode*> host_bridges(const Topology& t) {
  std::vector<const PciNode*> out;
  for (const auto& n : t.pci)
    if (n.kind == PciKind::host_bridge) out.push_back(&n);
  return out;
}

// Large servers number their PCI segments: a root port 0001:00:01.0 sits in segment 1 under a host
// bridge of its own, although its bus number is the same as 0000:00:01.0's.
TEST(RigExpand, RootPortsOfTwoPciDomainsGetTwoHostBridges) {
  const Topology t = two_root_ports("0000:00:01.0", "0000:01:00.0", "0001:00:01.0", "0001:01:00.0");
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
  const Topology t = two_root_ports("0000:00:01.0", "0000:01:00.0", "0000:00:03.0", "0000:02:00.0");
  EXPECT_EQ(host_bridges(t).size(), 1u);
}

}  // namespace
