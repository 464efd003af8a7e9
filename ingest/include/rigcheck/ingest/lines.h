#pragma once
// Undoing what pasting does to a tool's output before any parser sees it: CRLF, ANSI colours,
// HTML entities, Markdown fences, quote markers and <details> tags, `[1,0]<stdout>:` (OpenMPI
// --tag-output) and `(Worker pid=…)` (Ray/vLLM) prefixes, editor line numbers, tabs. Each line
// keeps its number in the input so findings can point at it. Leading `#` and collapsed spaces are
// not undone here: parsers match tokens, with `#` optional (strip_hash).

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace rigcheck::ingest {

// 16 bytes (a string_view and the number would take 24): a 100 MB paste has about two million.
struct Line {
  int number = 0;            // 1-based, in the original input
  uint32_t length = 0;
  const char* start = nullptr;  // into the input or NormalisedLines::rewritten
  // The line cleaned, trimmed at the right.
  std::string_view text() const { return {start, length}; }
};

// Longest line kept; longer ones are cut (a 100 MB single-line paste stays bounded).
inline constexpr size_t kMaxLineChars = 16384;

// The cleaned lines of one input. A line that pasting did not damage (most of them) is a view of
// the input itself, so a 100 MB paste costs its text and a view per line rather than a second and
// third copy; only lines that cleaning changed are written out, into `rewritten`. The input must
// outlive the lines; moving this keeps every view valid.
struct NormalisedLines {
  std::vector<Line> lines;
  std::vector<std::unique_ptr<char[]>> rewritten;  // chunks holding the changed lines' text
};

NormalisedLines normalise(std::string_view input);

// The line without one leading '#' (and the spaces around it), trimmed.
std::string_view strip_hash(std::string_view s);
std::string_view trim(std::string_view s);
std::vector<std::string_view> tokens(std::string_view s);
bool starts_with(std::string_view s, std::string_view prefix);
bool contains(std::string_view s, std::string_view part);

// A decimal number token ("26.34", "1e+00", "-1"); false for "N/A" and anything else.
bool parse_number(std::string_view s, double& out);
bool parse_int(std::string_view s, long& out);

}  // namespace rigcheck::ingest
