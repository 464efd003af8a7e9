// Seeded random mutation of every parser's input: each must either succeed or raise InputError,
// never crash, hang or throw anything else. (Deterministic seeds, so a failure reproduces.)

#include <gtest/gtest.h>

#include <fstream>
#include <random>
#include <sstream>

#include "fake_machine.h"
#include "rigcheck/topology/config_space.h"
#include "rigcheck/topology/discover.h"
#include "rigcheck/topology/errors.h"
#include "rigcheck/topology/json.h"
#include "rigcheck/topology/pci_address.h"

using namespace rigcheck::topology;

namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// One random edit: flip a byte, delete a span, duplicate a span, or truncate.
std::string mutate(std::string s, std::mt19937& rng) {
  if (s.empty()) return s;
  std::uniform_int_distribution<size_t> pos(0, s.size() - 1);
  switch (rng() % 4) {
    case 0: s[pos(rng)] = static_cast<char>(rng() % 256); break;
    case 1: {
      size_t p = pos(rng);
      s.erase(p, std::min<size_t>(rng() % 64 + 1, s.size() - p));
      break;
    }
    case 2: {
      size_t p = pos(rng);
      s.insert(p, s.substr(p, rng() % 64 + 1));
      break;
    }
    default: s.resize(pos(rng)); break;
  }
  return s;
}

template <typename F>
void expect_ok_or_input_error(F&& f, const std::string& what) {
  try {
    f();
  } catch (const InputError&) {
  } catch (const std::exception& e) {
    ADD_FAILURE() << what << ": unexpected exception " << e.what();
  }
}

}  // namespace

TEST(Fuzz, ConfigSpaceParserOnRandomBytes) {
  std::mt19937 rng(1);
  for (int i = 0; i < 3000; ++i) {
    std::vector<uint8_t> b(rng() % 4097);
    for (auto& x : b) x = static_cast<uint8_t>(rng());
    if (b.size() > 0x34) {
      b[0x06] |= 0x10;  // make the capability walk happen
    }
    ConfigSpaceInfo info = parse_config_space(b);
    EXPECT_EQ(info.bytes, b.size());
  }
}

TEST(Fuzz, PciAddressParseRoundTrips) {
  std::mt19937 rng(2);
  const std::string alphabet = "0123456789abcdefABCDEF:.xz ";
  for (int i = 0; i < 20000; ++i) {
    std::string s(rng() % 20, ' ');
    for (auto& c : s) c = alphabet[rng() % alphabet.size()];
    if (auto a = PciAddress::parse(s)) {
      EXPECT_EQ(PciAddress::parse(a->str()), a) << s;
    }
  }
}

TEST(Fuzz, TopologyJsonMutations) {
  DiscoveryOptions o;
  o.xml = std::string(RIGCHECK_FIXTURES) + "/hwloc/power8gpudistances.xml";
  const std::string good = to_json(discover(o)).dump(1);
  std::mt19937 rng(3);
  for (int i = 0; i < 1500; ++i) {
    std::string s = good;
    for (int k = 0, edits = 1 + static_cast<int>(rng() % 3); k < edits; ++k) s = mutate(s, rng);
    expect_ok_or_input_error([&] { parse_topology_json(s); }, "json mutation " + std::to_string(i));
  }
}

TEST(Fuzz, HwlocXmlMutations) {
  const std::string good = read_file(std::string(RIGCHECK_FIXTURES) + "/hwloc/24em64t-2n6c2t-pci.xml");
  rigcheck::testing::TempDir dir;
  std::mt19937 rng(4);
  for (int i = 0; i < 60; ++i) {
    std::string path = (dir.path() / ("m" + std::to_string(i) + ".xml")).string();
    std::ofstream(path, std::ios::binary) << mutate(mutate(good, rng), rng);
    DiscoveryOptions o;
    o.xml = path;
    expect_ok_or_input_error([&] { discover(o); }, "xml mutation " + std::to_string(i));
  }
}

TEST(Fuzz, LspciDumpMutations) {
  const std::string good = rigcheck::testing::lspci_dump(rigcheck::testing::reference_machine());
  rigcheck::testing::TempDir dir;
  std::mt19937 rng(5);
  for (int i = 0; i < 60; ++i) {
    std::string path = (dir.path() / ("d" + std::to_string(i) + ".txt")).string();
    std::ofstream(path, std::ios::binary) << mutate(mutate(good, rng), rng);
    DiscoveryOptions o;
    o.xml = std::string(RIGCHECK_FIXTURES) + "/hwloc/24em64t-2n6c2t-pci.xml";
    o.pci_dump = path;
    expect_ok_or_input_error([&] { discover(o); }, "dump mutation " + std::to_string(i));
  }
}

// Found by HwlocXmlMutations: hwloc 2.9's libxml2 importer segfaults on this file, its own minimal
// parser (HWLOC_LIBXML=0, or no libhwloc-plugins) refuses it. Either way it must be an input
// error of one sentence naming the file, not a crash of rigcheck.
TEST(Fuzz, XmlThatCrashesHwlocIsAnInputError) {
  DiscoveryOptions o;
  o.xml = std::string(RIGCHECK_FIXTURES) + "/bad/hwloc-2.9-crash.xml";
  try {
    discover(o);
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("hwloc-2.9-crash.xml"), std::string::npos) << what;
    EXPECT_EQ(what.find('\n'), std::string::npos) << what;
  }
}
