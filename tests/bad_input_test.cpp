// Regression tests of inputs that crashed, hung or exhausted rigcheck (tests/fixtures/bad/): each
// must now be refused with an InputError of one sentence, quickly, and nothing else.

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "fake_machine.h"
#include "rigcheck/bench/collectives.h"
#include "rigcheck/report/report.h"
#include "rigcheck/topology/discover.h"
#include "rigcheck/topology/errors.h"
#include "rigcheck/topology/json.h"
#include "rigcheck/topology/rig.h"

using namespace rigcheck::topology;

namespace {

std::string bad(const std::string& name) { return std::string(RIGCHECK_FIXTURES) + "/bad/" + name; }
std::string hwloc_fixture(const std::string& name) { return std::string(RIGCHECK_FIXTURES) + "/hwloc/" + name; }
std::string examples() { return std::string(RIGCHECK_RIGS) + "/../examples"; }

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Runs f, which must throw InputError: one line, naming `expect` when given. Returns the message.
template <typename F>
std::string input_error(F&& f, const std::string& expect = "") {
  try {
    f();
  } catch (const InputError& e) {
    const std::string what = e.what();
    EXPECT_EQ(what.find('\n'), std::string::npos) << what;
    EXPECT_FALSE(what.empty());
    if (!expect.empty()) {
      EXPECT_NE(what.find(expect), std::string::npos) << what;
    }
    return what;
  } catch (const std::exception& e) {
    ADD_FAILURE() << "expected InputError, got " << e.what();
    return {};
  }
  ADD_FAILURE() << "expected InputError, nothing was thrown";
  return {};
}

Topology discover_xml(const std::string& xml, const std::string& dump = "") {
  DiscoveryOptions o;
  o.xml = xml;
  o.pci_dump = dump;
  return discover(o);
}

}  // namespace

// libpci 3.9 wrote config bytes at any offset the dump named (negative, 0xffffff00, 0xaaaaaa50)
// and at a continuation line without one: heap corruption. The dump is checked before libpci.
TEST(BadInput, PciDumpsWithWildOffsetsAreRefusedBeforeLibpci) {
  for (const char* name : {"pcidump-negative-offset-min.txt", "pcidump-heap-underflow-min.txt",
                           "pcidump-wild-offset-min.txt", "pcidump-fuzz-heap-corruption.txt"}) {
    SCOPED_TRACE(name);
    input_error([&] { discover_xml(hwloc_fixture("24em64t-2n6c2t-pci.xml"), bad(name)); }, "is malformed at line");
  }
}

TEST(BadInput, PciDumpLineRules) {
  rigcheck::testing::TempDir dir;
  const std::string xml = hwloc_fixture("24em64t-2n6c2t-pci.xml");
  auto dump = [&](const std::string& text) {
    const std::string path = (dir.path() / "d.txt").string();
    std::ofstream(path, std::ios::binary) << text;
    return path;
  };
  input_error([&] { discover_xml(xml, dump("0000:00:00.0 x\nff0: 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00\n")); },
              "1 to 16 bytes");
  input_error([&] { discover_xml(xml, dump("0000:00:00.0 x\nff8: 00 00 00 00 00 00 00 00 00\n")); }, "past the 4096");
  input_error([&] { discover_xml(xml, dump("00: 86 80\n")); }, "before any device header");
  input_error([&] { discover_xml(xml, dump("0000:00:00.0 x\n00: 8 80\n")); }, "two hex digits");
  input_error([&] { discover_xml(xml, dump("0000:00:00.0 x\n" + std::string(5000, 'a') + "\n")); }, "too long");
  // What lspci -vxxxx prints around the bytes is fine, and so are 3-digit offsets and CRLF.
  EXPECT_NO_THROW(discover_xml(xml, dump("0000:00:00.0 Host bridge: Intel\r\n\tFlags: fast\r\n000: 86 80 30 20\r\n"
                                         "100: 00 00\r\n\r\n00:01.0 PCI bridge\n00: 86 80\n")));
}

// hwloc_source.cpp loaded bridge_type="2-1" into the bridge-type enum, which has no 2 (UBSan).
TEST(BadInput, HwlocBridgeOfUnknownTypeIsRefused) {
  input_error([] { discover_xml(bad("hwloc-bridge-type-2.xml")); }, "unknown type 2");
}

// Under ASan the probe child of this file exited from the crash handler instead of dying by a
// signal; the parent took it for a plain failure and loaded the file itself. Whichever importer
// hwloc uses (libxml2 or its own), the answer is an input error about this file.
TEST(BadInput, HwlocXmlFoundByFuzzingIsAnInputError) {
  input_error([] { discover_xml(bad("hwloc-fuzz-asan-crash.xml")); }, "hwloc-fuzz-asan-crash.xml");
}

// fabric.cpp wrote out of bounds for an NVLink remote_gpu past the GPUs, read out of bounds for a
// NUMA node's package, sized a matrix by a package id of 2147483647; sim_backend.cpp looped
// forever on a link of 1e308 GB/s. The topology is validated on load.
TEST(BadInput, TopologyJsonWithIndexesOrNumbersOutOfRangeIsRefused) {
  input_error([] { load_machine_file(bad("bb-fabric-nvlink-remote-gpu-oob.topo.json")); }, "NVLink bundle to GPU");
  input_error([] { load_machine_file(bad("bb-fabric-numa-package-oob.topo.json")); }, "package");
  input_error([] { load_machine_file(bad("bb-fabric-package-intmax.topo.json")); }, "os_index");
  input_error([] { load_machine_file(bad("bb-sim-hang-nvlink-1e308.topo.json")); }, "gbps_per_link");
}

// Every field of a topology is range-checked, not only the reproducers' ones.
TEST(BadInput, TopologyFieldsAreRangeChecked) {
  DiscoveryOptions o;
  o.xml = hwloc_fixture("nvidiaDGX2.xml");
  const nlohmann::json good = to_json(discover(o));
  ASSERT_NO_THROW(topology_from_json(good));
  auto with = [&](const std::string& pointer, const nlohmann::json& value) {
    nlohmann::json j = good;
    j[nlohmann::json::json_pointer(pointer)] = value;
    return j;
  };
  input_error([&] { topology_from_json(with("/gpus/0/memory_bytes", -1)); }, "memory_bytes");
  input_error([&] { topology_from_json(with("/gpus/0/memory_bytes", 1e308)); }, "memory_bytes");
  input_error([&] { topology_from_json(with("/gpus/0/vendor_id", 70000)); }, "vendor_id");
  input_error([&] { topology_from_json(with("/gpus/0/nvlink/0/links", -4)); }, "link count");
  input_error([&] { topology_from_json(with("/gpus/0/nvlink/0/gbps_per_link", -1.0)); }, "gbps_per_link");
  input_error([&] { topology_from_json(with("/gpus/0/numa_node", 5000)); }, "NUMA node");
  input_error([&] { topology_from_json(with("/gpus/0/host_path/node", 100000)); }, "PCI node");
  const std::string gpu_link = "/pci/" + std::to_string(good.at("gpus").at(0).at("node").get<int>()) + "/link";
  ASSERT_FALSE(good.at(nlohmann::json::json_pointer(gpu_link)).is_null());
  input_error([&] { topology_from_json(with(gpu_link + "/current/width", 1 << 20)); }, "width");
  input_error([&] { topology_from_json(with(gpu_link + "/current_gbps", 1e308)); }, "current_gbps");
  input_error([&] { topology_from_json(with("/numa_nodes/0/package", 7)); }, "package 7");
  input_error([&] { topology_from_json(with("/pairs/0/bottleneck/gbps", 1e300)); }, "bottleneck");
}

// 16 JSON Patch copies of the root took a 2 KB rig to 2 GB; the patch was also applied twice.
TEST(BadInput, JsonPatchCopyBombIsRefusedQuickly) {
  const auto start = std::chrono::steady_clock::now();
  input_error([] { load_machine(bad("bb-rig-patch-copy-bomb-16.rig.json")); }, "expand the rig beyond");
  // fuzz_rig (tests/fuzz) timed out on this seed at 10 s for two variants: the old bound let it
  // build half a million values first (about 10 s under ASan); now about 1 s under ASan.
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

// The bound itself, without timing: a variant may build some 100,000 values (ten times a rig of
// 1024 GPUs), not the 1,000,000 that let the copy bomb above run for seconds first.
TEST(BadInput, JsonPatchMayNotBuildAHundredThousandValues) {
  nlohmann::json rig = read_json_file(std::string(RIGCHECK_RIGS) + "/gigabyte-t180-g20-4xv100-nvlink.json");
  nlohmann::json variant = {{"name", "padded"}, {"expect", nlohmann::json::array()}};
  variant["patch"] = nlohmann::json::array({{{"op", "add"}, {"path", "/padding"}, {"value", nlohmann::json::array()}}});
  variant["patch"][0]["value"].get_ref<nlohmann::json::array_t&>().resize(150'000, 0);
  rig["variants"].push_back(variant);
  input_error([&] { expand_rig(parse_rig(rig), "padded"); }, "expand the rig beyond");
}

TEST(BadInput, RigModelIdThatIsNotHexIsAnInputError) {
  input_error([] { load_machine_file(bad("bb-rig-model-huge-hex.rig.json")); }, "invalid PCI id");
}

// Numbers of a rig file: 1e308 cores, -1 GiB of memory, -4 NVLink links were accepted.
TEST(BadInput, RigNumbersAreRangeChecked) {
  const nlohmann::json base = read_json_file(std::string(RIGCHECK_RIGS) + "/gigabyte-t180-g20-4xv100-nvlink.json");
  auto expand_with = [&](const std::string& pointer, const nlohmann::json& value) {
    nlohmann::json j = base;
    j[nlohmann::json::json_pointer(pointer)] = value;
    return expand_rig(parse_rig(j), "");
  };
  ASSERT_NO_THROW(expand_rig(parse_rig(base), ""));
  input_error([&] { expand_with("/sockets/0/cores", 1e308); }, "cores");
  input_error([&] { expand_with("/sockets/0/memory_gib", -1); }, "memory_gib");
  input_error([&] { expand_with("/nvlink/0/links", -4); }, "links");
  input_error([&] { expand_with("/nvlink/0/gpus/0", 1e10); }, "gpus");
}

// "nvswitch": every GPU's links go to the NVSwitch fabric: each pair is NVLink through NVSwitch,
// with the links of the GPU (HGX boards: 12 on A100, 18 on H100); a count out of range is refused.
TEST(BadInput, RigNvSwitchLinksEveryPairThroughTheSwitch) {
  nlohmann::json rig = read_json_file(std::string(RIGCHECK_RIGS) + "/gigabyte-t180-g20-4xv100-nvlink.json");
  rig.erase("nvlink");
  rig["nvswitch"] = {{"links_per_gpu", 6}};
  const auto t = expand_rig(parse_rig(rig), "");
  ASSERT_EQ(t.pairs.size(), 6u);
  for (const auto& p : t.pairs) {
    EXPECT_TRUE(p.via_nvswitch);
    EXPECT_EQ(p.nvlink_links, 6);
    EXPECT_EQ(p.bottleneck.kind, "nvlink");
    EXPECT_DOUBLE_EQ(p.bottleneck.gbps, 6 * 25.0);  // V100 NVLink 2: 25 GB/s per link and direction
  }
  rig["nvswitch"] = {{"links_per_gpu", 0}};
  input_error([&] { expand_rig(parse_rig(rig), ""); }, "links_per_gpu");
}

// NVLink between models whose table row gives no NVLink figure (the A800 PCIe: no sourced bridge
// figure) modelled as an unlimited link (6666 GB/s, once, in the calibration table): the rig must
// say which NVLink version it is, or it is refused.
TEST(BadInput, RigNvlinkOfAModelWithoutAnNvlinkFigureNeedsItsVersion) {
  nlohmann::json rig = read_json_file(std::string(RIGCHECK_RIGS) + "/gigabyte-t180-g20-4xv100-nvlink.json");
  for (auto& rp : rig["root_ports"])
    for (auto& port : rp["switch"]["ports"]) port["gpu"]["model"] = "20f5", port["gpu"]["link"] = "gen4x16";  // A800 80GB PCIe
  input_error([&] { expand_rig(parse_rig(rig), ""); }, "version");
  for (auto& nv : rig["nvlink"]) nv["version"] = 3;
  const auto t = expand_rig(parse_rig(rig), "");
  ASSERT_FALSE(t.pairs.empty());
  EXPECT_DOUBLE_EQ(t.pairs[0].bottleneck.gbps, 2 * 25.0);  // two NVLink 3 links at 25 GB/s per direction
  nlohmann::json sw = rig;
  sw.erase("nvlink");
  sw["nvswitch"] = {{"links_per_gpu", 8}};
  input_error([&] { expand_rig(parse_rig(sw), ""); }, "version");
  sw["nvswitch"]["version"] = 3;
  EXPECT_NO_THROW(expand_rig(parse_rig(sw), ""));
}

// A rig of 10,000 GPUs ran doctor for a minute at 7.7 GB: the GPU count is capped before the pairs.
TEST(BadInput, MoreGpusThanAnyMachineIsRefusedQuickly) {
  nlohmann::json rig = read_json_file(std::string(RIGCHECK_RIGS) + "/gigabyte-t180-g20-4xv100-nvlink.json");
  rig.erase("nvlink");
  nlohmann::json ports = nlohmann::json::array();
  const nlohmann::json gpu = rig.at("root_ports").at(0).contains("gpu") ? rig.at("root_ports").at(0).at("gpu")
                                                                        : nlohmann::json{{"model", "1db1"}};
  for (int i = 0; i < 1100; ++i) {
    char a[16], g[16];
    std::snprintf(a, sizeof a, "%04x:%02x:00.0", i / 200, i % 200);
    std::snprintf(g, sizeof g, "%04x:%02x:00.0", i / 200, 200 + (i % 50));
    nlohmann::json p = {{"address", a}, {"slot", "gen3x16"}, {"gpu", {{"model", gpu.at("model")}, {"address", g}}}};
    ports.push_back(p);
  }
  rig["root_ports"] = ports;
  const auto start = std::chrono::steady_clock::now();
  input_error([&] { expand_rig(parse_rig(rig), ""); }, "at most 1024");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
}

// 200k levels of nesting overflowed the stack copying the rig; reports were quadratic in depth.
TEST(BadInput, DeepNestingIsRefusedBeforeAnythingRecurses) {
  rigcheck::testing::TempDir dir;
  const std::string path = (dir.path() / "deep.json").string();
  std::ofstream(path) << R"({"schema": "rigcheck.rig/1", "deep": )" << std::string(200000, '[') << std::string(200000, ']')
                      << "}";
  input_error([&] { load_machine_file(path); }, "levels deep");
  input_error([&] { parse_topology_json(std::string(100, '{')); }, "levels deep");
  // Brackets inside strings are text, not nesting.
  EXPECT_NO_THROW(parse_json_text("{\"a\": \"" + std::string(1000, '[') + "\\\"" + std::string(1000, '{') + "\"}"));
}

// The NCCL log regex overflowed the stack on a 28 KB line, and stoi escaped on a 20-digit channel.
TEST(BadInput, NcclLogParserTakesLongLinesAndHugeNumbers) {
  using rigcheck::bench::parse_nccl_info_log;
  EXPECT_TRUE(parse_nccl_info_log(read_file(bad("nccl-long-line-30k.log"))).routes.empty());
  EXPECT_TRUE(parse_nccl_info_log(read_file(bad("nccl-stoi-out-of-range.log"))).routes.empty());
  const std::string line = "h:1:1 [0] NCCL INFO Channel 00/0 : 0[0] -> 1[1] via P2P/CUMEM\n";
  EXPECT_EQ(parse_nccl_info_log(line + std::string(1 << 20, 'x') + "\n" + line).routes.size(), 2u);
  EXPECT_TRUE(parse_nccl_info_log("NCCL INFO Channel 00/0 : 0[0] -> 1[1] via \n").routes.empty());
  EXPECT_TRUE(parse_nccl_info_log("NCCL INFO Channel 00/0 : 0[0 -> 1[1] via P2P\n").routes.empty());
  EXPECT_TRUE(parse_nccl_info_log("NCCL INFO Channel 00/02 :    0   1   2   3\n").routes.empty());
}

// A report with null where a number belongs made the renderer throw: "internal error", exit 1.
// Reports are checked against the report schema when read, and the message says where.
TEST(BadInput, ReportThatBreaksTheSchemaIsRefusedOnRead) {
  input_error([] { rigcheck::report::load_report(bad("bb-report-median-null.json")); },
              "does not follow the report schema");
  for (const auto& e : std::filesystem::directory_iterator(examples())) {
    if (e.path().extension() != ".json") continue;
    SCOPED_TRACE(e.path().string());
    EXPECT_NO_THROW(rigcheck::report::load_report(e.path().string()));
  }
  rigcheck::testing::TempDir dir;
  const std::string path = (dir.path() / "r.json").string();
  nlohmann::json r = read_json_file(examples() + "/asrock-x99-ws-e-2x3090-risers--healthy.json");
  r["topology"]["gpus"] = {{{"index", "zero"}}};
  std::ofstream(path) << r.dump();
  input_error([&] { rigcheck::report::load_report(path); }, "at /topology/gpus/0");
}

// Seen while fixing fuzz_import's invalid UTF-8 finding: the report header took the command
// line, NCCL_*/CUDA_* values and the hostname as they were, and `rigcheck run $'\xff'` or a
// Latin-1 NCCL_DEBUG_FILE made every JSON output throw ("internal error").
TEST(BadInput, ReportHeaderBytesThatAreNotUtf8AreMadeValid) {
  rigcheck::report::ReportHeader h;
  h.mode = "simulated";
  h.command_line = {"rigcheck", "run", "--name", "caf\xe9"};
  h.environment = {{"NCCL_DEBUG_FILE", "nccl-\xff.log"}};
  h.hostname = "host-\xfe";
  h.rig = "rig-\xe9";
  const Topology t = load_machine_file(std::string(RIGCHECK_RIGS) + "/dell-t1700-gtx1660.json");
  const nlohmann::json r = rigcheck::report::new_report(h, t, {});
  std::string text;
  ASSERT_NO_THROW(text = r.dump());
  EXPECT_NE(r.at("command_line").back().get<std::string>().find("\xef\xbf\xbd"), std::string::npos) << text;
  EXPECT_NE(r.at("rig").get<std::string>().find("\xef\xbf\xbd"), std::string::npos) << text;
}
