// Every finding an import of the real fixtures raises is a catalogue entry that names import
// among its raisers, in a severity the entry allows.

#include <gtest/gtest.h>

#include <filesystem>

#include "rigcheck/diagnosis/catalogue.h"
#include "support.h"

namespace rigcheck::import_test {
namespace {

TEST(ImportCatalogue, EveryFindingOfEveryFixtureIsAnImportEntry) {
  std::set<std::string> seen;
  for (const auto& file : std::filesystem::directory_iterator(std::string(RIGCHECK_FIXTURES) + "/imports")) {
    if (!file.is_regular_file()) continue;
    const std::string name = file.path().filename().string();
    SCOPED_TRACE(name);
    ingest::PartialMachine m;
    try {
      m = import_fixture(name);
    } catch (const topology::InputError&) {
      continue;  // not a tool's output (a README, a deliberately unknown file)
    }
    for (const auto& f : findings_of(m)) {
      const auto* e = diagnosis::find_catalogue_entry(f.id);
      ASSERT_NE(e, nullptr) << f.id;
      EXPECT_TRUE(std::count(e->raised_by.begin(), e->raised_by.end(), "import")) << f.id;
      EXPECT_TRUE(e->allows(f.severity)) << f.id;
      seen.insert(f.id);
    }
  }
  EXPECT_GE(seen.size(), 10u);
}

}  // namespace
}  // namespace rigcheck::import_test
