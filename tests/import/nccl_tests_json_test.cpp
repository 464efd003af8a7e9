// nccl-tests JSON: the community --json dialect of NVIDIA/nccl-tests#318 (a real, cut paste) and
// the -J document of nccl-tests 2.17.x: a real version-3 document (8x H100 on Azure, published
// re-indented) and, for the versions and cases it lacks (v1's "bandwidith" spelling, unchecked
// results), documents these tests build the way the writer (src/util.cu) does.

#include <gtest/gtest.h>

#include "support.h"

namespace rigcheck::import_test {
namespace {

using ingest::Event;

const ingest::CollectiveRow* row(const ingest::ImportedCollective& c, uint64_t bytes, bool in_place) {
  for (const auto& r : c.rows)
    if (r.bytes == bytes && r.in_place == in_place) return &r;
  return nullptr;
}

TEST(ImportNcclTestsJson, PatchDialectCutMidEntry) {
  const auto m = import_fixture("nccl-tests-json-patch318-8gpu-alltoall-cut.txt");
  ASSERT_EQ(m.collectives.size(), 1u);
  const auto& c = m.collectives[0];
  EXPECT_EQ(c.op, "alltoall");  // from the command line above the document
  EXPECT_EQ(c.from.version, "--json (NVIDIA/nccl-tests#318 patch)");
  EXPECT_EQ(c.from.line, 10);
  ASSERT_EQ(c.rows.size(), 4u);  // two sizes complete before the cut, out of place and in place
  const auto* oop = row(c, 33554432, false);
  ASSERT_NE(oop, nullptr);
  EXPECT_EQ(oop->count, 1048576u);
  EXPECT_EQ(oop->type, "float");
  EXPECT_DOUBLE_EQ(oop->time_us, 1494.278386);
  EXPECT_DOUBLE_EQ(oop->algbw, 22.455275);
  EXPECT_DOUBLE_EQ(oop->busbw, 19.648366);
  EXPECT_EQ(oop->wrong, 0);
  const auto* ip = row(c, 67108864, true);
  ASSERT_NE(ip, nullptr);
  EXPECT_DOUBLE_EQ(ip->busbw, 20.609110);
  EXPECT_EQ(ip->wrong, -1);  // "N/A": not checked
  EXPECT_EQ(row(c, 134217728, false), nullptr);
  EXPECT_EQ(m.versions.nccl, 22606);
  EXPECT_FALSE(c.complete);
  EXPECT_EQ(count_events(m, Event::Kind::truncated), 1u);
  ASSERT_EQ(m.inputs.size(), 1u);
  bool seen = false;
  for (const auto& b : m.inputs[0].blocks) seen |= b.tool == "nccl-tests" && b.first_line == 10;
  EXPECT_TRUE(seen);
}

// A -J document as src/util.cu writes it: no spaces, keys in the writer's order, booleans as
// strings, the environment whole.
std::string j_document(int version, bool typo, bool checked) {
  const std::string avg = typo ? "\"average_bus_bandwidith\":{\"bandwidith\":" : "\"average_bus_bandwidth\":{\"bandwidth\":";
  const std::string wrong = checked ? "0.000000" : "null";
  return "{\"version\":" + std::to_string(version) +
         ",\"start_time\":\"2026-01-05 10:00:00\",\"args\":[\"./build/all_gather_perf\",\"-b\",\"8\",\"-e\",\"1G\",\"-g\",\"2\",\"-J\",\"r.json\"],"
         "\"env\":[\"HF_TOKEN=secret\",\"PATH=/usr/bin\"],\"nccl_version\":22803,"
         "\"config\":{\"nthreads\":1,\"ngpus\":2,\"minimum_bytes\":8,\"maximum_bytes\":1073741824,\"step_factor\":2,\"warmup_iters\":1,"
         "\"iterations\":20,\"aggregated_iterations\":1,\"validation\":1,\"graph\":0,\"blocking_collectives\":\"false\",\"parallel_init\":\"false\","
         "\"devices\":[{\"rank\":0,\"group\":0,\"pid\":4242,\"hostname\":\"node1\",\"device\":0,\"device_hex\":\"0000:1b:00\",\"device_info\":\"NVIDIA H100 80GB HBM3\"},"
         "{\"rank\":1,\"group\":0,\"pid\":4242,\"hostname\":\"node1\",\"device\":1,\"device_hex\":\"0000:43:00\",\"device_info\":\"NVIDIA H100 80GB HBM3\"}]},"
         "\"results\":[{\"size\":1073741824,\"count\":134217728,\"type\":\"float\",\"redop\":\"none\",\"root\":\"    -1\","
         "\"out_of_place\":{\"time\":3000.500000,\"alg_bw\":357.850000,\"bus_bw\":178.925000,\"nwrong\":" + wrong + "},"
         "\"in_place\":{\"time\":2990.000000,\"alg_bw\":359.100000,\"bus_bw\":179.550000,\"nwrong\":" + wrong + "},"
         "\"actual_iterations\":20,\"experiment_name\":\"\"}],"
         "\"out_of_bounds\":{\"count\":0,\"okay\":\"true\"}," + avg + "179.2375,\"okay\":\"unchecked\"},\"errors\":[],\"end_time\":\"2026-01-05 10:00:09\"}";
}

TEST(ImportNcclTestsJson, JFileAsAWholeInput) {
  const auto m = import_string(j_document(3, false, true), "r.json");
  ASSERT_EQ(m.collectives.size(), 1u);
  const auto& c = m.collectives[0];
  EXPECT_EQ(c.op, "all_gather");
  EXPECT_EQ(c.from.version, "-J JSON v3");
  EXPECT_EQ(c.ranks, 2);
  EXPECT_EQ(c.hosts, 1);
  EXPECT_TRUE(c.one_process);
  EXPECT_TRUE(c.complete);
  EXPECT_DOUBLE_EQ(*c.avg_busbw, 179.2375);
  ASSERT_EQ(c.rows.size(), 2u);
  EXPECT_DOUBLE_EQ(row(c, 1073741824, false)->busbw, 178.925);
  EXPECT_DOUBLE_EQ(row(c, 1073741824, true)->time_us, 2990);
  EXPECT_EQ(row(c, 1073741824, true)->wrong, 0);
  EXPECT_EQ(m.versions.nccl, 22803);
  ASSERT_EQ(m.gpus.size(), 2u);
  EXPECT_EQ(m.gpus[1].address->str(), "0000:43:00.0");
  EXPECT_EQ(m.gpus[1].name, "NVIDIA H100 80GB HBM3");
  EXPECT_TRUE(m.events.empty());
}

TEST(ImportNcclTestsJson, VersionOneTyposAndUncheckedResults) {
  const auto m = import_string(j_document(1, true, false));
  ASSERT_EQ(m.collectives.size(), 1u);
  EXPECT_EQ(m.collectives[0].from.version, "-J JSON v1");
  EXPECT_DOUBLE_EQ(*m.collectives[0].avg_busbw, 179.2375);  // "average_bus_bandwidith"/"bandwidith"
  EXPECT_EQ(row(m.collectives[0], 1073741824, false)->wrong, -1);  // nwrong null: -c 0
}

TEST(ImportNcclTestsJson, PastedAmongLinesAndCut) {
  std::string doc = j_document(2, false, true);
  doc.resize(doc.find("\"out_of_bounds\""));  // the paste stops after the results
  const auto m = import_string("$ ./build/all_gather_perf -J r.json\n# Writing JSON output to r.json\n$ cat r.json\n" + doc + "\n");
  ASSERT_EQ(m.collectives.size(), 1u);
  EXPECT_EQ(m.collectives[0].rows.size(), 2u);
  EXPECT_FALSE(m.collectives[0].complete);
  EXPECT_EQ(count_events(m, Event::Kind::truncated), 1u);
}

TEST(ImportNcclTestsJson, ErrorsListBecomesAnEvent) {
  std::string doc = j_document(3, false, true);
  doc.replace(doc.find("\"errors\":[]"), 11, "\"errors\":[\"unhandled cuda error\"]");
  const auto m = import_string(doc);
  ASSERT_EQ(count_events(m, Event::Kind::error), 1u);
  for (const auto& e : m.events)
    if (e.kind == Event::Kind::error) {
      EXPECT_EQ(e.text, "nccl-tests error: unhandled cuda error");
    }
}

TEST(ImportNcclTestsJson, CutBeforeAnyResultIsUnparsedNotACrash) {
  std::string doc = j_document(3, false, true);
  doc.resize(doc.find("\"results\""));
  const auto m = import_string("some prose\n" + doc);
  EXPECT_TRUE(m.collectives.empty());
  EXPECT_EQ(count_events(m, Event::Kind::unparsed), 1u);
}

}  // namespace
}  // namespace rigcheck::import_test

namespace rigcheck::import_test {
namespace {

TEST(ImportNcclTestsJson, RealVersion3DocumentOfEightH100) {
  // A -J document of nccl-tests' own writer (re-indented before it was published).
  const auto m = import_fixture("nccl-tests-json-v3-azure-nd96isr-8xh100.json");
  ASSERT_EQ(m.collectives.size(), 1u);
  const auto& c = m.collectives[0];
  EXPECT_EQ(c.op, "all_reduce");  // args[0], /usr/local/bin/all_reduce_perf
  EXPECT_EQ(c.from.version, "-J JSON v3");
  EXPECT_EQ(c.ranks, 8);
  EXPECT_EQ(c.hosts, 1);
  EXPECT_FALSE(c.one_process);  // eight Pids: mpirun, one rank per GPU
  EXPECT_TRUE(c.complete);
  ASSERT_EQ(c.rows.size(), 2u);
  const auto& oop = c.rows[0];
  EXPECT_FALSE(oop.in_place);
  EXPECT_EQ(oop.bytes, 17179869184ull);
  EXPECT_EQ(oop.count, 4294967296ull);
  EXPECT_EQ(oop.type, "float");
  EXPECT_DOUBLE_EQ(oop.time_us, 62517.395194);
  EXPECT_DOUBLE_EQ(oop.algbw, 274.801423);
  EXPECT_DOUBLE_EQ(oop.busbw, 480.902491);
  EXPECT_EQ(oop.wrong, 0);
  EXPECT_TRUE(c.rows[1].in_place);
  EXPECT_DOUBLE_EQ(c.rows[1].busbw, 479.686103);
  EXPECT_DOUBLE_EQ(*c.avg_busbw, 480.294297);
  EXPECT_EQ(m.versions.nccl, 22304);
  ASSERT_EQ(m.gpus.size(), 8u);
  EXPECT_EQ(m.gpus[0].address->str(), "0001:00:00.0");
  EXPECT_EQ(m.gpus[5].address->str(), "000a:00:00.0");
  EXPECT_EQ(m.gpus[7].name, "NVIDIA H100 80GB HBM3");
  ASSERT_EQ(c.rank_devices.size(), 8u);
  EXPECT_EQ(c.rank_devices[3].device, 3);
  EXPECT_EQ(c.rank_devices[3].bus, "0008:00:00");
  EXPECT_TRUE(m.events.empty());  // "errors": [""] is no error
  const auto fs = findings_of(m);
  std::set<std::string> ids;
  for (const auto& f : fs) ids.insert(f.id);
  EXPECT_TRUE(ids.count("virtualised-pcie"));        // one PCI domain per GPU: Hyper-V
  EXPECT_TRUE(ids.count("import-collective-judged"));  // 480.9 GB/s against the NVSwitch the H100 SXM5 implies
  for (const char* id : {"collective-below-expectation", "nccl-wrong-results", "nccl-tests-single-rank", "import-output-truncated",
                         "import-collective-multi-host", "import-tool-error"})
    EXPECT_FALSE(ids.count(id)) << id;
  for (const auto& f : fs)
    if (f.id == "import-collective-judged") {
      ASSERT_EQ(f.evidence.size(), 1u);
      EXPECT_NE(f.evidence[0].find("busbw 480.90 GB/s at 17179869184 bytes"), std::string::npos) << f.evidence[0];
      // No topo -m: eight H100 SXM5 are on NVSwitch (HGX H100), with all 18 links each. NCCL's
      // NVLS all-reduce (reduction in the switch) beats the model's ring, which the line says.
      EXPECT_NE(f.evidence[0].find("= 139% of the model's 345.16 GB/s (8 ranks; assuming the GPUs' NVLink (NVLink 4, 18 links per GPU to NVSwitch, as on "
                                   "the 8-GPU HGX boards of the H100 SXM5 80GB; no input states the links)): faster than the model's ring over NVSwitch"),
                std::string::npos)
          << f.evidence[0];
    }
}

}  // namespace
}  // namespace rigcheck::import_test

namespace rigcheck::import_test {
namespace {

TEST(ImportNcclTestsJson, DevicesOfTwoHosts) {
  // The Azure document with the hostname of ranks 4-7 changed to "nccl-json-b": a second host.
  std::string text = fixture_text("nccl-tests-json-v3-azure-nd96isr-8xh100.json");
  size_t at = 0;
  for (int rank = 0; rank < 8; ++rank) {
    at = text.find("\"hostname\": \"nccl-json\"", at);
    ASSERT_NE(at, std::string::npos);
    if (rank >= 4) text.replace(at, 23, "\"hostname\": \"nccl-json-b\"");
    at += 23;
  }
  const auto m = import_string(text);
  ASSERT_EQ(m.collectives.size(), 1u);
  EXPECT_EQ(m.collectives[0].hosts, 2);
  EXPECT_EQ(m.gpus.size(), 4u);  // the model is the first host's
  ASSERT_EQ(m.hosts.size(), 2u);
  EXPECT_EQ(m.hosts[1].name, "nccl-json-b");
  ASSERT_EQ(m.hosts[1].gpus.size(), 4u);
  EXPECT_EQ(m.hosts[1].gpus[0].index, 4);
  EXPECT_EQ(m.hosts[1].gpus[0].address->str(), "0009:00:00.0");
  const auto ids = finding_ids(m);
  EXPECT_TRUE(ids.count("import-collective-multi-host"));
  EXPECT_FALSE(ids.count("import-collective-judged"));
}

}  // namespace
}  // namespace rigcheck::import_test
