#pragma once
// What every harness asserts: a parser given any bytes either succeeds or raises
// topology::InputError with one sentence (the CLI prints it and exits 2). Anything else that
// escapes is a bug the user would see as "internal error" (exit 1), so it aborts the fuzzer and
// becomes a crash input; sanitizer findings abort on their own.

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>

#include "rigcheck/topology/errors.h"

namespace rigcheck::fuzz {

[[noreturn]] inline void fail(const char* harness, const std::string& why) {
  std::fprintf(stderr, "%s: %s\n", harness, why.c_str());
  std::abort();
}

// Runs f; InputError is the expected answer to bad input, as long as it is one line.
template <typename F>
void expect_ok_or_input_error(const char* harness, F&& f) {
  try {
    f();
  } catch (const topology::InputError& e) {
    const std::string what = e.what();
    if (what.empty()) fail(harness, "InputError with an empty message");
    if (what.find('\n') != std::string::npos) fail(harness, "InputError of more than one line: " + what);
  } catch (const std::exception& e) {
    fail(harness, std::string("escaped as an internal error: ") + e.what());
  } catch (...) {
    fail(harness, "a non-std exception escaped");
  }
}

inline std::string as_text(const uint8_t* data, size_t size) {
  return std::string(reinterpret_cast<const char*>(data), size);
}

}  // namespace rigcheck::fuzz
