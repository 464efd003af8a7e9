// Kernel log lines about PCIe devices, wherever they are in a paste. The link line is printed by
// pcie_report_downtraining at enumeration (endpoints and upstream ports, function 0, "only if
// the device is constrained by the fabric") and by drivers that call pcie_print_link_status;
// its speed wording changed over kernel versions ("8 GT/s x8", "8.0 GT/s PCIe x8", ", in Flit
// mode" appended), so it is matched by its fixed words. A GPU whose link trained low at boot
// may retrain under load: the line says what the link was then.

#include <cctype>

#include "rigcheck/ingest/blocks.h"
#include "rigcheck/ingest/parsers.h"

namespace rigcheck::ingest {

namespace {

// The BDF just before ": " that names the device ("pci 0000:01:00.0: …", "nvidia 0000:01:00.0: …").
std::string device_before(std::string_view t, size_t at) {
  size_t colon = t.rfind(": ", at);
  if (colon == std::string_view::npos) return "";
  size_t b = t.rfind(' ', colon);
  b = b == std::string_view::npos ? 0 : b + 1;
  return std::string(t.substr(b, colon - b));
}

std::string between(std::string_view t, std::string_view from, std::string_view to) {
  size_t a = t.find(from);
  if (a == std::string_view::npos) return "";
  a += from.size();
  size_t b = t.find(to, a);
  return std::string(trim(t.substr(a, b == std::string_view::npos ? std::string_view::npos : b - a)));
}

bool parse_line(std::string_view t, KernelEvent& e) {
  if (size_t at = t.find("available PCIe bandwidth, limited by "); at != std::string_view::npos) {
    e.kind = KernelEvent::Kind::link_limited;
    e.device = device_before(t, at);
    e.limited_to = between(t, "limited by ", " link at ");
    e.limited_at = between(t, " link at ", " (");
    e.capable_of = between(t, " with ", " link)");
    e.text = std::string(t.substr(t.rfind(' ', t.rfind(": ", at)) + 1));
    return !e.limited_to.empty();
  }
  // "severity=Corrected" (older kernels), "severity=Correctable", "Uncorrectable (Non-Fatal)" (newer).
  if (size_t at = t.find("PCIe Bus Error: "); at != std::string_view::npos) {
    const std::string_view rest = t.substr(at);
    e.kind = contains(rest, "Uncorrect") || !contains(rest, "Correct") ? KernelEvent::Kind::aer_uncorrected : KernelEvent::Kind::aer_corrected;
    e.device = device_before(t, at);
    e.text = std::string(t.substr(at));
    return true;
  }
  if (size_t at = t.find("NVRM: Xid (PCI:"); at != std::string_view::npos) {
    e.kind = KernelEvent::Kind::xid;
    e.device = between(t, "(PCI:", ")");
    const std::string rest = between(t, "): ", ",");
    e.xid = std::atoi(rest.c_str());
    e.text = std::string(t.substr(at));
    return e.xid > 0;
  }
  return false;
}

}  // namespace

std::pair<int, int> scan_kernel_log(const std::vector<Line>& lines, const std::string& file, PartialMachine& m) {
  std::pair<int, int> span{0, 0};
  for (const auto& l : lines) {
    const std::string_view t = trim(l.text());
    if (t.size() < 20 || (!contains(t, "PCIe") && !contains(t, "NVRM"))) continue;
    KernelEvent e;
    if (!parse_line(t, e)) continue;
    e.from.file = file;
    e.from.line = l.number;
    e.from.tool = kKernelLog;
    m.kernel.push_back(std::move(e));
    if (!span.first) span.first = l.number;
    span.second = l.number;
  }
  return span;
}

}  // namespace rigcheck::ingest
