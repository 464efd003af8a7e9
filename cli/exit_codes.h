#pragma once
// rigcheck's exit codes (documented in --help and the README).

namespace rigcheck::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;    // a check failed, or an internal error
inline constexpr int kExitBadInput = 2;   // bad arguments or unreadable/malformed input files

}  // namespace rigcheck::cli
