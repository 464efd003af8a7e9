#pragma once
// Number formatting shared by the report renderers. Internal.

#include <cstdint>
#include <cstdio>
#include <string>

namespace rigcheck::report::detail {

// A measured value in its unit: latency in whole nanoseconds, bandwidth with two decimals.
inline std::string format_value(double v, const std::string& unit) {
  char buf[32];
  std::snprintf(buf, sizeof buf, unit == "ns" ? "%.0f" : "%.2f", v);
  return buf;
}

// A bandwidth in GB/s with two decimals, without its unit (table cells under a "GB/s" header).
inline std::string gbps_text(double v) { return format_value(v, "GB/s"); }

// A message size as nccl-tests' users read it: "1 GiB", "64 MiB", or bytes when not whole.
inline std::string size_text(uint64_t bytes) {
  char buf[32];
  if (bytes >= (1ull << 30) && bytes % (1ull << 30) == 0) std::snprintf(buf, sizeof buf, "%llu GiB", static_cast<unsigned long long>(bytes >> 30));
  else if (bytes >= (1ull << 20) && bytes % (1ull << 20) == 0) std::snprintf(buf, sizeof buf, "%llu MiB", static_cast<unsigned long long>(bytes >> 20));
  else std::snprintf(buf, sizeof buf, "%llu B", static_cast<unsigned long long>(bytes));
  return buf;
}

// Text from the machine or the user (GPU and machine names, evidence, error details) for a
// Markdown post: a name like "x | </details><script>" must not end a table cell, close the
// collapsible block or inject HTML, and control characters must not reach the reader's screen.
inline std::string markdown_text(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    if (c == '|') out += "\\|";
    else if (c == '<') out += "&lt;";
    else if (c == '>') out += "&gt;";
    else if (c == '&') out += "&amp;";
    else if (c == '\n' || c == '\r' || c == '\t') out += ' ';
    else if (c < 0x20 || c == 0x7f) out += "\xef\xbf\xbd";  // U+FFFD
    else out += static_cast<char>(c);
  }
  return out;
}

// Text from the machine or the user for an HTML page, in element content and in quoted
// attribute values alike: a GPU named "<script>" is shown as text, never run; control
// characters (C0 and C1) become U+FFFD so that nothing invisible reaches the page.
inline std::string html_text(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == 0xc2 && i + 1 < s.size() && static_cast<unsigned char>(s[i + 1]) >= 0x80 && static_cast<unsigned char>(s[i + 1]) <= 0x9f) {
      out += "\xef\xbf\xbd";  // a C1 control character (U+0080-U+009F): U+FFFD too
      ++i;
    } else if (c == '<') out += "&lt;";
    else if (c == '>') out += "&gt;";
    else if (c == '&') out += "&amp;";
    else if (c == '"') out += "&quot;";
    else if (c == '\'') out += "&#39;";
    else if (c == '\n' || c == '\t') out += static_cast<char>(c);
    else if (c < 0x20 || c == 0x7f) out += "\xef\xbf\xbd";  // U+FFFD
    else out += static_cast<char>(c);
  }
  return out;
}

}  // namespace rigcheck::report::detail
