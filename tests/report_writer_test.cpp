// The report writer: atomic, and nothing planted in the output directory is written through.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "fake_machine.h"
#include "rigcheck/report/report.h"
#include "rigcheck/topology/errors.h"

namespace fs = std::filesystem;
using rigcheck::report::write_atomically;

namespace {

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<std::string> names_in(const fs::path& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

// The old writer opened the predictable NAME.tmp with truncation and followed a symbolic link
// planted there: any file the user could write was overwritten.
TEST(ReportWriter, APlantedLinkAtTheOldTemporaryNameIsNotFollowed) {
  rigcheck::testing::TempDir dir;
  const fs::path victim = dir.path() / "victim", report = dir.path() / "out" / "r.json";
  fs::create_directory(dir.path() / "out");
  std::ofstream(victim) << "precious";
  fs::create_symlink(victim, report.string() + ".tmp");
  write_atomically(report.string(), "{\"new\": true}");
  EXPECT_EQ(slurp(victim), "precious");
  EXPECT_EQ(slurp(report), "{\"new\": true}");
  EXPECT_EQ(names_in(dir.path() / "out"), (std::vector<std::string>{"r.json", "r.json.tmp"}));  // no temporary left
}

TEST(ReportWriter, ALinkAtTheReportNameIsReplacedNotWrittenThrough) {
  rigcheck::testing::TempDir dir;
  const fs::path victim = dir.path() / "victim", report = dir.path() / "r.json";
  std::ofstream(victim) << "precious";
  fs::create_symlink(victim, report);
  write_atomically(report.string(), "text");
  EXPECT_EQ(slurp(victim), "precious");
  EXPECT_FALSE(fs::is_symlink(report));
  EXPECT_EQ(slurp(report), "text");
}

TEST(ReportWriter, ReplacesAnOldReportWhole) {
  rigcheck::testing::TempDir dir;
  const fs::path report = dir.path() / "r.json";
  write_atomically(report.string(), std::string(100000, 'a'));
  write_atomically(report.string(), "short");
  EXPECT_EQ(slurp(report), "short");
  EXPECT_EQ(names_in(dir.path()), std::vector<std::string>{"r.json"});
}

// A failure is the user's to fix (a missing or full directory), said in one sentence, and leaves
// no temporary behind.
TEST(ReportWriter, FailureIsAnInputErrorAndLeavesNoTemporary) {
  rigcheck::testing::TempDir dir;
  EXPECT_THROW(write_atomically((dir.path() / "missing" / "r.json").string(), "x"), rigcheck::topology::InputError);
  const fs::path blocked = dir.path() / "r.json";
  fs::create_directory(blocked);
  std::ofstream(blocked / "keep") << "x";  // rename cannot replace a non-empty directory
  try {
    write_atomically(blocked.string(), "x");
    FAIL() << "expected InputError";
  } catch (const rigcheck::topology::InputError& e) {
    EXPECT_NE(std::string(e.what()).find("cannot write " + blocked.string()), std::string::npos) << e.what();
  }
  EXPECT_EQ(names_in(dir.path()), std::vector<std::string>{"r.json"});
}
