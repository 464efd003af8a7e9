// rigcheck's own reports read back (results/examples): the measured cells with their test, GPUs
// and provenance, and the machine taken whole, so the figures are judged on the machine that
// was discovered rather than on assumptions.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "support.h"

namespace rigcheck::import_test {
namespace {

std::string example(const std::string& name) {
  std::ifstream f(std::string(RIGCHECK_EXAMPLES) + "/" + name, std::ios::binary);
  if (!f) throw std::runtime_error("missing example " + name);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

TEST(ImportRigcheckReport, CellsAndMachineOfAnNvlinkExample) {
  const std::string text = example("gigabyte-t180-g20-4xv100-nvlink--healthy.json");
  const auto report = nlohmann::json::parse(text);
  const auto m = import_string(text, "healthy.json");
  ASSERT_EQ(m.inputs.size(), 1u);
  ASSERT_EQ(m.inputs[0].blocks.size(), 1u);
  EXPECT_EQ(m.inputs[0].blocks[0].tool, "rigcheck report");
  EXPECT_EQ(m.inputs[0].blocks[0].version, "rigcheck 0.1.0 (simulated report)");
  // Every measurement with a figure comes back, on its own test and GPUs.
  size_t with_figure = 0;
  for (const auto& meas : report["measurements"]) with_figure += meas["status"] == "ok" || meas["status"] == "unsupported" || meas["status"] == "corrupt";
  EXPECT_EQ(m.cells.size(), with_figure);
  const auto* h2d = cell(m, "host_to_device_ce", -1, 0);
  ASSERT_NE(h2d, nullptr);
  EXPECT_TRUE(h2d->mapped);
  EXPECT_DOUBLE_EQ(h2d->value, 13.322250788364391);
  EXPECT_EQ(h2d->unit, "GB/s");
  EXPECT_EQ(h2d->from.tool, "rigcheck");
  EXPECT_EQ(h2d->from.method, "ce");
  EXPECT_EQ(h2d->from.bytes, 16777216u);
  const auto* d2d = cell(m, "device_to_device_write_ce", 0, 1);
  ASSERT_NE(d2d, nullptr);
  // The report's own median for that cell (the example is regenerated when the model changes).
  double reported = 0;
  for (const auto& meas : report["measurements"])
    if (meas["name"] == "device_to_device_write_ce/gpu0-gpu1") reported = meas["median"].get<double>();
  ASSERT_GT(reported, 40.0) << "two NVLink 2 links";
  EXPECT_DOUBLE_EQ(d2d->value, reported);
  const auto* lat = cell(m, "device_to_device_latency_sm", 0, 1);
  ASSERT_NE(lat, nullptr);
  EXPECT_EQ(lat->unit, "ns");
  // The machine: GPUs, pairs with NVLink and path classes, as discovered.
  ASSERT_TRUE(m.reported_topology.has_value());
  ASSERT_EQ(m.gpus.size(), report["topology"]["gpus"].size());
  EXPECT_EQ(m.gpus[0].address->str(), report["topology"]["gpus"][0]["address"].get<std::string>());
  const auto* p01 = ingest::find_pair(m, 0, 1);
  ASSERT_NE(p01, nullptr);
  EXPECT_EQ(p01->nvlink_links, 2);
  EXPECT_EQ(p01->path, topology::PathClass::pix);
  EXPECT_EQ(m.versions.nvidia_driver, report["versions"]["nvidia_driver"].get<std::string>());
  // The machine model is the report's machine, not an assumed one.
  const auto mm = ingest::machine_model(m);
  EXPECT_EQ(mm.assumed.pci.size(), report["topology"]["pci"].size());
  EXPECT_TRUE(mm.assumptions.empty());
}

TEST(ImportRigcheckReport, EveryExampleReadsBackWithoutUnparsedBlocks) {
  for (const char* name : {"asrock-x99-ws-e-2x3090-risers--riser-x8.json", "b660-3060-plus-1060-chipset--with-gtx1060-in-chipset-x1.json",
                           "supermicro-4029gp-trt2-10x3090--acs-and-iommu-on.json", "dell-t1700-gtx1660--chipset-slot.json"}) {
    SCOPED_TRACE(name);
    const std::string text = example(name);
    const auto report = nlohmann::json::parse(text);
    const auto m = import_string(text, name);
    EXPECT_EQ(count_events(m, ingest::Event::Kind::unparsed), 0u);
    EXPECT_FALSE(m.cells.empty());
    EXPECT_EQ(m.gpus.size(), report["topology"]["gpus"].size());
    // Each imported figure is the report's median for that cell.
    for (const auto& meas : report["measurements"]) {
      if (meas["status"] != "ok") continue;
      bool found = false;
      for (const auto& c : m.cells)
        if (c.foreign == meas["name"].get<std::string>()) {
          found = true;
          EXPECT_DOUBLE_EQ(c.value, meas["median"].get<double>());
        }
      EXPECT_TRUE(found) << meas["name"];
    }
  }
}

TEST(ImportRigcheckReport, ReDiagnosedOnTheReportsOwnMachine) {
  // The ACS-and-IOMMU example: its peer copies are judged again on its own tree, so the
  // evidence names the ACS redirect on its switch ports; the healthy variant of the same
  // machine raises neither finding.
  const auto bad = findings_of(import_string(example("supermicro-4029gp-trt2-10x3090--acs-and-iommu-on.json")));
  // (Redirected P2P at 6.6 GB/s is not below the fabric's Gen3 host-staged figure, ~6.0, so it is
  // judged short of its expectation rather than "slower than host-staged".)
  bool acs = false, below = false, names_acs = false;
  for (const auto& f : bad) {
    acs |= f.id == "acs-redirect";
    below |= f.id == "below-expectation";
    for (const auto& e : f.evidence) names_acs |= f.id == "below-expectation" && e.find("ACS redirect on 0000:03:04.0") != std::string::npos;
  }
  EXPECT_TRUE(acs);
  EXPECT_TRUE(below);
  EXPECT_TRUE(names_acs);
  const auto good = finding_ids(import_string(example("supermicro-4029gp-trt2-10x3090--healthy.json")));
  EXPECT_FALSE(good.count("p2p-slower-than-host-staged"));
  EXPECT_FALSE(good.count("below-expectation"));
}

TEST(ImportRigcheckReport, CutReportKeepsTheCompleteMeasurements) {
  std::string text = example("dell-t1700-gtx1660--healthy.json");
  const size_t meas = text.find("\"measurements\"");
  ASSERT_NE(meas, std::string::npos);
  text.resize(text.find("\"observations\"", text.find("\"observations\"", meas) + 1));  // inside the second measurement
  const auto m = import_string(text);
  EXPECT_EQ(m.cells.size(), 1u);
  EXPECT_EQ(count_events(m, ingest::Event::Kind::truncated), 1u);
  EXPECT_FALSE(m.reported_topology.has_value());
}

TEST(ImportRigcheckReport, TheDoctorsChecksApplyToTheReportsMachine) {
  // The report's machine is whole: its ACS redirect and translating IOMMU are findings again, and
  // its figures, judged on its stated links, need no link class guessed from the card.
  const auto bad = findings_of(import_string(example("supermicro-4029gp-trt2-10x3090--acs-and-iommu-on.json")));
  auto has = [](const std::vector<rigcheck::diagnosis::Finding>& fs, const char* id) {
    for (const auto& f : fs)
      if (f.id == id) return true;
    return false;
  };
  EXPECT_TRUE(has(bad, "acs-redirect"));
  EXPECT_TRUE(has(bad, "iommu-translating"));
  EXPECT_FALSE(has(bad, "host-link-class-inferred"));
  EXPECT_FALSE(has(bad, "cuda-build-cannot-run-gpu")) << "this build did not measure that machine";
  const auto good = findings_of(import_string(example("supermicro-4029gp-trt2-10x3090--healthy.json")));
  EXPECT_FALSE(has(good, "acs-redirect"));
  EXPECT_FALSE(has(good, "iommu-translating"));
  EXPECT_FALSE(has(good, "host-link-class-inferred"));
}

}  // namespace
}  // namespace rigcheck::import_test
