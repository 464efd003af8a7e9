#pragma once
// Errors the user can fix by giving other input (a malformed XML, JSON or dump file).
// The CLI maps InputError to exit code 2 and prints what() as one sentence.

#include <stdexcept>
#include <string>

namespace rigcheck::topology {

class InputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace rigcheck::topology
