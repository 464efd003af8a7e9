#pragma once
// rigcheck's exit codes (documented in --help and the README).

namespace rigcheck::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;    // a check failed, or an internal error
inline constexpr int kExitBadInput = 2;   // bad arguments or unreadable/malformed input files
inline constexpr int kExitWarnings = 3;   // doctor: the worst finding is a warning
inline constexpr int kExitCritical = 4;   // doctor: at least one critical finding

}  // namespace rigcheck::cli
