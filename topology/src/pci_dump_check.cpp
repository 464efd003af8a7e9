#include "pci_dump_check.h"

#include <cstdio>
#include <string_view>

#include "rigcheck/topology/errors.h"

namespace rigcheck::topology::detail {
namespace {

constexpr size_t kConfigSpaceBytes = 4096;
constexpr size_t kMaxLine = 4096;  // a config line is 53 characters; a device name a few dozen

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Reads up to `max` hex digits (at least one); false when there are none or more than max.
bool hex(std::string_view& s, size_t max, unsigned long& out) {
  size_t n = 0;
  out = 0;
  while (n < s.size() && hex_digit(s[n]) >= 0) {
    if (++n > max) return false;
    out = out * 16 + static_cast<unsigned long>(hex_digit(s[n - 1]));
  }
  s.remove_prefix(n);
  return n > 0;
}

bool take(std::string_view& s, char c) {
  if (s.empty() || s.front() != c) return false;
  s.remove_prefix(1);
  return true;
}

struct Header {
  unsigned long domain = 0, bus = 0, dev = 0, func = 0;
};

// "[dddd:]bb:dd.f" followed by a space or the end of the line.
bool parse_header(std::string_view s, Header& h) {
  unsigned long a = 0, b = 0;
  if (!hex(s, 8, a) || !take(s, ':') || !hex(s, 2, b)) return false;
  if (take(s, ':')) {
    h.domain = a;
    h.bus = b;
    if (!hex(s, 2, h.dev)) return false;
  } else {
    h.bus = a;
    h.dev = b;
  }
  if (h.bus > 0xff || h.dev > 0x1f || h.domain > 0xffff || !take(s, '.') || !hex(s, 1, h.func) || h.func > 7) return false;
  return s.empty() || s.front() == ' ';
}

}  // namespace

std::string canonical_pci_dump(const std::string& text, const std::string& path) {
  std::string out;
  bool in_function = false;
  size_t line_no = 0;
  std::string_view all(text);
  auto bad = [&](const std::string& why) {
    return InputError("the PCI dump " + path + " is malformed at line " + std::to_string(line_no) + ": " + why +
                      " (expected `lspci -xxxx` output)");
  };
  while (!all.empty()) {
    ++line_no;
    size_t end = all.find('\n');
    std::string_view line = all.substr(0, end);
    all.remove_prefix(end == std::string_view::npos ? all.size() : end + 1);
    if (line.size() > kMaxLine) throw bad("the line is too long");
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.remove_suffix(1);
    if (line.empty()) {
      in_function = false;
      continue;
    }
    if (line.front() == '\t' || line.front() == ' ') continue;  // `lspci -v` detail lines
    Header h;
    if (parse_header(line, h)) {
      char buf[32];
      std::snprintf(buf, sizeof buf, "\n%04lx:%02lx:%02lx.%lx x\n", h.domain, h.bus, h.dev, h.func);
      out += buf;
      in_function = true;
      continue;
    }
    std::string_view s = line;
    unsigned long offset = 0;
    if (!hex(s, 3, offset) || !take(s, ':'))
      throw bad("neither a device header (\"0000:01:00.0 ...\") nor a config-space line (\"00: 86 80 ...\")");
    if (!in_function) throw bad("config-space bytes before any device header");
    std::string data;
    size_t count = 0;
    while (!s.empty()) {
      unsigned long byte = 0;
      const size_t before = s.size();
      if (!take(s, ' ') || !hex(s, 2, byte) || before - s.size() != 3 || (!s.empty() && s.front() != ' '))
        throw bad("config-space bytes must be two hex digits separated by spaces");
      char b[4];
      std::snprintf(b, sizeof b, " %02lx", byte);
      data += b;
      ++count;
    }
    if (count == 0 || count > 16) throw bad("a config-space line holds 1 to 16 bytes");
    if (offset + count > kConfigSpaceBytes) throw bad("the offset is past the 4096 bytes of PCI config space");
    char o[8];
    std::snprintf(o, sizeof o, "%03lx:", offset);
    out += o + data + "\n";
  }
  return out;
}

}  // namespace rigcheck::topology::detail
