// What pasting does to an output must not change what is read from it: every real fixture,
// damaged each way a forum, a terminal or a launcher damages text, gives the same cells and
// collective rows as the clean file.

#include <gtest/gtest.h>

#include <functional>
#include <regex>

#include "support.h"

namespace rigcheck::import_test {
namespace {

const char* kFixtures[] = {
    "autodl-2x2080ti-forum-post.md",          "nccl-tests-2022-8xa100-sxm4-two-runs.txt", "nccl-tests-2020-4x2080ti-error-column-cut.txt",
    "nccl-tests-2024-headerless-ring.txt",    "nvbandwidth-v0.2-8xh800.txt",              "nvbandwidth-v0.10-7gpu-three-matrix-bidir.txt",
    "nvbandwidth-v0.8-a100-h2d-sm.txt",       "p2p-6gpu-p2p-slower-than-staged-cut.txt",  "smi-topo-current-2x5090-phb-p2p-gns.md",
    "nvbandwidth-v0.7-8xa100-pattern-failure.txt", "bandwidthtest-2080ti-quick.md",            "kernel-log-gtx1660-aer-corrected-journal.txt",
    "nccl-info-8x4090-shm.txt",                   "lspci-quadro-rtx8000-pi-x1-downgraded.txt", "vllm-p2p-test-failed-cache.txt",
    "nccl-topo-xml-ibm-8xh100-vsi.xml",           "nccl-tests-json-patch318-8gpu-alltoall-cut.txt",
    "bandwidthtest-mbs-era-p100-numa-local-remote-cut.md", "nccl-tests-2019-ms-era-2x2080ti-hash-rows.txt",
    "smi-topo-soc-legend-4gpu-ompi-archive.html",
    "simplep2p-cg-2x4090-xeon-w3365-wrong-data.md", "simplep2p-3080ti-3080-no-peer-waived.md",
    "kernel-log-intel-iommu-on-pt-cmdline-rocm361-cut.txt", "lspci-grep-acsctl-headerless-redirect-on-nccl523-cut.txt",
};

// lspci -t trees are drawn in columns: collapsing or re-tabbing spaces loses them (those lines
// are skipped, see pci_tree_test); every other damage must leave the tree as it was.
const char* kColumnFixtures[] = {"lspci-tv-puget-wrx90-2x-rtx6000ada.md", "lspci-tv-asus-esc8000a-4x-rtx6000ada.md"};

std::vector<std::string> split_lines(const std::string& s) {
  std::vector<std::string> out;
  size_t b = 0;
  while (b <= s.size()) {
    size_t e = s.find('\n', b);
    if (e == std::string::npos) e = s.size();
    out.push_back(s.substr(b, e - b));
    if (e == s.size()) break;
    b = e + 1;
  }
  return out;
}

std::string each_line(const std::string& s, const std::function<std::string(const std::string&, size_t)>& f) {
  std::string out;
  auto lines = split_lines(s);
  for (size_t i = 0; i < lines.size(); ++i) out += f(lines[i], i) + (i + 1 < lines.size() ? "\n" : "");
  return out;
}

struct Damage {
  const char* name;
  std::function<std::string(const std::string&)> apply;
};

const std::vector<Damage>& damages() {
  static const std::vector<Damage> list = {
      {"crlf", [](const std::string& s) { return each_line(s, [](const std::string& l, size_t) { return l + "\r"; }); }},
      {"leading # stripped (Markdown headings)",
       [](const std::string& s) { return each_line(s, [](const std::string& l, size_t) { return l.rfind('#', 0) == 0 ? l.substr(1) : l; }); }},
      {"runs of spaces collapsed", [](const std::string& s) { return std::regex_replace(s, std::regex(" +"), " "); }},
      {"tabs", [](const std::string& s) { return std::regex_replace(s, std::regex("    "), "\t"); }},
      {"ANSI colours",
       [](const std::string& s) { return each_line(s, [](const std::string& l, size_t) { return "\x1b[0;32m" + l + "\x1b[0m"; }); }},
      {"[1,0]<stdout>: prefixes",
       [](const std::string& s) { return each_line(s, [](const std::string& l, size_t) { return "[1,0]<stdout>:" + l; }); }},
      {"(Worker pid=…) prefixes",
       [](const std::string& s) { return each_line(s, [](const std::string& l, size_t) { return "(RayWorkerWrapper pid=4242) " + l; }); }},
      {"quote markers", [](const std::string& s) { return each_line(s, [](const std::string& l, size_t) { return "> " + l; }); }},
      {"editor line numbers",
       [](const std::string& s) {
         return each_line(s, [](const std::string& l, size_t i) {
           char buf[16];
           std::snprintf(buf, sizeof buf, "%4zu: ", i + 1);
           return buf + l;
         });
       }},
      {"HTML entities", [](const std::string& s) {
         std::string out;
         for (char c : s) out += c == '>' ? "&gt;" : c == '<' ? "&lt;" : std::string(1, c);
         return out;
       }},
  };
  return list;
}

// What a parse produced, comparable across damages (line numbers stay those of the input).
std::vector<std::string> digest(const ingest::PartialMachine& m) {
  std::vector<std::string> d;
  for (const auto& c : m.cells) d.push_back(c.test + " " + std::to_string(c.row) + " " + std::to_string(c.col) + " " + std::to_string(c.value) + " " + c.status);
  for (const auto& c : m.collectives) {
    d.push_back("collective " + c.op + " " + std::to_string(c.ranks) + " " + std::to_string(c.complete));
    for (const auto& r : c.rows) d.push_back(std::to_string(r.bytes) + " " + std::to_string(r.busbw) + " " + std::to_string(r.wrong));
  }
  for (const auto& p : m.pairs)
    d.push_back("pair " + std::to_string(p.a) + "-" + std::to_string(p.b) + " " + (p.path ? topology::to_string(*p.path) : "-") + " " +
                std::to_string(p.nvlink_links) + " " + (p.p2p_granted ? std::to_string(*p.p2p_granted) : "?"));
  for (const auto& g : m.gpus) d.push_back("gpu " + std::to_string(g.index) + " " + g.name + " " + (g.address ? g.address->str() : "-"));
  for (const auto& e : m.events) d.push_back(std::string("event ") + ingest::to_string(e.kind) + " " + e.test);
  for (const auto& k : m.kernel) d.push_back("kernel " + std::to_string(static_cast<int>(k.kind)) + " " + k.device + " " + k.limited_to);
  for (const auto& k : m.lspci) d.push_back("lspci " + k.device + " " + describe(k.cap) + " " + describe(k.sta) + " " + std::to_string(k.width_downgraded));
  for (const auto& n : m.pci_tree) d.push_back("tree " + n.device + " " + n.parent + " " + n.root_bus + " " + describe(n.link) + " " + std::to_string(n.numa_node));
  for (const auto& f : m.lspci_functions)
    d.push_back("function " + f.device + " " + std::to_string(f.numa_node) + " " + (f.acs ? std::to_string(f.acs->capability) + "/" + std::to_string(f.acs->control) : "-"));
  for (const auto& g : m.xml_gpus) d.push_back("xml gpu " + g.device + " " + std::to_string(g.dev) + " " + std::to_string(g.nvlinks.size()));
  for (const auto& n : m.nic_devices) d.push_back("nic " + n.name + " " + n.device);
  d.push_back("nccl " + std::to_string(m.nccl.p2p) + " " + std::to_string(m.nccl.shm) + " " + std::to_string(m.nccl.net));
  d.push_back("vllm " + std::to_string(m.vllm.p2p_failed) + " " + m.vllm.cache_file);
  d.push_back(std::string("iommu ") + topology::to_string(m.iommu.mode) + " " + m.iommu.domain_type + " " + m.iommu.cmdline);
  return d;
}

TEST(ImportDamage, EveryDamageReadsTheSameAsTheCleanPaste) {
  for (const char* f : kFixtures) {
    const std::string clean = fixture_text(f);
    const auto want = digest(import_string(clean));
    ASSERT_FALSE(want.empty()) << f;
    for (const auto& d : damages()) {
      SCOPED_TRACE(std::string(f) + ", " + d.name);
      const auto got = digest(import_string(d.apply(clean)));
      EXPECT_EQ(got, want);
    }
  }
}

TEST(ImportDamage, TreesSurviveEveryDamageButLostColumns) {
  for (const char* f : kColumnFixtures) {
    const std::string clean = fixture_text(f);
    const auto want = digest(import_string(clean));
    for (const auto& d : damages()) {
      if (std::string(d.name) == "runs of spaces collapsed" || std::string(d.name) == "tabs") continue;
      SCOPED_TRACE(std::string(f) + ", " + d.name);
      EXPECT_EQ(digest(import_string(d.apply(clean))), want);
    }
  }
}

TEST(ImportDamage, TwoDamagesAtOnce) {
  // A quoted MPI log on Windows: quote markers, tag prefixes and CRLF together.
  const std::string clean = fixture_text("nccl-tests-2022-8xa100-sxm4-two-runs.txt");
  const std::string damaged =
      each_line(clean, [](const std::string& l, size_t) { return "> [1,0]<stdout>:" + l + "\r"; });
  EXPECT_EQ(digest(import_string(damaged)), digest(import_string(clean)));
}

// Where each figure, event and block was read, with the events' own text: what the line-level
// damage tests above do not compare.
std::vector<std::string> provenance_digest(const ingest::PartialMachine& m) {
  std::vector<std::string> d;
  for (const auto& c : m.cells) d.push_back(c.test + " " + std::to_string(c.row) + " " + std::to_string(c.col) + " @" + std::to_string(c.from.line));
  for (const auto& e : m.events) d.push_back(std::string(ingest::to_string(e.kind)) + " " + e.test + " " + e.text + " @" + std::to_string(e.from.line));
  for (const auto& k : m.kernel) d.push_back("kernel " + k.text + " @" + std::to_string(k.from.line));
  for (const auto& f : m.inputs)
    for (const auto& b : f.blocks) d.push_back(b.tool + " [" + b.version + "] " + std::to_string(b.first_line) + "-" + std::to_string(b.last_line));
  return d;
}

TEST(ImportDamage, LinesKeepTheirNumbersWhetherReadInPlaceOrRewritten) {
  // Clean lines are read where they are in the paste, damaged ones are rewritten into chunks of
  // their own (lines.cpp): here the two alternate, after more than a chunk of coloured prose, so
  // the fixture's rewritten lines sit in a later chunk than the first ones. Every figure, event
  // and block must come out at the line and with the text of the clean paste.
  std::string prose_clean, prose_coloured;
  for (int i = 0; prose_coloured.size() < (3u << 20) / 2; ++i) {
    const std::string l = "Line " + std::to_string(i) + " of the forum post's prose, before the output itself.";
    prose_clean += l + "\n";
    prose_coloured += "\x1b[0;37m" + l + "\x1b[0m\r\n";
  }
  for (const char* f : {"nvbandwidth-v0.7-8xa100-pattern-failure.txt", "kernel-log-gtx1660-aer-corrected-journal.txt",
                        "nccl-tests-2022-8xa100-sxm4-two-runs.txt"}) {
    SCOPED_TRACE(f);
    const std::string clean = fixture_text(f);
    const std::string damaged = each_line(clean, [](const std::string& l, size_t i) {
      if (i % 3 == 0) return "\x1b[1m" + l + "\x1b[0m\r";               // rewritten
      if (i % 3 == 1) return std::regex_replace(l, std::regex("    "), "\t");  // rewritten when it had a run of four spaces
      return l + "\r";                                                  // CRLF: read in place
    });
    const auto want = provenance_digest(import_string(prose_clean + clean));
    ASSERT_GE(want.size(), 2u);
    EXPECT_EQ(provenance_digest(import_string(prose_coloured + damaged)), want);
    EXPECT_EQ(provenance_digest(import_string(prose_clean + damaged)), want);
  }
}

TEST(ImportDamage, TruncationAnywhereNeverThrowsAndIsSaid) {
  // Cutting a complete output in the middle of any line leaves a valid import (or "no known
  // format" when nothing recognisable is left); a cut inside a matrix row is always said.
  const std::string clean = fixture_text("nvbandwidth-v0.10-7gpu-three-matrix-bidir.txt");
  const auto lines = split_lines(clean);
  const std::regex matrix_row(R"(^ +\d+ +(N/A|[0-9.]+) +)");
  int rows = 0;
  for (size_t n = 1; n < lines.size(); ++n) {
    std::string cut;
    for (size_t i = 0; i < n; ++i) cut += lines[i] + "\n";
    cut += lines[n].substr(0, lines[n].size() / 2);
    try {
      const auto m = import_string(cut);
      if (std::regex_search(lines[n], matrix_row)) {
        ++rows;
        EXPECT_GT(count_events(m, ingest::Event::Kind::truncated), 0u) << "cut in line " << n + 1 << ": " << lines[n];
      }
    } catch (const topology::InputError&) {
      EXPECT_LT(n, 5u) << "only a cut before the first test leaves nothing known";
    }
  }
  EXPECT_GT(rows, 40);
}

TEST(ImportDamage, ConcatenatedOutputsAndProse) {
  // Two fixtures in one post with prose around them: both are found, in order.
  const std::string post = "Hi, my rig is slow, here is nvbandwidth:\n\n" + fixture_text("nvbandwidth-v0.8-a100-h2d-sm.txt") +
                           "\nand nccl-tests:\n" + fixture_text("nccl-tests-2024-headerless-ring.txt") + "\nThanks!\n";
  const auto m = import_string(post);
  ASSERT_EQ(m.inputs[0].blocks.size(), 2u);
  EXPECT_EQ(m.inputs[0].blocks[0].tool, "nvbandwidth");
  EXPECT_EQ(m.inputs[0].blocks[1].tool, "nccl-tests");
  EXPECT_EQ(m.cells.size(), 1u);
  EXPECT_EQ(m.collectives.size(), 1u);
}

TEST(ImportDamage, UnknownFormatIsOneSentence) {
  try {
    import_string("hello\nworld\n", "notes.txt");
    FAIL() << "no known format must be an error";
  } catch (const topology::InputError& e) {
    const std::string what = e.what();
    EXPECT_EQ(what.rfind("notes.txt: no output of a known tool", 0), 0u) << what;
    EXPECT_EQ(what.find('\n'), std::string::npos);
  }
}

}  // namespace
}  // namespace rigcheck::import_test
