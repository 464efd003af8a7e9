#pragma once
// Number formatting shared by the report renderers. Internal.

#include <cstdio>
#include <string>

namespace rigcheck::report::detail {

// A measured value in its unit: latency in whole nanoseconds, bandwidth with two decimals.
inline std::string format_value(double v, const std::string& unit) {
  char buf[32];
  std::snprintf(buf, sizeof buf, unit == "ns" ? "%.0f" : "%.2f", v);
  return buf;
}

}  // namespace rigcheck::report::detail
