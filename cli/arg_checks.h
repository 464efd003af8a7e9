#pragma once
// Argument checks CLI11 has no validator for. CLI::PositiveNumber lets "nan" and "inf" through,
// and a timeout of 0, -1 or nan used to be accepted and then blamed on the machine as a hang.

#include <CLI/CLI.hpp>
#include <cmath>
#include <cstdlib>
#include <string>

namespace rigcheck::cli {

// A number of seconds: positive, finite, at most a week (longer is a typo, and durations that
// large overflow the clocks they are added to).
inline CLI::Validator positive_seconds() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        char* end = nullptr;
        const double v = std::strtod(text.c_str(), &end);
        if (text.empty() || end != text.c_str() + text.size() || !std::isfinite(v) || v <= 0 || v > 7 * 86400.0)
          return "\"" + text + "\" is not a number of seconds above 0 and at most 604800";
        return {};
      },
      "SECONDS");
}

}  // namespace rigcheck::cli
