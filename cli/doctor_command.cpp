#include "doctor_command.h"

#include <iostream>
#include <nlohmann/json.hpp>

#include "exit_codes.h"
#include "rigcheck/report/findings_view.h"
#include "rigcheck/diagnosis/static_rules.h"
#include "rigcheck/topology/render.h"

namespace rigcheck::cli {

CLI::App* add_doctor_command(CLI::App& app, DoctorArgs& args) {
  CLI::App* cmd = app.add_subcommand(
      "doctor",
      "Check the machine without a benchmark: links, slots, ACS, IOMMU, P2P support, versions, BAR1, NUMA, network "
      "adapters (placement against the GPUs, links, ports, GPUDirect RDMA). "
      "Exit code: 0 nothing above info, 3 warnings, 4 a critical finding (1 and 2 as for every command).");
  add_source_options(cmd, args.source);
  cmd->add_flag("--json", args.json, "Write the findings as JSON");
  return cmd;
}

int run_doctor(const DoctorArgs& args) {
  topology::MachineFile m = load_source(args.source);
  const topology::Topology& t = m.topology;
  // A rig may say which rigcheck build it assumes (a CUDA 12 build for a Volta rig).
  diagnosis::BuildInfo build = diagnosis::this_build();
  if (m.build) build = {m.build->cuda_architectures, m.build->cuda_toolkit_major};
  auto findings = diagnosis::static_findings(t, build);
  if (args.json) {
    nlohmann::json j = nlohmann::json::array();
    for (const auto& f : findings)
      j.push_back({{"id", f.id}, {"severity", to_string(f.severity)}, {"title", f.title}, {"evidence", f.evidence},
                   {"explanation", f.explanation}, {"fix", f.fix}, {"reference", f.reference}, {"gpus", f.gpus}});
    std::cout << nlohmann::json{{"schema", "rigcheck.findings/1"}, {"findings", j}}.dump(2) << "\n";
    topology::render_notes(t, std::cerr);
  } else {
    topology::render_system(t, std::cout);
    std::cout << "GPUs: " << t.gpus.size() << "\n";
    topology::render_notes(t, std::cout);
    std::cout << "\n";
    report::render_findings(findings, std::cout);
  }
  switch (diagnosis::worst(findings)) {
    case diagnosis::Severity::critical: return kExitCritical;
    case diagnosis::Severity::warning: return findings.empty() ? kExitOk : kExitWarnings;
    case diagnosis::Severity::info: return kExitOk;
  }
  return kExitOk;
}

}  // namespace rigcheck::cli
