// The CLI's output filter (cli/terminal_safe.h): control characters from names and files become
// '?', and what passes reaches the real stream a line at a time.
#include "terminal_safe.h"

#include <gtest/gtest.h>

#include <ostream>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

using rigcheck::cli::TerminalSafeBuf;

// The stream below the filter (stderr's stdio buffer in the CLI), recording each call: an
// unbuffered stderr turns each call into one write(2).
class RecordingBuf : public std::streambuf {
 public:
  std::vector<std::string> calls;
  int syncs = 0;
  std::string all() const {
    std::string s;
    for (const auto& c : calls) s += c;
    return s;
  }

 protected:
  int_type overflow(int_type c) override {
    if (c != traits_type::eof()) calls.emplace_back(1, static_cast<char>(c));
    return traits_type::not_eof(c);
  }
  std::streamsize xsputn(const char* s, std::streamsize n) override {
    calls.emplace_back(s, static_cast<size_t>(n));
    return n;
  }
  int sync() override {
    ++syncs;
    return 0;
  }
};

TEST(TerminalSafeBuf, ReplacesControlCharactersAndKeepsText) {
  RecordingBuf to;
  TerminalSafeBuf safe(&to);
  std::ostream os(&safe);
  // ESC (a CSI sequence), BEL, DEL and the UTF-8 encoded C1 CSI (U+009B) are replaced; tab,
  // newline and other UTF-8 (U+00A9, U+00E9) pass.
  os << "GPU \x1b[2Jname\a\x7f \xc2\x9b" "1m\t\xc2\xa9 caf\xc3\xa9\n" << std::flush;
  EXPECT_EQ(to.all(), "GPU ?[2Jname?? ?1m\t\xc2\xa9 caf\xc3\xa9\n");
}

TEST(TerminalSafeBuf, ALineReachesTheStreamInOneCall) {
  // Under mpirun every rank's stderr is forwarded as it arrives: a line written a byte at a time
  // (each byte one write(2) on unbuffered stderr) came out cut, "...ended with MPI" here and
  // "_Abort" after Open MPI's own abort banner.
  RecordingBuf to;
  TerminalSafeBuf safe(&to);
  std::ostream os(&safe);
  os << "rigcheck: rank " << 3 << " (node" << 1 << "): the job is ended with MPI_Abort\n";
  os << "second line\n";
  ASSERT_EQ(to.calls.size(), 2u) << to.all();
  EXPECT_EQ(to.calls[0], "rigcheck: rank 3 (node1): the job is ended with MPI_Abort\n");
  EXPECT_EQ(to.calls[1], "second line\n");
}

TEST(TerminalSafeBuf, AFlushPassesAnUnfinishedLine) {
  RecordingBuf to;
  TerminalSafeBuf safe(&to);
  std::ostream os(&safe);
  os << "progress: 3 of 8";
  EXPECT_TRUE(to.calls.empty());
  os << std::flush;
  ASSERT_EQ(to.calls.size(), 1u);
  EXPECT_EQ(to.calls[0], "progress: 3 of 8");
  EXPECT_EQ(to.syncs, 1);
}

TEST(TerminalSafeBuf, ALeadByteAtTheEndOfAWriteWaitsForTheNext) {
  // 0xc2 starts both C1 controls and ordinary characters: the next byte decides, even when it
  // comes in a later write.
  RecordingBuf to;
  TerminalSafeBuf safe(&to);
  std::ostream os(&safe);
  os << "a\xc2";
  os << "\x9b" "b\xc2";
  os << "\xa9\n";
  EXPECT_EQ(to.all(), "a?b\xc2\xa9\n");
  os << "end\xc2" << std::flush;  // a flush with a lead byte pending passes it as it is
  EXPECT_EQ(to.all(), "a?b\xc2\xa9\nend\xc2");
  os << "\x9b" "2J\n";  // and a C1 byte after it, in a later write, is still replaced
  EXPECT_EQ(to.all(), "a?b\xc2\xa9\nend\xc2?2J\n");
}

// A stream below that accepts nothing (stderr closed).
class FailingBuf : public std::streambuf {
 public:
  int writes = 0;

 protected:
  int_type overflow(int_type) override { return ++writes, traits_type::eof(); }
  std::streamsize xsputn(const char*, std::streamsize) override { return ++writes, 0; }
};

TEST(TerminalSafeBuf, AFailedWriteIsReportedAndNotRepeated) {
  FailingBuf to;
  TerminalSafeBuf safe(&to);
  std::ostream os(&safe);
  os << "lost line\n";
  EXPECT_TRUE(os.bad());
  EXPECT_EQ(to.writes, 1);
  os.clear();
  os << "next" << std::flush;  // the failed line is not tried again with the next one
  EXPECT_EQ(to.writes, 2);
}

TEST(TerminalSafeBuf, AVeryLongLineIsPassedInBoundedPieces) {
  // One-line output (a JSON document) must not be held whole in memory before it is written.
  RecordingBuf to;
  TerminalSafeBuf safe(&to);
  std::ostream os(&safe);
  const std::string big(1 << 20, 'x');
  os << big;
  EXPECT_FALSE(to.calls.empty());
  for (const auto& c : to.calls) EXPECT_LE(c.size(), 64u * 1024u);
  os << std::flush;
  EXPECT_EQ(to.all(), big);
}

}  // namespace

namespace {

TEST(TerminalSafeBuf, LinesFromSeveralThreadsStayWhole) {
  RecordingBuf to;
  rigcheck::cli::TerminalSafeBuf safe(&to);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&safe, t] {
      std::ostream os(&safe);
      // One insertion is one line: the filter keeps each whole (ostream does not lock across `<<`).
      for (int i = 0; i < 200; ++i) os << "thread " + std::to_string(t) + " line " + std::to_string(i) + "\n";
    });
  for (auto& th : threads) th.join();
  std::ostream(&safe) << std::flush;
  std::istringstream all(to.all());
  int lines = 0;
  const std::regex whole("thread [0-3] line [0-9]+");
  for (std::string line; std::getline(all, line); ++lines) EXPECT_TRUE(std::regex_match(line, whole)) << line;
  EXPECT_EQ(lines, 800);
}

}  // namespace

namespace {

TEST(TerminalSafeText, FiltersOnePieceOfTextAsTheStreamsDo) {
  // The live status line is written past the streams: a name in it must not drive the terminal.
  EXPECT_EQ(rigcheck::cli::terminal_safe("GPU0 \x1b]0;title\a\xc2\x9b" "2J ok\n"), "GPU0 ?]0;title??2J ok\n");
  EXPECT_EQ(rigcheck::cli::terminal_safe("caf\xc3\xa9 \xc2\xa9"), "caf\xc3\xa9 \xc2\xa9");
}

}  // namespace
