#pragma once
// Text from the machine (DMI fields, device names, the kernel command line) is bytes, not UTF-8:
// firmware fills unset DMI strings with 0xFF. JSON output must be UTF-8, so such text is made
// valid where it enters rigcheck.

#include <string>
#include <string_view>

namespace rigcheck::topology {

// s with every byte that is not part of a valid UTF-8 sequence replaced by U+FFFD.
std::string valid_utf8(const std::string& s);

// Whether valid_utf8(s) would be s: a big paste that is already UTF-8 (nearly every one) need not
// be copied to be made so.
bool is_valid_utf8(std::string_view s);

}  // namespace rigcheck::topology
