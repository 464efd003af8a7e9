// The findings catalogue (diagnosis/data/findings.json): it loads, every entry and variant is
// complete with a public reference, make_finding fills placeholders and rejects each misuse,
// a malformed catalogue is rejected, and every finding the rules raise on the seed rigs is an
// entry that names its raiser.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <stdexcept>

#include "rigcheck/bench/runner.h"
#include "rigcheck/bench/sim_backend.h"
#include "rigcheck/diagnosis/catalogue.h"
#include "rigcheck/diagnosis/expected.h"
#include "rigcheck/diagnosis/measured_rules.h"
#include "rigcheck/diagnosis/static_rules.h"
#include "rigcheck/topology/rig.h"

namespace rigcheck::embedded {
extern const char* const known_issues_json;
}

using namespace rigcheck;
using diagnosis::catalogue;
using diagnosis::make_finding;
using diagnosis::make_finding_variant;
using diagnosis::Severity;
using nlohmann::json;

namespace {

bool has(const std::vector<std::string>& list, const std::string& s) { return std::find(list.begin(), list.end(), s) != list.end(); }

// Every wording of every entry: its own and each variant's, resolved.
std::vector<std::pair<std::string, diagnosis::Wording>> all_wordings() {
  std::vector<std::pair<std::string, diagnosis::Wording>> out;
  for (const auto& e : catalogue()) {
    out.push_back({e.id, e.resolved()});
    for (const auto& [name, v] : e.variants) out.push_back({e.id + "/" + name, e.resolved(name)});
  }
  return out;
}

// A smallest valid catalogue document, for the parser's rejections.
json minimal() {
  return json::parse(R"({"schema": "rigcheck.finding-catalogue/1", "findings": [
    {"id": "a-finding", "severity": "warning", "title": "{gpu} is odd", "explanation": "Because.",
     "fix": "Fix it.", "reference": "https://example.org/a", "when": "Always.", "raised_by": ["doctor"]}]})");
}

void expect_rejected(const json& doc, const std::string& why) {
  SCOPED_TRACE(why);
  EXPECT_THROW(diagnosis::parse_catalogue(doc.dump()), std::logic_error);
}

}  // namespace

TEST(Catalogue, LoadsAndEveryWordingIsComplete) {
  ASSERT_FALSE(catalogue().empty());
  for (const auto& [name, w] : all_wordings()) {
    SCOPED_TRACE(name);
    ASSERT_TRUE(w.severity.has_value());
    EXPECT_NE(std::find(w.severities.begin(), w.severities.end(), *w.severity), w.severities.end());
    for (const auto* text : {&w.title, &w.explanation, &w.fix, &w.reference, &w.when}) EXPECT_FALSE(text->empty());
  }
  for (const auto& e : catalogue()) {
    SCOPED_TRACE(e.id);
    EXPECT_FALSE(e.raised_by.empty());
    // The import table says which tools' outputs each of its findings is read from.
    if (has(e.raised_by, "import")) {
      EXPECT_FALSE(e.resolved(e.variants.count("import") ? "import" : "").inputs.empty());
    }
    EXPECT_EQ(diagnosis::find_catalogue_entry(e.id), &e);
  }
}

TEST(Catalogue, EveryReferenceIsAPublicUrl) {
  for (const auto& [name, w] : all_wordings()) {
    SCOPED_TRACE(name);
    size_t start = 0;
    while (start < w.reference.size()) {
      const size_t end = std::min(w.reference.find(", ", start), w.reference.size());
      const std::string url = w.reference.substr(start, end - start);
      EXPECT_EQ(url.rfind("https://", 0), 0u) << url;
      // Never a file of the project's private notes.
      for (const char* private_note : {"research/", "DESIGN.md", "shared/"}) EXPECT_EQ(url.find(private_note), std::string::npos) << url;
      start = end + 2;
    }
  }
}

TEST(Catalogue, MakeFindingFillsPlaceholders) {
  const auto f = make_finding("test-hang", {{"step", "device_to_device_write_ce"}, {"rerun", "rigcheck bench X"}}, {"a line"}, {1, 2});
  const auto& w = diagnosis::find_catalogue_entry("test-hang")->wording;
  EXPECT_EQ(f.id, "test-hang");
  EXPECT_EQ(f.severity, *w.severity);
  EXPECT_NE(w.title.find("{step}"), std::string::npos);
  EXPECT_EQ(f.title.find('{'), std::string::npos) << f.title;
  EXPECT_NE(f.title.find("device_to_device_write_ce"), std::string::npos) << f.title;
  EXPECT_NE(f.fix.find("`rigcheck bench X`"), std::string::npos) << f.fix;
  EXPECT_EQ(f.explanation, w.explanation);
  EXPECT_EQ(f.reference, w.reference);
  EXPECT_EQ(f.evidence, std::vector<std::string>{"a line"});
  EXPECT_EQ(f.gpus, (std::vector<int>{1, 2}));
}

TEST(Catalogue, AVariantTakesItsOwnFieldsAndTheEntrysOthers) {
  const auto* e = diagnosis::find_catalogue_entry("p2p-unsupported");
  ASSERT_NE(e, nullptr);
  ASSERT_TRUE(e->variants.count("geforce"));
  const auto base = make_finding("p2p-unsupported");
  const auto geforce = make_finding_variant("p2p-unsupported", "geforce");
  EXPECT_EQ(geforce.title, base.title);          // not in the variant
  EXPECT_EQ(geforce.reference, base.reference);  // not in the variant
  EXPECT_EQ(geforce.explanation, e->variants.at("geforce").explanation);
  EXPECT_NE(geforce.fix, base.fix);
  // A raiser's wording with its own default severity.
  const auto imported = make_finding_variant("nccl-not-using-p2p", "import");
  EXPECT_EQ(imported.severity, *diagnosis::find_catalogue_entry("nccl-not-using-p2p")->variants.at("import").severity);
  EXPECT_NE(imported.severity, make_finding("nccl-not-using-p2p").severity);
}

TEST(Catalogue, EachMisuseIsAProgrammingError) {
  EXPECT_THROW(make_finding("no-such-finding"), std::logic_error);
  EXPECT_THROW(make_finding("test-hang", {{"step", "x"}}), std::logic_error);                             // {rerun} has no value
  EXPECT_THROW(make_finding("no-gpu", {{"gpu", "GPU0"}}), std::logic_error);                              // no {gpu} in its text
  EXPECT_THROW(make_finding("test-hang", {{"step", "x"}, {"rerun", "y"}, {"gpu", "z"}}), std::logic_error);  // one too many
  EXPECT_THROW(make_finding_variant("no-gpu", "import"), std::logic_error);                               // no such variant
  EXPECT_THROW(make_finding_variant("p2p-unsupported", ""), std::logic_error);
  auto f = make_finding("no-gpu");
  EXPECT_THROW(diagnosis::set_severity(f, Severity::critical), std::logic_error);
  EXPECT_EQ(f.severity, Severity::info);
  auto crash = make_finding("test-crash", {{"step", "x"}, {"rerun", "y"}});
  diagnosis::set_severity(crash, Severity::warning);  // allowed: a worker that reported an error
  EXPECT_EQ(crash.severity, Severity::warning);
  EXPECT_THROW(diagnosis::severity_from_string("fatal"), std::logic_error);
}

TEST(Catalogue, MalformedDocumentsAreRejected) {
  ASSERT_EQ(diagnosis::parse_catalogue(minimal().dump()).size(), 1u);
  auto doc = minimal();
  doc["schema"] = "rigcheck.finding-catalogue/0";
  expect_rejected(doc, "schema");
  doc = minimal();
  doc["findings"].push_back(doc["findings"][0]);
  expect_rejected(doc, "duplicate id");
  for (const char* key : {"id", "severity", "title", "explanation", "fix", "reference", "when", "raised_by"}) {
    doc = minimal();
    doc["findings"][0].erase(key);
    expect_rejected(doc, std::string("without ") + key);
  }
  const std::vector<std::pair<std::string, json>> bad_fields = {
      {"id", "Not_An_Id"},
      {"severity", "fatal"},
      {"reference", "research/reference-figures.md §1"},
      {"reference", "https://example.org/a; https://example.org/b"},
      {"title", "{gpu is odd"},
      {"title", "{GPU} is odd"},
      {"explanation", "a } alone"},
      {"when", "when {x}"},
      {"raised_by", json::array({"cluster"})},
      {"severities", json::array({"info", "critical"})},  // without the default
      {"severities", json::array({"warning"})},          // one severity: the default says it
      {"inputs", json::array({"nvbandwidth"})},          // not raised by import
      {"colour", "red"},                                  // a typo of a key
  };
  for (const auto& [key, value] : bad_fields) {
    doc = minimal();
    doc["findings"][0][key] = value;
    expect_rejected(doc, key + " = " + value.dump());
  }
  doc = minimal();
  doc["findings"][0]["variants"] = {{"import", {{"title", "imported"}}}};
  expect_rejected(doc, "an import wording for an entry import does not raise");
  doc = minimal();
  doc["findings"][0]["variants"] = {{"odd", {{"severity", "critical"}}}};
  expect_rejected(doc, "a variant severity the entry does not allow");
  doc = minimal();
  doc["findings"][0]["variants"] = {{"odd", {{"reference", "DESIGN.md §4"}}}};
  expect_rejected(doc, "a variant's private reference");
}

TEST(Catalogue, EveryKnownIssueIsAnEntry) {
  const auto issues = json::parse(rigcheck::embedded::known_issues_json).at("issues");
  ASSERT_FALSE(issues.empty());
  for (const auto& issue : issues) {
    const auto* e = diagnosis::find_catalogue_entry(issue.at("id").get<std::string>());
    ASSERT_NE(e, nullptr) << issue.at("id");
    EXPECT_TRUE(has(e->raised_by, "doctor")) << e->id;
    // The wording lives in the catalogue only, so the two cannot disagree.
    for (const char* key : {"severity", "title", "explanation", "fix", "reference"}) EXPECT_FALSE(issue.contains(key)) << e->id << " " << key;
  }
}

// What the doctor's static checks and a simulated run's measured checks raise on every seed rig
// variant is in the catalogue, for that command.
TEST(Catalogue, EveryFindingRaisedOnTheSeedRigsNamesItsRaiser) {
  std::set<std::string> seen;
  for (const auto& entry : std::filesystem::directory_iterator(RIGCHECK_RIGS)) {
    if (entry.path().extension() != ".json") continue;
    std::ifstream in(entry.path());
    const auto rig = topology::parse_rig(json::parse(in));
    for (const auto& v : rig.variants) {
      SCOPED_TRACE(rig.name + "/" + v.name);
      const auto t = topology::expand_rig(rig, v.name);
      diagnosis::BuildInfo build{{75, 80, 86, 89, 90, 100, 120}, 13};
      if (auto b = topology::rig_build(rig, v.name)) build = {b->cuda_architectures, b->cuda_toolkit_major};
      for (const auto& f : diagnosis::static_findings(t, build)) {
        const auto* e = diagnosis::find_catalogue_entry(f.id);
        ASSERT_NE(e, nullptr) << f.id;
        EXPECT_TRUE(has(e->raised_by, "doctor") && has(e->raised_by, "run")) << f.id;
        EXPECT_TRUE(e->allows(f.severity)) << f.id;
        seen.insert(f.id);
      }
      bench::SimBackend sim(t, fabric::default_fabric_constants(), 7);
      bench::RunOptions o;
      o.plan.bytes = 16ull << 20;
      o.sampler.max_samples = 5;
      auto run = bench::run_tests(sim, t, {bench::find_test("host_to_device_ce"), bench::find_test("device_to_device_write_ce")}, o);
      for (const auto& f : diagnosis::measured_findings(t, run, diagnosis::judge_run(t, run))) {
        const auto* e = diagnosis::find_catalogue_entry(f.id);
        ASSERT_NE(e, nullptr) << f.id;
        EXPECT_TRUE(has(e->raised_by, "run") && has(e->raised_by, "bench")) << f.id;
        seen.insert(f.id);
      }
    }
  }
  // The rigs exercise a good part of the rules, not a trivial corner of them.
  EXPECT_GE(seen.size(), 8u);
}
