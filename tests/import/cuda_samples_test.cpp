// cuda-samples simpleP2P and conjugateGradientMultiDeviceCG as people paste them (dbkinghorn's
// lab notes, tests/fixtures/imports/SOURCES.md): peer access, simpleP2P's copy figure, and their
// result checks: wrong data is p2p-data-corruption, a pass is nothing, a hang is a cut output.

#include <gtest/gtest.h>

#include "support.h"

namespace rigcheck::import_test {
namespace {

const diagnosis::Finding* find(const std::vector<diagnosis::Finding>& fs, const std::string& id) {
  for (const auto& f : fs)
    if (f.id == id) return &f;
  return nullptr;
}

TEST(ImportCudaSamples, SimpleP2pVerificationErrorsAndCgFailedAreWrongData) {
  const auto m = import_fixture("simplep2p-cg-2x4090-xeon-w3365-wrong-data.md");
  ASSERT_EQ(m.gpus.size(), 2u);
  EXPECT_EQ(m.gpus[0].from.tool, "simpleP2P");  // named by the peer access lines first
  EXPECT_EQ(m.gpus[0].from.line, 8);
  EXPECT_EQ(m.gpus[0].name, "NVIDIA GeForce RTX 4090");
  EXPECT_EQ(m.gpus[1].name, "NVIDIA GeForce RTX 4090");
  const auto* pair = ingest::find_pair(m, 0, 1);
  ASSERT_NE(pair, nullptr);
  EXPECT_EQ(pair->p2p_granted, true);
  // "24.20GB/s" is GiB/s (the sample divides by 1024^3): 25.98 GB/s, the sample's own test.
  const auto* c = cell(m, "simpleP2P.memcpy_ping_pong", 0, 1);
  ASSERT_NE(c, nullptr);
  EXPECT_FALSE(c->mapped);
  EXPECT_NEAR(c->value, 24.20 * 1.073741824, 1e-9);
  EXPECT_EQ(c->unit, "GB/s");
  EXPECT_EQ(c->from.bytes, 64u << 20);
  EXPECT_EQ(c->from.line, 13);
  ASSERT_EQ(count_events(m, ingest::Event::Kind::corrupt), 2u);
  const auto& p2p = m.events[0];
  EXPECT_EQ(p2p.test, "simpleP2P GPU0<->GPU1");
  EXPECT_EQ(p2p.from.line, 18);
  EXPECT_EQ(p2p.text, "Verification error @ element 1: val = 0.000000, ref = 4.000000 (and 11 more such line(s)); Test failed!");
  const auto& cg = m.events[1];
  EXPECT_EQ(cg.test, "conjugateGradientMultiDeviceCG");
  EXPECT_EQ(cg.text, "&&&& conjugateGradientMultiDeviceCG FAILED (GPU Final, residual = nan)");
  EXPECT_EQ(cg.from.line, 49);

  const auto fs = findings_of(m);
  const auto* wrong = find(fs, "p2p-data-corruption");
  ASSERT_NE(wrong, nullptr);
  EXPECT_EQ(wrong->severity, diagnosis::Severity::critical);
  ASSERT_EQ(wrong->evidence.size(), 2u);
  EXPECT_EQ(wrong->evidence[0], "IMPORTED simplep2p-cg-2x4090-xeon-w3365-wrong-data.md:18: simpleP2P GPU0<->GPU1: " + p2p.text);
  EXPECT_EQ(wrong->evidence[1].rfind("IMPORTED simplep2p-cg-2x4090-xeon-w3365-wrong-data.md:49: conjugateGradientMultiDeviceCG: &&&&", 0), 0u)
      << wrong->evidence[1];
  for (const char* id : {"import-output-truncated", "import-tool-error", "import-tool-crashed", "import-block-unparsed"})
    EXPECT_EQ(find(fs, id), nullptr) << id;
}

TEST(ImportCudaSamples, PassingRunsRaiseNothing) {
  const auto m = import_fixture("simplep2p-cg-2x-rtx6000ada-trpro-passed.md");
  ASSERT_EQ(m.gpus.size(), 2u);
  EXPECT_EQ(m.gpus[0].name, "NVIDIA RTX 6000 Ada Generation");
  EXPECT_EQ(ingest::find_pair(m, 0, 1)->p2p_granted, true);
  const auto* c = cell(m, "simpleP2P.memcpy_ping_pong", 0, 1);
  ASSERT_NE(c, nullptr);
  EXPECT_NEAR(c->value, 24.47 * 1.073741824, 1e-9);
  EXPECT_TRUE(m.events.empty());
  ASSERT_EQ(m.inputs.size(), 1u);
  ASSERT_EQ(m.inputs[0].blocks.size(), 2u);
  EXPECT_EQ(m.inputs[0].blocks[0].tool, "simpleP2P");
  EXPECT_EQ(m.inputs[0].blocks[1].tool, "conjugateGradientMultiDeviceCG");
  const auto ids = finding_ids(m);
  for (const char* id : {"p2p-data-corruption", "import-output-truncated", "import-tool-error", "import-block-unparsed"})
    EXPECT_FALSE(ids.count(id)) << id;
}

TEST(ImportCudaSamples, ZerosWithIommuPassthroughAndAHungSolve) {
  // The same cards on a Threadripper PRO after amd_iommu=on iommu=pt: simpleP2P still gets
  // zeros, and the CG solve never prints its result (the author: "Another hang!").
  const auto m = import_fixture("simplep2p-cg-2x4090-trpro-iommu-pt-zeros-cg-hang.md");
  EXPECT_NEAR(cell(m, "simpleP2P.memcpy_ping_pong", 0, 1)->value, 25.08 * 1.073741824, 1e-9);
  ASSERT_EQ(count_events(m, ingest::Event::Kind::corrupt), 1u);
  ASSERT_EQ(count_events(m, ingest::Event::Kind::truncated), 1u);
  for (const auto& e : m.events)
    if (e.kind == ingest::Event::Kind::truncated) {
      EXPECT_EQ(e.test, "conjugateGradientMultiDeviceCG");
      EXPECT_NE(e.text.find("Launching kernel"), std::string::npos);
    }
  const auto ids = finding_ids(m);
  EXPECT_TRUE(ids.count("p2p-data-corruption"));
  EXPECT_TRUE(ids.count("import-output-truncated"));
}

TEST(ImportCudaSamples, NoPeerAccessIsWaivedNotWrong) {
  const auto m = import_fixture("simplep2p-3080ti-3080-no-peer-waived.md");
  ASSERT_EQ(m.gpus.size(), 2u);
  EXPECT_EQ(m.gpus[0].name, "NVIDIA GeForce RTX 3080 Ti");
  EXPECT_EQ(m.gpus[1].name, "NVIDIA GeForce RTX 3080");
  EXPECT_EQ(ingest::find_pair(m, 0, 1)->p2p_granted, false);
  EXPECT_EQ(ingest::find_pair(m, 0, 1)->p2p_status, "simpleP2P: peer access No");
  EXPECT_TRUE(m.cells.empty());
  EXPECT_TRUE(m.events.empty());
  EXPECT_FALSE(finding_ids(m).count("p2p-data-corruption"));
}

TEST(ImportCudaSamples, CgFailedWithoutPeerAccessIsAnErrorNotWrongData) {
  // The fixture's passing solve with the line a failing one prints, on GPUs without peer access
  // (conjugateGradientMultiDeviceCG's own "Devices involved are not p2p capable" wording).
  std::string text = fixture_text("simplep2p-cg-2x-rtx6000ada-trpro-passed.md");
  text = text.substr(text.find("Starting [conjugateGradientMultiDeviceCG]"));
  for (auto [from, to] : {std::pair<std::string, std::string>{"Device=0 CAN Access", "Device=0 CANNOT Access"},
                          {"Selected p2p capable devices - deviceId = 0  deviceId = 1  ", "Devices involved are not p2p capable.. selecting 2 of them"},
                          {"&&&& conjugateGradientMultiDeviceCG PASSED", "&&&& conjugateGradientMultiDeviceCG FAILED"}})
    text.replace(text.find(from), from.size(), to);
  const auto m = import_string(text);
  EXPECT_EQ(count_events(m, ingest::Event::Kind::corrupt), 0u);
  ASSERT_EQ(count_events(m, ingest::Event::Kind::error), 1u);
  const auto ids = finding_ids(m);
  EXPECT_TRUE(ids.count("import-tool-error"));
  EXPECT_FALSE(ids.count("p2p-data-corruption"));
}

}  // namespace
}  // namespace rigcheck::import_test
