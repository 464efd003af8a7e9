#pragma once
// `rigcheck doctor`: every static check in seconds, no benchmark.

#include <CLI/CLI.hpp>
#include "machine_source.h"

namespace rigcheck::cli {

struct DoctorArgs {
  SourceArgs source;
  bool json = false;
};

CLI::App* add_doctor_command(CLI::App& app, DoctorArgs& args);
int run_doctor(const DoctorArgs& args);

}  // namespace rigcheck::cli
