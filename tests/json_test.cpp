// JSON round trip of the model, and what bad JSON gives.

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "fake_machine.h"
#include "rigcheck/topology/discover.h"
#include "rigcheck/topology/errors.h"
#include "rigcheck/topology/json.h"
#include "rigcheck/topology/rig.h"

using namespace rigcheck::topology;

class JsonRoundTrip : public ::testing::TestWithParam<const char*> {};

TEST_P(JsonRoundTrip, IsLossless) {
  DiscoveryOptions o;
  o.xml = std::string(RIGCHECK_FIXTURES) + "/hwloc/" + GetParam();
  Topology t = discover(o);
  std::string text = to_json(t).dump(2);
  Topology back = parse_topology_json(text);
  EXPECT_TRUE(back == t);
  EXPECT_EQ(to_json(back).dump(2), text);
}

INSTANTIATE_TEST_SUITE_P(AllFixtures, JsonRoundTrip,
                         ::testing::Values("nvidiaDGX2.xml", "power8gpudistances.xml", "24em64t-2n6c2t-pci.xml",
                                           "32em64t-2n8c2t-pci-wholeio.xml", "32em64t-2n8c2t-pci-normalio.xml",
                                           "64intel64-3g2n+2n-irregulargroups+pci.xml", "96em64t-4n4d3ca2co-pci.xml"));

TEST(Json, RoundTripOfAFakeRootKeepsAcsLinksAndSystemState) {
  rigcheck::testing::TempDir dir;
  rigcheck::testing::write_fake_sysfs(rigcheck::testing::reference_machine(), dir.path());
  DiscoveryOptions o;
  o.fsroot = dir.path().string();
  Topology t = discover(o);
  Topology back = parse_topology_json(to_json(t).dump());
  EXPECT_TRUE(back == t);
  EXPECT_EQ(back.system.nvidia_driver, "580.82.07");
}

TEST(Json, RejectsWhatIsNotATopology) {
  EXPECT_THROW(parse_topology_json("{not json"), InputError);
  EXPECT_THROW(parse_topology_json("[1,2,3]"), InputError);
  EXPECT_THROW(parse_topology_json(R"({"hello": 1})"), InputError);
  EXPECT_THROW(parse_topology_json(R"({"schema": "rigcheck.report/1"})"), InputError);
  EXPECT_THROW(parse_topology_json(R"({"schema": "rigcheck.topology/1"})"), InputError);
}

TEST(Json, ErrorsSayWhatIsWrong) {
  try {
    parse_topology_json(R"({"schema": "rigcheck.topology/9"})");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("rigcheck.topology/9"), std::string::npos);
  }
}

TEST(Json, RejectsDanglingReferences) {
  DiscoveryOptions o;
  o.xml = std::string(RIGCHECK_FIXTURES) + "/hwloc/24em64t-2n6c2t-pci.xml";
  auto j = to_json(discover(o));
  auto bad_parent = j;
  bad_parent["pci"][0]["parent"] = 5;  // a parent after its child would allow cycles
  EXPECT_THROW(topology_from_json(bad_parent), InputError);
  auto bad_gpu = j;
  bad_gpu["gpus"][0]["node"] = 100000;
  EXPECT_THROW(topology_from_json(bad_gpu), InputError);
  auto bad_pair = j;
  bad_pair["pairs"][0]["b"] = 7;
  EXPECT_THROW(topology_from_json(bad_pair), InputError);
  auto bad_type = j;
  bad_type["gpus"][0]["numa_node"] = "zero";
  EXPECT_THROW(topology_from_json(bad_type), InputError);
  auto bad_class = j;
  bad_class["pairs"][0]["pcie"] = "NEAR";
  EXPECT_THROW(topology_from_json(bad_class), InputError);
  auto bad_address = j;
  bad_address["gpus"][0]["address"] = "0000:zz:00.0";
  EXPECT_THROW(topology_from_json(bad_address), InputError);
}

TEST(Json, MissingFileIsAnInputError) {
  EXPECT_THROW(load_machine_file("/nonexistent/topology.json"), InputError);
}
