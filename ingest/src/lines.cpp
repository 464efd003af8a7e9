#include "rigcheck/ingest/lines.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <memory>

namespace rigcheck::ingest {

std::string_view trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return s.substr(b, e - b);
}

std::string_view strip_hash(std::string_view s) {
  s = trim(s);
  if (!s.empty() && s[0] == '#') s = trim(s.substr(1));
  return s;
}

std::vector<std::string_view> tokens(std::string_view s) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
    size_t b = i;
    while (i < s.size() && !std::isspace(static_cast<unsigned char>(s[i]))) ++i;
    if (i > b) out.push_back(s.substr(b, i - b));
  }
  return out;
}

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }
bool contains(std::string_view s, std::string_view p) { return s.find(p) != std::string_view::npos; }

bool parse_number(std::string_view s, double& out) {
  if (s.empty() || s.size() > 40) return false;
  const char c = s[0];
  if (!(std::isdigit(static_cast<unsigned char>(c)) || c == '-' || c == '+' || c == '.')) return false;
  std::string tmp(s);
  char* end = nullptr;
  out = std::strtod(tmp.c_str(), &end);
  return end == tmp.c_str() + tmp.size();
}

bool parse_int(std::string_view s, long& out) {
  auto r = std::from_chars(s.data(), s.data() + s.size(), out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

namespace {

// ESC [ … final byte, and the OSC/other two-byte escapes terminals print.
std::string strip_ansi(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\x1b') {
      if (i + 1 < s.size() && s[i + 1] == '[') {
        i += 2;
        while (i < s.size() && !(s[i] >= 0x40 && s[i] <= 0x7e)) ++i;
      } else {
        ++i;
      }
      continue;
    }
    if (s[i] == '\t') {
      out += "    ";
      continue;
    }
    // Other control characters (a stray \r, backspace) carry nothing a parser needs.
    if (static_cast<unsigned char>(s[i]) < 0x20) continue;
    out += s[i];
  }
  return out;
}

std::string decode_entities(std::string s) {
  static const std::pair<const char*, const char*> entities[] = {
      {"&gt;", ">"}, {"&lt;", "<"}, {"&amp;", "&"}, {"&quot;", "\""}, {"&#39;", "'"}, {"&nbsp;", " "}};
  if (s.find('&') == std::string::npos) return s;
  for (const auto& [from, to] : entities)
    for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + 1)) s.replace(at, std::strlen(from), to);
  return s;
}

// Mailing-list archives and HTML pastes wrap lines in "<p>" and end them with "<br>": the tags
// at either end of a line go (an XML element such as "<pci …>" is no such tag).
std::string strip_html_breaks(std::string s) {
  for (bool again = true; again;) {
    again = false;
    for (const char* tag : {"<p>", "<br>", "<br/>", "<br />", "</p>"}) {
      const size_t n = std::strlen(tag);
      if (s.compare(0, n, tag) == 0) s.erase(0, n), again = true;
      while (s.size() >= n && s.compare(s.size() - n, n, tag) == 0) s.erase(s.size() - n), again = true;
    }
  }
  return s;
}

size_t skip_spaces(std::string_view s, size_t i) {
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
  return i;
}

size_t skip_digits(std::string_view s, size_t i) {
  while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
  return i;
}

// "[1,0]<stdout>:" (OpenMPI --tag-output): length of the prefix, 0 when absent.
size_t mpi_prefix(std::string_view s) {
  size_t i = skip_spaces(s, 0);
  if (i >= s.size() || s[i] != '[') return 0;
  size_t j = skip_digits(s, i + 1);
  if (j == i + 1 || j >= s.size() || s[j] != ',') return 0;
  size_t k = skip_digits(s, j + 1);
  if (k == j + 1 || k >= s.size() || s[k] != ']') return 0;
  std::string_view rest = s.substr(k + 1);
  for (std::string_view tag : {"<stdout>:", "<stderr>:"})
    if (starts_with(rest, tag)) return k + 1 + tag.size();  // the line's own indentation follows (lspci -t draws with it)
  return 0;
}

// "(Worker pid=123)", "(RayWorkerWrapper pid=5, ip=10.0.0.1)" (Ray, vLLM).
size_t worker_prefix(std::string_view s) {
  size_t i = skip_spaces(s, 0);
  if (i >= s.size() || s[i] != '(') return 0;
  size_t close = s.find(')', i);
  if (close == std::string_view::npos || close - i > 80) return 0;
  std::string_view inside = s.substr(i + 1, close - i - 1);
  size_t pid = inside.find("pid=");
  if (pid == std::string_view::npos || (pid > 0 && inside[pid - 1] != ' ')) return 0;
  if (skip_digits(inside, pid + 4) == pid + 4) return 0;
  return close + 1 < s.size() && s[close + 1] == ' ' ? close + 2 : close + 1;  // Ray's one space; the indentation is the line's
}

// Markdown/e-mail quote markers "> ", ">> " at the start (never the '>' inside "->").
size_t quote_prefix(std::string_view s) {
  size_t i = skip_spaces(s, 0);
  if (i >= s.size() || s[i] != '>') return 0;
  while (i < s.size() && s[i] == '>') ++i;
  return i < s.size() && s[i] == ' ' ? i + 1 : i;
}

// Prefixes launchers put in front of every line; removed repeatedly (a quoted MPI log has both).
std::string strip_prefixes(std::string s) {
  for (int round = 0; round < 6; ++round) {
    size_t n = mpi_prefix(s);
    if (!n) n = worker_prefix(s);
    if (!n) n = quote_prefix(s);
    if (!n) break;
    s.erase(0, n);
  }
  return s;
}

// Editor or `cat -n` numbering: "12: text", "12| text", "  12  text". Length, or 0.
size_t number_prefix(std::string_view s, long& number) {
  size_t i = skip_spaces(s, 0);
  size_t j = skip_digits(s, i);
  if (j == i || j - i > 9) return 0;
  number = std::atol(std::string(s.substr(i, j - i)).c_str());
  if (j == s.size()) return j;
  if (s[j] == ':' || s[j] == '|') return j + 1 < s.size() && s[j + 1] == ' ' ? j + 2 : j + 1;
  if (s[j] == ' ' || s[j] == '\t') return j + 1;
  return 0;
}

bool is_markup(std::string_view t) {
  t = trim(t);
  if (starts_with(t, "```") || starts_with(t, "~~~")) return true;
  for (const char* tag : {"<details", "</details", "<summary", "</summary", "<pre", "</pre", "<code", "</code"})
    if (starts_with(t, tag)) return true;
  return false;
}

// The input's lines as they are, each cut at kMaxLineChars: f(raw) for each until f returns false.
template <class F>
void for_each_raw_line(std::string_view input, F&& f) {
  for (size_t start = 0; start <= input.size();) {
    size_t nl = input.find('\n', start);
    if (nl == std::string_view::npos) nl = input.size();
    if (!f(input.substr(start, std::min(nl - start, kMaxLineChars)))) return;
    if (nl == input.size()) return;
    start = nl + 1;
  }
}

// Numbered pastes: most lines start with consecutive integers. Matrix rows ("0  26.03") also
// start with integers, but not consecutively over the whole input.
bool has_line_numbers(std::string_view input) {
  int checked = 0, consecutive = 0;
  long prev = -1;
  for_each_raw_line(input, [&](std::string_view raw) {
    const std::string l = strip_ansi(raw);
    if (trim(l).empty()) return true;
    ++checked;
    long n = 0;
    if (number_prefix(l, n)) {
      if (prev >= 0 && n == prev + 1) ++consecutive;
      prev = n;
    } else {
      prev = -1;
    }
    return checked <= 400;
  });
  return checked >= 6 && consecutive * 10 >= checked * 8;
}

std::string_view trim_right(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// What the full cleaning below gives for a line that nothing was done to (no control character
// but the CR of a CRLF, no entity, no tag at either end, no launcher, quote or line-number
// prefix): a part of the line itself, so it need not be copied. False when the line needs the
// full cleaning. Each test mirrors the step it stands for; a line that fails one is cleaned in
// full, so this only decides where the text is kept, never what it is.
bool clean_in_place(std::string_view raw, bool numbered, std::string_view& out) {
  if (numbered) return false;
  while (!raw.empty() && raw.back() == '\r') raw.remove_suffix(1);  // strip_ansi drops it
  for (char c : raw)
    if (static_cast<unsigned char>(c) < 0x20) return false;  // ESC, tab, other control characters: strip_ansi
  if (raw.find('&') != std::string_view::npos) return false;  // decode_entities
  if (!raw.empty() && (raw.front() == '<' || raw.back() == '>')) return false;  // strip_html_breaks
  const size_t first = raw.find_first_not_of(' ');
  if (first != std::string_view::npos && (raw[first] == '[' || raw[first] == '(' || raw[first] == '>')) return false;  // strip_prefixes
  out = is_markup(raw) ? std::string_view() : trim_right(raw);
  return true;
}

std::string clean_fully(std::string_view raw, bool numbered) {
  std::string s = strip_html_breaks(decode_entities(strip_ansi(raw)));
  long n = 0;
  if (numbered) s.erase(0, number_prefix(s, n));
  s = strip_html_breaks(strip_prefixes(std::move(s)));  // a launcher or quote prefix can come before the tags
  if (is_markup(s)) s.clear();
  s.resize(trim_right(s).size());
  return s;
}

// Room for the rewritten lines, in chunks that never move (the lines point into them).
class RewrittenText {
 public:
  explicit RewrittenText(std::vector<std::unique_ptr<char[]>>& chunks) : chunks_(chunks) {}
  std::string_view keep(const std::string& s) {
    if (s.empty()) return {};
    if (room_ < s.size()) {
      const size_t size = std::max(kChunk, s.size());
      chunks_.push_back(std::make_unique_for_overwrite<char[]>(size));  // pages untouched until written
      next_ = chunks_.back().get();
      room_ = size;
    }
    std::memcpy(next_, s.data(), s.size());
    const std::string_view kept(next_, s.size());
    next_ += s.size();
    room_ -= s.size();
    return kept;
  }

 private:
  static constexpr size_t kChunk = 1u << 20;
  std::vector<std::unique_ptr<char[]>>& chunks_;
  char* next_ = nullptr;
  size_t room_ = 0;
};

}  // namespace

NormalisedLines normalise(std::string_view input) {
  const bool numbered = has_line_numbers(input);
  NormalisedLines out;
  out.lines.reserve(static_cast<size_t>(std::count(input.begin(), input.end(), '\n')) + 1);
  RewrittenText rewritten(out.rewritten);
  for_each_raw_line(input, [&](std::string_view raw) {
    std::string_view text;
    if (!clean_in_place(raw, numbered, text)) text = rewritten.keep(clean_fully(raw, numbered));
    out.lines.push_back({static_cast<int>(out.lines.size() + 1), static_cast<uint32_t>(text.size()), text.data()});
    return true;
  });
  return out;
}

}  // namespace rigcheck::ingest
