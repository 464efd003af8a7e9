#include "rigcheck/topology/nic_text.h"

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>

namespace rigcheck::topology {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// A non-negative decimal at the start of `s` ("2.5", "200"), consumed from `s`.
std::optional<double> leading_number(std::string_view& s) {
  size_t n = 0;
  bool dot = false;
  while (n < s.size() && (std::isdigit(static_cast<unsigned char>(s[n])) || (s[n] == '.' && !dot))) dot |= s[n++] == '.';
  if (n == 0 || s[0] == '.') return std::nullopt;
  const std::string digits(s.substr(0, n));
  s.remove_prefix(n);
  char* end = nullptr;
  const double v = std::strtod(digits.c_str(), &end);
  if (!std::isfinite(v)) return std::nullopt;
  return v;
}

std::optional<int> leading_int(std::string_view& s) {
  int v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end == s.data()) return std::nullopt;
  s.remove_prefix(static_cast<size_t>(end - s.data()));
  return v;
}

bool consume(std::string_view& s, std::string_view prefix) {
  if (s.substr(0, prefix.size()) != prefix) return false;
  s.remove_prefix(prefix.size());
  return true;
}

}  // namespace

std::optional<IbRate> parse_ib_rate(std::string_view text) {
  std::string_view s = trim(text);
  IbRate r;
  auto gbit = leading_number(s);
  if (!gbit || !consume(s, " Gb/sec (")) return std::nullopt;
  r.gbit = *gbit;
  auto width = leading_int(s);
  if (!width || *width < 1 || *width > 32 || !consume(s, "X")) return std::nullopt;
  r.width = *width;
  if (s.empty() || s.back() != ')') return std::nullopt;
  s.remove_suffix(1);
  r.speed = std::string(trim(s));
  for (char c : r.speed)
    if (!std::isalnum(static_cast<unsigned char>(c))) return std::nullopt;
  return r;
}

std::string port_state_name(std::string_view text) {
  std::string_view s = trim(text);
  if (auto colon = s.find(':'); colon != std::string_view::npos) {
    std::string_view number = s.substr(0, colon);
    bool digits = !number.empty();
    for (char c : number) digits &= std::isdigit(static_cast<unsigned char>(c)) != 0;
    if (digits) s = trim(s.substr(colon + 1));
  }
  return std::string(s);
}

std::optional<double> netdev_speed_gbit(std::string_view text) {
  std::string_view s = trim(text);
  auto mbit = leading_int(s);
  if (!mbit || !s.empty() || *mbit <= 0) return std::nullopt;
  return *mbit / 1000.0;
}

std::optional<bool> kernel_at_least(std::string_view release, int major, int minor) {
  std::string_view s = trim(release);
  auto a = leading_int(s);
  if (!a || !consume(s, ".")) return std::nullopt;
  auto b = leading_int(s);
  if (!b) return std::nullopt;
  return *a > major || (*a == major && *b >= minor);
}

}  // namespace rigcheck::topology
