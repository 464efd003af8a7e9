// End to end on the seed rigs (results/rigs/): for every variant, the doctor's static checks
// plus a simulated run of the core tests and its measured checks must raise every finding the
// variant lists (and the rig's inherent ones), and the healthy variant must raise no warning or
// critical finding beyond the inherent ones, so each pathology has a healthy twin.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "rigcheck/bench/runner.h"
#include "rigcheck/bench/sim_backend.h"
#include "rigcheck/diagnosis/expected.h"
#include "rigcheck/diagnosis/measured_rules.h"
#include "rigcheck/diagnosis/static_rules.h"
#include "rigcheck/topology/errors.h"
#include "rigcheck/topology/rig.h"

using namespace rigcheck;

namespace {

std::vector<std::string> rig_files() {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(RIGCHECK_RIGS))
    if (e.path().extension() == ".json") out.push_back(e.path().string());
  std::sort(out.begin(), out.end());
  return out;
}

topology::Rig load(const std::string& path) {
  std::ifstream in(path);
  return topology::parse_rig(nlohmann::json::parse(in));
}

std::vector<diagnosis::Finding> everything(const topology::Rig& rig, const std::string& variant) {
  topology::Topology t = topology::expand_rig(rig, variant);
  diagnosis::BuildInfo build{{75, 80, 86, 89, 90, 100, 120}, 13};
  if (auto b = topology::rig_build(rig, variant)) build = {b->cuda_architectures, b->cuda_toolkit_major};
  auto findings = diagnosis::static_findings(t, build);
  bench::SimBackend sim(t, fabric::default_fabric_constants(), 7);
  bench::RunOptions o;
  o.plan.bytes = 16ull << 20;
  o.sampler.max_samples = 10;
  std::vector<const bench::TestSpec*> tests;
  for (const char* name : {"host_to_device_ce", "device_to_host_ce", "device_to_device_write_ce", "device_to_device_bidir_ce"})
    tests.push_back(bench::find_test(name));
  auto run = bench::run_tests(sim, t, tests, o);
  auto measured = diagnosis::measured_findings(t, run, diagnosis::judge_run(t, run));
  findings.insert(findings.end(), measured.begin(), measured.end());
  return findings;
}

std::set<std::string> ids(const std::vector<diagnosis::Finding>& fs) {
  std::set<std::string> out;
  for (const auto& f : fs) out.insert(f.id);
  return out;
}

}  // namespace

TEST(SeedRigs, AllSixArePresent) { EXPECT_EQ(rig_files().size(), 6u); }

TEST(SeedRigs, EveryVariantRaisesWhatItExpects) {
  for (const auto& path : rig_files()) {
    const auto rig = load(path);
    for (const auto& v : rig.variants) {
      const auto found = ids(everything(rig, v.name));
      for (const auto& id : v.expect) EXPECT_TRUE(found.count(id)) << rig.name << "/" << v.name << " lacks " << id;
      for (const auto& id : rig.inherent) EXPECT_TRUE(found.count(id)) << rig.name << "/" << v.name << " lacks inherent " << id;
    }
  }
}

TEST(SeedRigs, HealthyVariantRaisesNothingBeyondTheInherent) {
  for (const auto& path : rig_files()) {
    const auto rig = load(path);
    const auto& healthy = rig.variants.front();
    EXPECT_EQ(healthy.name, "healthy") << rig.name;
    const std::set<std::string> allowed(rig.inherent.begin(), rig.inherent.end());
    const auto findings = everything(rig, healthy.name);
    for (const auto& f : findings) {
      if (f.severity == diagnosis::Severity::info || allowed.count(f.id)) continue;
      ADD_FAILURE() << rig.name << "/healthy raises " << f.id << ": " << f.title;
    }
    // And none of the pathologies the other variants are about.
    const auto found = ids(findings);
    for (const auto& v : rig.variants)
      for (const auto& id : v.expect) {
        if (allowed.count(id)) continue;
        EXPECT_FALSE(found.count(id)) << rig.name << "/healthy raises " << id << " of " << v.name;
      }
  }
}

TEST(SeedRigs, MalformedRigsAreInputErrors) {
  const auto rig = load(std::string(RIGCHECK_RIGS) + "/dell-t1700-gtx1660.json");
  EXPECT_THROW(topology::expand_rig(rig, "no-such-variant"), topology::InputError);
  auto bad = rig;
  bad.variants.front().patch = nlohmann::json::parse(R"([{"op": "replace", "path": "/root_ports/7/slot", "value": "gen3x16"}])");
  EXPECT_THROW(topology::expand_rig(bad, "healthy"), topology::InputError);
  auto link = rig;
  link.base["root_ports"][0]["slot"] = "pcie3";
  EXPECT_THROW(topology::expand_rig(link, "healthy"), topology::InputError);
  auto model = rig;
  model.base["root_ports"][0]["gpu"]["model"] = "ffff";
  EXPECT_THROW(topology::expand_rig(model, "healthy"), topology::InputError);
  EXPECT_THROW(topology::parse_rig(nlohmann::json::parse(R"({"schema": "rigcheck.rig/1", "name": "x", "variants": []})")),
               topology::InputError);
  EXPECT_THROW(topology::parse_rig(nlohmann::json::parse(R"({"schema": "rigcheck.topology/1"})")), topology::InputError);
}
