#include "rigcheck/topology/pci_address.h"

#include <cstdio>

namespace rigcheck::topology {

std::string PciAddress::str() const {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04x:%02x:%02x.%x", domain, bus, device, function);
  return buf;
}

namespace {

// Parses hex digits from `text` starting at `pos`; at least one, at most `max_digits`.
bool take_hex(std::string_view text, size_t& pos, size_t max_digits, uint32_t& out) {
  size_t start = pos;
  uint32_t value = 0;
  while (pos < text.size() && pos - start < max_digits) {
    char c = text[pos];
    int digit;
    if (c >= '0' && c <= '9') digit = c - '0';
    else if (c >= 'a' && c <= 'f') digit = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F') digit = c - 'A' + 10;
    else break;
    value = value * 16 + static_cast<uint32_t>(digit);
    ++pos;
  }
  out = value;
  return pos > start;
}

bool take_char(std::string_view text, size_t& pos, char c) {
  if (pos < text.size() && text[pos] == c) {
    ++pos;
    return true;
  }
  return false;
}

}  // namespace

std::optional<PciAddress> PciAddress::parse(std::string_view text) {
  // Count colons to tell "BB:DD.F" from "DDDD:BB:DD.F".
  size_t colons = 0;
  for (char c : text) colons += (c == ':');
  if (colons != 1 && colons != 2) return std::nullopt;

  size_t pos = 0;
  uint32_t domain = 0, bus = 0, dev = 0, fn = 0;
  if (colons == 2 && !(take_hex(text, pos, 8, domain) && take_char(text, pos, ':'))) return std::nullopt;
  if (!take_hex(text, pos, 2, bus) || !take_char(text, pos, ':')) return std::nullopt;
  if (!take_hex(text, pos, 2, dev) || !take_char(text, pos, '.')) return std::nullopt;
  if (!take_hex(text, pos, 1, fn) || pos != text.size()) return std::nullopt;
  if (dev > 0x1f || fn > 7) return std::nullopt;
  return PciAddress{domain, static_cast<uint8_t>(bus), static_cast<uint8_t>(dev), static_cast<uint8_t>(fn)};
}

bool is_intel_pch_root_port_slot(const PciAddress& a) { return a.bus == 0 && (a.device == 0x1b || a.device == 0x1c || a.device == 0x1d); }

}  // namespace rigcheck::topology
