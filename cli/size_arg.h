#pragma once
// Parses byte sizes given on the command line: "4096", "64KiB", "256MiB", "1GiB", "1.5GB".

#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>

namespace rigcheck::cli {

inline std::optional<uint64_t> parse_size(const std::string& text) {
  char* end = nullptr;
  double value = std::strtod(text.c_str(), &end);
  if (end == text.c_str() || value < 0) return std::nullopt;
  std::string unit(end);
  double scale = 0;
  if (unit.empty() || unit == "B") scale = 1;
  else if (unit == "KiB") scale = 1024.0;
  else if (unit == "MiB") scale = 1024.0 * 1024;
  else if (unit == "GiB") scale = 1024.0 * 1024 * 1024;
  else if (unit == "KB" || unit == "kB") scale = 1e3;
  else if (unit == "MB") scale = 1e6;
  else if (unit == "GB") scale = 1e9;
  else return std::nullopt;
  return static_cast<uint64_t>(value * scale);
}

}  // namespace rigcheck::cli
