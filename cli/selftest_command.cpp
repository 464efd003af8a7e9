#include "selftest_command.h"

#include <cstdio>
#include <iostream>

#include "exit_codes.h"
#include "rigcheck/kernels/selftest.h"
#include "rigcheck/topology/cuda_status.h"
#include "rigcheck/topology/errors.h"
#include "size_arg.h"

namespace rigcheck::cli {

CLI::App* add_selftest_command(CLI::App& app, SelfTestArgs& args) {
  CLI::App* cmd = app.add_subcommand("selftest", "Run a pattern fill/verify kernel on every GPU");
  cmd->add_option("--size", args.size, "Bytes per GPU (e.g. 64MiB, 1GiB)")->capture_default_str();
  return cmd;
}

int run_selftest_command(const SelfTestArgs& args) {
  auto bytes = parse_size(args.size);
  if (!bytes || *bytes < 4) throw topology::InputError("--size: cannot read \"" + args.size + "\" as a size such as 64MiB");
  kernels::SelfTestRun run = kernels::run_selftest(*bytes);
  if (run.cuda_error != 0) {
    std::cout << "No GPU tested: "
              << topology::explain_cuda_device_count_error(run.cuda_error, run.driver_version, run.cuda_error_name) << "\n";
    return kExitOk;
  }
  if (run.results.empty()) {
    std::cout << "No GPU tested: CUDA reports no device\n";
    return kExitOk;
  }
  bool all_ok = true;
  for (const auto& r : run.results) {
    char line[512];
    if (!r.error.empty())
      std::snprintf(line, sizeof line, "GPU cuda:%d %s %s: FAILED (%s)", r.device, r.pci_bus_id.c_str(), r.name.c_str(),
                    r.error.c_str());
    else if (!r.ok)
      std::snprintf(line, sizeof line, "GPU cuda:%d %s %s: CORRUPT (first bad word %llu)", r.device, r.pci_bus_id.c_str(),
                    r.name.c_str(), r.first_bad_word);
    else
      std::snprintf(line, sizeof line, "GPU cuda:%d %s %s: ok (pattern verified, fill %.1f GB/s)", r.device,
                    r.pci_bus_id.c_str(), r.name.c_str(), r.fill_gbps);
    std::cout << line << "\n";
    all_ok = all_ok && r.ok;
  }
  return all_ok ? kExitOk : kExitFailure;
}

}  // namespace rigcheck::cli
