#pragma once
// Number formats shared by the rules' evidence lines (private to the diagnosis library).

#include <cstdio>
#include <string>

namespace rigcheck::diagnosis::detail {

// "12.34 GB/s": bandwidth in evidence, two decimals.
inline std::string gbps(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f GB/s", v);
  return buf;
}

}  // namespace rigcheck::diagnosis::detail
