#pragma once
// `rigcheck doctor`: every static check in seconds, no benchmark.

#include <CLI/CLI.hpp>
#include <string>

namespace rigcheck::cli {

struct DoctorArgs {
  std::string xml;
  std::string pci_dump;
  std::string fsroot;
  std::string from_json;
  std::string variant;
  bool json = false;
};

CLI::App* add_doctor_command(CLI::App& app, DoctorArgs& args);
int run_doctor(const DoctorArgs& args);

}  // namespace rigcheck::cli
