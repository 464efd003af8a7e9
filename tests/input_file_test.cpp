// The bounded reader every input goes through, and the UTF-8 repair of discovered text.

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>

#include "fake_machine.h"
#include "rigcheck/topology/discover.h"
#include "rigcheck/topology/errors.h"
#include "rigcheck/topology/input_file.h"
#include "rigcheck/topology/json.h"
#include "rigcheck/topology/rooted_fs.h"
#include "rigcheck/topology/utf8.h"

using namespace rigcheck::topology;

namespace {

template <typename F>
std::string input_error(F&& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected InputError";
  return {};
}

}  // namespace

TEST(InputFile, ReadsARegularFile) {
  rigcheck::testing::TempDir dir;
  const std::string path = (dir.path() / "a.json").string();
  std::ofstream(path) << "{\"a\": 1}";
  EXPECT_EQ(read_input_file(path, kJsonInput), "{\"a\": 1}");
  EXPECT_NE(input_error([&] { read_input_file((dir.path() / "missing").string(), kJsonInput); }).find("cannot read"),
            std::string::npos);
}

// A FIFO with no writer hung every input option; it is refused at once.
TEST(InputFile, AFifoIsRefusedWithoutBlocking) {
  rigcheck::testing::TempDir dir;
  const std::string fifo = (dir.path() / "fifo").string();
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  const auto start = std::chrono::steady_clock::now();
  EXPECT_NE(input_error([&] { read_json_file(fifo); }).find("is not a regular file"), std::string::npos);
  DiscoveryOptions o;
  o.xml = fifo;
  EXPECT_NE(input_error([&] { discover(o); }).find("is not a regular file"), std::string::npos);
  o.xml = std::string(RIGCHECK_FIXTURES) + "/hwloc/24em64t-2n6c2t-pci.xml";
  o.pci_dump = fifo;
  EXPECT_NE(input_error([&] { discover(o); }).find("is not a regular file"), std::string::npos);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  // In a fake root such a file is unreadable, like a missing one.
  EXPECT_FALSE(RootedFs(dir.path().string()).read_text("/fifo"));
}

// /dev/zero grew to 7 GB in 10 s.
TEST(InputFile, ADeviceIsRefused) {
  EXPECT_NE(input_error([] { read_json_file("/dev/zero"); }).find("is not a regular file"), std::string::npos);
}

TEST(InputFile, EachKindHasASizeCap) {
  rigcheck::testing::TempDir dir;
  const std::string path = (dir.path() / "big.json").string();
  { std::ofstream(path) << "[]"; }
  std::filesystem::resize_file(path, kJsonInput.max_bytes + 1);  // sparse: no disk used
  const std::string what = input_error([&] { read_json_file(path); });
  EXPECT_NE(what.find("larger than the 64 MiB a JSON file may be"), std::string::npos) << what;
  EXPECT_NO_THROW(read_input_file(path, InputKind{"test file", kJsonInput.max_bytes + 1}));
}

TEST(Utf8, InvalidBytesBecomeTheReplacementCharacter) {
  EXPECT_EQ(valid_utf8("GeForce RTX 3090"), "GeForce RTX 3090");
  EXPECT_EQ(valid_utf8("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"), "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
  EXPECT_EQ(valid_utf8("\xff\xff"), "\xef\xbf\xbd\xef\xbf\xbd");  // unset DMI field
  EXPECT_EQ(valid_utf8("a\xc3"), "a\xef\xbf\xbd");                 // truncated sequence
  EXPECT_EQ(valid_utf8("\xc0\xaf"), "\xef\xbf\xbd\xef\xbf\xbd");  // overlong '/'
  EXPECT_EQ(valid_utf8("\xed\xa0\x80"), "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");  // a surrogate
  EXPECT_EQ(valid_utf8("\xf4\x90\x80\x80"), "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");  // > U+10FFFF
}

// The importer reads a paste in place when this says it is UTF-8 already: it must say so exactly
// when valid_utf8 would leave the text as it is.
TEST(Utf8, ValidExactlyWhenNothingWouldBeReplaced) {
  for (const std::string s : {"GeForce RTX 3090", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", "", "\xff\xff", "a\xc3", "\xc0\xaf",
                              "\xed\xa0\x80", "\xf4\x90\x80\x80", "ok\xe2\x82"}) {
    SCOPED_TRACE(s);
    EXPECT_EQ(is_valid_utf8(s), valid_utf8(s) == s);
  }
  EXPECT_TRUE(is_valid_utf8("caf\xc3\xa9"));
  EXPECT_FALSE(is_valid_utf8("caf\xe9"));  // Latin-1
}

// A DMI product name of 0xFF bytes made every JSON output of a discovered machine throw.
TEST(Utf8, DiscoveredNamesAreValidInJson) {
  rigcheck::testing::TempDir dir;
  auto m = rigcheck::testing::reference_machine();
  m.kernel = "6.1.0-\xff\xfe";
  m.nvidia_version_line = "NVRM version: NVIDIA UNIX x86_64 Kernel Module  580.82.07\xff";
  rigcheck::testing::write_fake_sysfs(m, dir.path() / "root");
  DiscoveryOptions o;
  o.fsroot = (dir.path() / "root").string();
  o.query_nvml = false;
  Topology t = discover(o);
  EXPECT_NO_THROW(to_json(t).dump());
  EXPECT_EQ(t.system.kernel, "6.1.0-\xef\xbf\xbd\xef\xbf\xbd");
}
