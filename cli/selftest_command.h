#pragma once
// `rigcheck selftest`: runs the pattern kernels on every GPU (a quick "can this GPU compute and
// hold data" check; built only with CUDA).

#include <CLI/CLI.hpp>
#include <string>

namespace rigcheck::cli {

struct SelfTestArgs {
  std::string size = "64MiB";
};

CLI::App* add_selftest_command(CLI::App& app, SelfTestArgs& args);
int run_selftest_command(const SelfTestArgs& args);

}  // namespace rigcheck::cli
