// ACS and the IOMMU of an imported machine. The doctor's own checks run on the machine the pastes
// state: ACSCtl of bridges that lspci -tv places above the GPUs (acs-redirect), and the IOMMU mode
// pasted kernel lines decide (iommu-translating), each evidence line marked IMPORTED and pointing
// at the pasted line. What the doctor cannot place is said as such: ACSCtl lines with redirect on
// whose bridge is not in a pasted tree (a `lspci -vvv | grep ACSCtl` paste names no device), and
// a translating IOMMU on a machine whose pastes name no GPU.

#include <set>

#include "import_util.h"
#include "rigcheck/diagnosis/catalogue.h"
#include "rigcheck/diagnosis/static_rules.h"
#include "rigcheck/ingest/machine_model.h"
#include "rigcheck/topology/render.h"

namespace rigcheck::diagnosis {

namespace {

// The pasted line an ACS evidence line is about ("0000:c0:01.1 (root port): …").
std::string acs_source(const ingest::PartialMachine& m, const std::string& evidence) {
  const std::string bdf = evidence.substr(0, evidence.find(' '));
  for (const auto& f : m.lspci_functions)
    if (f.device == bdf && f.acs) return " (lspci, " + detail::at(f.from) + ")";
  return "";
}

// Bridges of the stated tree: their ACS is judged by acs-redirect already.
std::set<std::string> placed_bridges(const topology::Topology& t) {
  std::set<std::string> out;
  for (const auto& n : t.pci)
    if (n.address && n.acs) out.insert(n.address->str());
  return out;
}

void unplaced_acs(const ingest::PartialMachine& m, const ingest::MachineModel& mm, std::vector<Finding>& out) {
  const std::set<std::string> placed = placed_bridges(mm.stated);
  std::vector<std::string> evidence;
  std::string commands;
  int count = 0, headerless = 0;
  for (const auto& f : m.lspci_functions) {
    if (!f.acs || !f.acs_control_known || !f.acs->redirects_p2p() || placed.count(f.device)) continue;
    ++count;
    if (f.device.empty()) ++headerless;
    else commands += "  sudo setpci -s " + f.device + " ECAP_ACS+0x6.w=0000\n";
    if (evidence.size() < 12)
      evidence.push_back("IMPORTED " + detail::at(f.from) + ": " + (f.device.empty() ? std::string("ACSCtl (no device line pasted)") : f.device + " ACSCtl") + ": " +
                         topology::describe_acs(*f.acs));
    else if (evidence.size() == 12)
      evidence.push_back("…");
  }
  if (count == 0) return;
  if (headerless > 0)
    commands += "  sudo lspci -vvv | grep -E '^[0-9a-f]|ACSCtl'   # which bridge each ACSCtl line is; then, per bridge with ReqRedir+ or CmpltRedir+:\n"
                "  sudo setpci -s BRIDGE ECAP_ACS+0x6.w=0000\n";
  out.push_back(make_finding_variant("acs-redirect", "unplaced",
                                     {{"lines", std::to_string(count)}, {"commands", commands}}, evidence));
}

void iommu_without_gpus(const ingest::MachineModel& mm, std::vector<Finding>& out) {
  const auto& s = mm.stated.system;
  if (s.iommu != topology::IommuMode::translated || !mm.stated.gpus.empty()) return;
  std::vector<std::string> evidence;
  for (const auto& e : s.iommu_evidence) evidence.push_back("IMPORTED " + e);
  evidence.push_back("the pastes name no GPU: with two or more, their peer traffic goes through this IOMMU");
  out.push_back(make_finding("iommu-translating", {}, evidence));
}

}  // namespace

std::vector<Finding> import_acs_iommu_findings(const ingest::PartialMachine& m, const ingest::MachineModel& mm) {
  std::vector<Finding> out;
  // A rigcheck report's machine gets the doctor's whole set of checks (import_rules.cpp).
  if (m.reported_topology) return out;
  for (auto& f : acs_and_iommu_findings(mm.stated)) {
    for (auto& e : f.evidence) e = "IMPORTED " + e + (f.id == "acs-redirect" ? acs_source(m, e) : "");
    out.push_back(std::move(f));
  }
  unplaced_acs(m, mm, out);
  iommu_without_gpus(mm, out);
  return out;
}

}  // namespace rigcheck::diagnosis
