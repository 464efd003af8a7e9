#include "doctor_command.h"

#include <iostream>
#include <nlohmann/json.hpp>

#include "exit_codes.h"
#include "rigcheck/report/findings_view.h"
#include "rigcheck/report/static_rules.h"
#include "rigcheck/topology/discover.h"
#include "rigcheck/topology/json.h"
#include "rigcheck/topology/rig.h"
#include "rigcheck/topology/render.h"

namespace rigcheck::cli {

CLI::App* add_doctor_command(CLI::App& app, DoctorArgs& args) {
  CLI::App* cmd = app.add_subcommand(
      "doctor",
      "Check the machine without a benchmark: links, slots, ACS, IOMMU, P2P support, versions, BAR1, NUMA. "
      "Exit code: 0 nothing above info, 3 warnings, 4 a critical finding (1 and 2 as for every command).");
  cmd->add_option("--xml", args.xml, "Check an hwloc XML topology instead of this machine")->check(CLI::ExistingFile);
  cmd->add_option("--pci-dump", args.pci_dump, "PCI config space from `sudo lspci -xxxx` (ACS, link registers)")
      ->check(CLI::ExistingFile);
  cmd->add_option("--fsroot", args.fsroot, "Read /sys and /proc below this directory")->check(CLI::ExistingDirectory);
  cmd->add_option("--from-json", args.from_json, "Check a topology saved with `rigcheck topo --json`, or a rig file")
      ->check(CLI::ExistingFile);
  cmd->add_option("--variant", args.variant, "Rig variant (default: the rig's first, healthy one)");
  cmd->add_flag("--json", args.json, "Write the findings as JSON");
  cmd->get_option("--from-json")->excludes("--xml")->excludes("--fsroot")->excludes("--pci-dump");
  cmd->get_option("--xml")->excludes("--fsroot");
  return cmd;
}

int run_doctor(const DoctorArgs& args) {
  topology::Topology t;
  report::BuildInfo build = report::this_build();
  if (!args.from_json.empty()) {
    topology::MachineFile m = topology::load_machine(args.from_json, args.variant);
    t = std::move(m.topology);
    // A rig may say which rigcheck build it assumes (a CUDA 12 build for a Volta rig).
    if (m.build) build = {m.build->cuda_architectures, m.build->cuda_toolkit_major};
  } else {
    topology::DiscoveryOptions o;
    o.xml = args.xml;
    o.pci_dump = args.pci_dump;
    o.fsroot = args.fsroot;
    t = topology::discover(o);
  }
  auto findings = report::static_findings(t, build);
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
  switch (report::worst(findings)) {
    case report::Severity::critical: return kExitCritical;
    case report::Severity::warning: return findings.empty() ? kExitOk : kExitWarnings;
    case report::Severity::info: return kExitOk;
  }
  return kExitOk;
}

}  // namespace rigcheck::cli
