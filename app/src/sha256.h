#pragma once
// SHA-256 (FIPS 180-4) of a byte string, lower-case hex: identifies each imported input in the
// report without keeping its text.

#include <string>
#include <string_view>

namespace rigcheck::app {

std::string sha256_hex(std::string_view data);

}  // namespace rigcheck::app
