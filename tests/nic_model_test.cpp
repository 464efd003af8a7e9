// The NIC model (issue 15): rig files with NICs expand to Nics in the tree with their PCIe link,
// NUMA node and path class to every GPU; the topology JSON round-trips them; topologies written
// before NICs existed still read; `rigcheck topo` text shows them.

#include <gtest/gtest.h>

#include <sstream>

#include "rigcheck/topology/errors.h"
#include "rigcheck/topology/json.h"
#include "rigcheck/topology/render.h"
#include "rigcheck/topology/rig.h"
#include "rigcheck/topology/system_state.h"

using namespace rigcheck::topology;
using nlohmann::json;

namespace {

// Two sockets. Socket 0: a PEX switch with two A100s and a ConnectX-6 (HDR) on its ports, the NIC
// trained at x8. Socket 1: a RoCE ConnectX-6 Dx on its own root port, no GPU near it.
json two_socket_rig() {
  return json::parse(R"({
    "schema": "rigcheck.rig/1", "name": "nic-test", "source": "test rig",
    "sockets": [{"cores": 32}, {"cores": 32}],
    "system": {"gpudirect_rdma": {"peer_module": "nvidia_peermem", "dmabuf": false},
               "nccl_env": {"NCCL_IB_HCA": "mlx5_0", "NCCL_NET_GDR_LEVEL": "PIX"}},
    "root_ports": [
      {"address": "0000:00:01.0", "socket": 0, "slot": "gen4x16",
       "switch": {"address": "0000:01:00.0", "uplink": "gen4x16", "ports": [
         {"address": "0000:02:00.0", "gpu": {"address": "0000:03:00.0", "model": "20b0"}},
         {"address": "0000:02:01.0", "gpu": {"address": "0000:04:00.0", "model": "20b0"}},
         {"address": "0000:02:02.0", "nic": {"address": "0000:05:00.0", "kind": "infiniband", "rate_gbit": 200,
                                              "link": "gen4x16", "current": "gen4x8"}}]}},
      {"address": "0000:80:01.0", "socket": 1, "slot": "gen4x16",
       "nic": {"address": "0000:81:00.0", "kind": "roce", "rate_gbit": 100, "link": "gen4x16", "state": "DOWN"}}
    ],
    "variants": [{"name": "healthy"}]
  })");
}

Topology expand_json(const json& j) { return expand_rig(parse_rig(j), ""); }

TEST(NicModel, RigNicsExpandIntoTheTree) {
  const Topology t = expand_json(two_socket_rig());
  ASSERT_EQ(t.nics.size(), 2u);
  const Nic& ib = t.nics[0];
  EXPECT_EQ(ib.index, 0);
  EXPECT_EQ(ib.name, "mlx5_0");
  EXPECT_EQ(ib.kind, NicKind::infiniband);
  EXPECT_EQ(ib.address.str(), "0000:05:00.0");
  ASSERT_GE(ib.node, 0);
  EXPECT_EQ(t.pci[ib.node].class_id, 0x0207);
  EXPECT_EQ(t.pci[ib.node].vendor_id, 0x15b3);
  EXPECT_EQ(t.pci[t.pci[ib.node].parent].address->str(), "0000:02:02.0");
  ASSERT_TRUE(ib.pcie_max && ib.pcie_current);
  EXPECT_EQ(*ib.pcie_max, (LinkState{4, 16}));
  EXPECT_EQ(*ib.pcie_current, (LinkState{4, 8}));
  EXPECT_EQ(ib.numa_node, 0);
  ASSERT_EQ(ib.ports.size(), 1u);
  EXPECT_EQ(ib.ports[0].state, "ACTIVE");
  EXPECT_EQ(ib.ports[0].link_layer, "InfiniBand");
  EXPECT_EQ(ib.ports[0].rate_gbit, 200);
  EXPECT_EQ(ib.ports[0].width, 4);
  EXPECT_EQ(ib.max_rate_gbit, 200);
  // Same switch as both GPUs: one downstream port each side.
  EXPECT_EQ(ib.gpu_paths, (std::vector<PathClass>{PathClass::pix, PathClass::pix}));

  const Nic& roce = t.nics[1];
  EXPECT_EQ(roce.name, "mlx5_1");
  EXPECT_EQ(roce.kind, NicKind::roce);
  EXPECT_EQ(roce.ports[0].link_layer, "Ethernet");
  EXPECT_FALSE(roce.ports[0].active());
  EXPECT_EQ(roce.ports[0].phys_state, "Polling");
  EXPECT_EQ(roce.numa_node, 1);
  EXPECT_EQ(roce.gpu_paths, (std::vector<PathClass>{PathClass::sys, PathClass::sys}));

  EXPECT_EQ(t.system.gpudirect_rdma.peer_module, "nvidia_peermem");
  EXPECT_EQ(t.system.gpudirect_rdma.dmabuf, false);
  EXPECT_EQ(t.system.nccl_network_env.at("NCCL_IB_HCA"), "mlx5_0");
}

TEST(NicModel, JsonRoundTrips) {
  const Topology t = expand_json(two_socket_rig());
  EXPECT_EQ(topology_from_json(to_json(t)), t);
}

TEST(NicModel, TopologyWithoutNicsStillReads) {
  const Topology t = expand_json(two_socket_rig());
  json j = to_json(t);
  j.erase("nics");
  j["system"].erase("gpudirect_rdma");
  j["system"].erase("nccl_network_env");
  const Topology old = topology_from_json(j);
  EXPECT_TRUE(old.nics.empty());
  EXPECT_EQ(old.system.gpudirect_rdma.peer_module, "?");
  EXPECT_FALSE(old.system.gpudirect_rdma.dmabuf);
}

TEST(NicModel, BadNicsAreRefused) {
  json j = two_socket_rig();
  j["root_ports"][1]["nic"]["kind"] = "token-ring";
  EXPECT_THROW(expand_json(j), InputError);
  j = two_socket_rig();
  j["root_ports"][1]["nic"].erase("link");
  EXPECT_THROW(expand_json(j), InputError);
  j = two_socket_rig();
  j["root_ports"][1]["nic"]["rate_gbit"] = 1e9;
  EXPECT_THROW(expand_json(j), InputError);
  j = two_socket_rig();
  j["system"]["nccl_env"]["NCCL_DEBUG"] = "INFO";  // not a network variable
  EXPECT_THROW(expand_json(j), InputError);
  j = two_socket_rig();
  j["system"]["gpudirect_rdma"]["peer_module"] = "peermem";
  EXPECT_THROW(expand_json(j), InputError);

  json topo = to_json(expand_json(two_socket_rig()));
  topo["nics"][0]["gpu_paths"] = json::array({"PIX"});  // two GPUs
  EXPECT_THROW(topology_from_json(topo), InputError);
  topo = to_json(expand_json(two_socket_rig()));
  topo["nics"][1]["node"] = 3;  // a GPU's node, not the NIC's address
  EXPECT_THROW(topology_from_json(topo), InputError);
}

TEST(NicModel, DualFunctionAdapterIsTwoNics) {
  json j = two_socket_rig();
  j["root_ports"][1]["nic"] = json::array({{{"address", "0000:81:00.1"}, {"kind", "infiniband"}, {"rate_gbit", 100}, {"link", "gen3x16"}},
                                           {{"address", "0000:81:00.0"}, {"kind", "infiniband"}, {"rate_gbit", 100}, {"link", "gen3x16"}}});
  const Topology t = expand_json(j);
  ASSERT_EQ(t.nics.size(), 3u);
  // Indexes in PCI address order, whatever the file's order.
  EXPECT_EQ(t.nics[1].address.str(), "0000:81:00.0");
  EXPECT_EQ(t.nics[2].address.str(), "0000:81:00.1");
  EXPECT_EQ(t.nics[2].index, 2);
}

TEST(NicModel, TopoTextShowsNics) {
  const Topology t = expand_json(two_socket_rig());
  std::ostringstream out;
  render_topology(t, out, {});
  const std::string s = out.str();
  EXPECT_NE(s.find("NIC mlx5_0 0000:05:00.0 [15b3:101b]"), std::string::npos) << s;  // in the tree
  EXPECT_NE(s.find("NIC0 mlx5_0 infiniband 0000:05:00.0 NUMA 0 | PCIe max Gen4 x16, now Gen4 x8 | port 1 ACTIVE/LinkUp 200"),
            std::string::npos)
      << s;
  EXPECT_NE(s.find("to GPUs: GPU0 PIX GPU1 PIX"), std::string::npos) << s;
  EXPECT_NE(s.find("NIC1 mlx5_1 roce 0000:81:00.0 NUMA 1"), std::string::npos) << s;
  EXPECT_NE(s.find("port 1 DOWN/Polling"), std::string::npos) << s;
  EXPECT_NE(s.find("GPUDirect RDMA: peer module nvidia_peermem, dma-buf not possible"), std::string::npos) << s;
  EXPECT_NE(s.find("NCCL network variables: NCCL_IB_HCA=mlx5_0 NCCL_NET_GDR_LEVEL=PIX"), std::string::npos) << s;
}

TEST(NicModel, NcclNetworkEnvironmentKeepsOnlyTheNetworkVariables) {
  const std::map<std::string, std::string> env{{"NCCL_SOCKET_IFNAME", "=ens1f0"}, {"NCCL_DEBUG", "INFO"}, {"NCCL_IB_DISABLE", "1"}};
  const auto got = nccl_network_environment([&](const char* name) -> const char* {
    auto it = env.find(name);
    return it == env.end() ? nullptr : it->second.c_str();
  });
  EXPECT_EQ(got, (std::map<std::string, std::string>{{"NCCL_IB_DISABLE", "1"}, {"NCCL_SOCKET_IFNAME", "=ens1f0"}}));
}

}  // namespace
