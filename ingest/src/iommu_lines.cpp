// The IOMMU state from pasted kernel lines, wherever they are in a paste:
//   iommu: Default domain type: Translated            (drivers/iommu/iommu.c, kernel 5.7+)
//   iommu: Default domain type: Passthrough (set via kernel command line)
//   DMAR: Intel(R) Virtualization Technology for Directed I/O   (intel-iommu up)
//   DMAR: IOMMU enabled                               (intel_iommu=on parsed: asked for, not yet up)
//   AMD-Vi: Interrupt remapping enabled / pci 0000:00:00.2: AMD-Vi: Found IOMMU cap 0x40 (amd_iommu up)
//   pci 0000:41:00.0: Adding to iommu group 27        (devices attached to an IOMMU)
//   Kernel command line: BOOT_IMAGE=… intel_iommu=on iommu=pt   (also "Command line:", /proc/cmdline)
//   nvidia 0000:07:00.0: AMD-Vi: Event logged [IO_PAGE_FAULT domain=0x0003 address=… flags=…]
// The default domain line is printed whether or not the machine has an IOMMU unit (a QEMU guest
// without a virtual IOMMU, a Raspberry Pi print "Translated" too), so it decides "translated" only
// with a line that shows a unit up. A page fault of a device bound to the nvidia driver decides
// "translated" for that GPU by itself (see gpu_page_fault). Lines that say nothing decisive leave
// the mode unknown.

#include <algorithm>
#include <optional>

#include "rigcheck/ingest/blocks.h"
#include "rigcheck/ingest/parsers.h"
#include "rigcheck/topology/pci_address.h"
#include "rigcheck/topology/system_state.h"

namespace rigcheck::ingest {

namespace {

constexpr size_t kMaxQuoted = 8;

bool unit_up_line(std::string_view t) {
  return contains(t, "DMAR: Intel(R) Virtualization Technology for Directed I/O") ||
         contains(t, "AMD-Vi: Found IOMMU") || contains(t, "AMD-Vi: Interrupt remapping enabled") ||
         contains(t, "AMD-Vi: IOMMU performance counters supported") || contains(t, "Adding to iommu group") ||
         (contains(t, "iommu: Adding device ") && contains(t, " to group "));  // kernels before 5.x
}

// The NVIDIA function an AMD-Vi page fault names, none for any other line. The kernel prints the
// driver and the device first when the device has IOMMU data (drivers/iommu/amd/iommu.c,
// amd_iommu_report_page_fault: pci_err(pdev, "Event logged [IO_PAGE_FAULT domain=…")); the older
// "Event logged [IO_PAGE_FAULT device=07:00.0 …" form names no driver, so it says nothing about a GPU.
// A page fault means the device's DMA reached an address its domain does not map: only a translating
// (DMA-remapping) domain faults, an identity (passthrough) domain maps all of memory.
struct GpuFault {
  std::string device;  // "0000:07:00.0"
  size_t from = 0;     // where the driver's name starts: the line is quoted from there
};

std::optional<GpuFault> gpu_page_fault(std::string_view t) {
  const size_t at = t.find(": AMD-Vi: Event logged [IO_PAGE_FAULT");
  if (at == std::string_view::npos) return std::nullopt;
  const std::string_view before = t.substr(0, at);
  const size_t space = before.rfind(' ');
  if (space == std::string_view::npos) return std::nullopt;
  const size_t word = before.substr(0, space).rfind(' ');
  const size_t from = word == std::string_view::npos ? 0 : word + 1;
  if (before.substr(from, space - from) != "nvidia") return std::nullopt;
  const auto device = topology::PciAddress::parse(before.substr(space + 1));
  if (!device) return std::nullopt;
  return GpuFault{device->str(), from};
}

// The command line a line holds: dmesg's "Kernel command line: …" / "Command line: …", or the
// output of `cat /proc/cmdline` (it starts with BOOT_IMAGE= on GRUB machines, or follows the
// command's prompt line). "" when the line is none of these.
std::string_view command_line_of(std::string_view t, std::string_view previous) {
  for (std::string_view key : {"Kernel command line: ", "Command line: "})
    if (size_t at = t.find(key); at != std::string_view::npos) return t.substr(at + key.size());
  if (starts_with(t, "BOOT_IMAGE=")) return t;
  constexpr std::string_view kCat = "cat /proc/cmdline";
  if (previous.size() >= kCat.size() && previous.substr(previous.size() - kCat.size()) == kCat && contains(t, "=")) return t;
  return "";
}

bool has_word(const std::string& words, std::string_view w) {
  for (auto tok : tokens(words))
    if (tok == w) return true;
  return false;
}

void decide(ImportedIommu& s) {
  using topology::IommuMode;
  const std::string& c = s.cmdline;
  const bool cmd_off = has_word(c, "intel_iommu=off") || has_word(c, "amd_iommu=off") || has_word(c, "iommu=off");
  const bool cmd_pt = has_word(c, "iommu=pt") || has_word(c, "iommu.passthrough=1") || has_word(c, "amd_iommu=pt");
  const bool cmd_translate = has_word(c, "iommu.passthrough=0") || has_word(c, "iommu=nopt");
  if (!s.gpu_fault.empty()) {
    // Before the default domain and the command line: it is the GPU's own domain, seen faulting.
    s.mode = IommuMode::translated,
    s.why = "the IOMMU logged a page fault for the NVIDIA device " + s.gpu_fault + ": only a translating (DMA-remapping) domain faults";
  } else if (s.domain_type == "Passthrough") {
    s.mode = IommuMode::passthrough, s.why = "the kernel's default IOMMU domain type is Passthrough";
  } else if (s.domain_type == "Translated" && s.unit_active) {
    s.mode = IommuMode::translated, s.why = "the kernel's default IOMMU domain type is Translated and an IOMMU unit is up";
  } else if (cmd_pt && !cmd_translate) {
    s.mode = IommuMode::passthrough, s.why = "the kernel command line asks for passthrough";
  } else if (cmd_translate && s.unit_active) {
    s.mode = IommuMode::translated, s.why = "an IOMMU unit is up and the kernel command line asks for translation";
  } else if (cmd_off && !s.unit_active) {
    s.mode = IommuMode::off, s.why = "the kernel command line turns the IOMMU off";
  } else if (s.domain_type == "Translated") {
    s.why = "the default domain type is Translated, but no line shows an IOMMU unit up (the kernel prints that line without one too)";
  } else if (s.unit_active) {
    s.why = "an IOMMU unit is up, but the paste does not say whether it translates (`dmesg | grep -i 'domain type'` does)";
  } else {
    s.why = "the command line pasted does not decide the IOMMU mode";
  }
}

}  // namespace

std::pair<int, int> scan_iommu_lines(const std::vector<Line>& lines, const std::string& file, PartialMachine& m) {
  std::pair<int, int> span{0, 0};
  ImportedIommu& s = m.iommu;
  std::string_view previous;
  for (const auto& l : lines) {
    const std::string_view t = trim(l.text());
    const std::string_view before = previous;
    previous = t;
    if (t.size() < 8) continue;
    std::string quoted;
    if (size_t at = t.find("iommu: Default domain type: "); at != std::string_view::npos) {
      const std::string_view rest = t.substr(at + 28);
      if (starts_with(rest, "Translated")) s.domain_type = "Translated";
      else if (starts_with(rest, "Passthrough")) s.domain_type = "Passthrough";
      else continue;
      quoted = std::string(t.substr(at));
    } else if (contains(t, "DMAR: IOMMU enabled")) {
      // Printed while the command line is parsed: intel_iommu=on was given; whether a unit came
      // up (a DMAR table, VT-d on in the BIOS) later lines say.
      quoted = std::string(t.substr(t.find("DMAR: ")));
    } else if (auto fault = gpu_page_fault(t)) {
      // Faults come by the hundred: the first is quoted, the others only end the block.
      s.unit_active = true;
      if (!s.gpu_fault.empty()) {
        span.second = l.number;
        continue;
      }
      s.gpu_fault = fault->device;
      quoted = std::string(t.substr(fault->from));
    } else if (unit_up_line(t)) {
      const bool first = !s.unit_active;
      s.unit_active = true;
      // Hundreds of "Adding to iommu group" lines say one thing: quote the first unit line only.
      if (!first) {
        span.second = l.number;
        continue;
      }
      // From the subsystem or device name on, as the other kernel lines are quoted.
      const size_t colon = t.find(": ");
      const size_t space = colon == std::string_view::npos ? std::string_view::npos : t.rfind(' ', colon);
      quoted = std::string(space == std::string_view::npos ? t : t.substr(space + 1));
    } else if (std::string_view cmd = command_line_of(t, before); !cmd.empty()) {
      // Only the words that matter are kept (root=UUID=…, ip=… and the like are not for a report).
      const std::string words = topology::diagnostic_kernel_parameters(std::string(cmd));
      bool iommu_word = false;
      for (auto tok : tokens(words)) iommu_word |= contains(tok, "iommu");
      if (!iommu_word) continue;
      s.cmdline = words;
      quoted = "kernel command line: " + words + " (other words left out)";
    } else {
      continue;
    }
    if (s.lines.size() < kMaxQuoted) s.lines.push_back(file + ":" + std::to_string(l.number) + ": " + quoted.substr(0, 300));
    if (!span.first) span.first = l.number;
    span.second = l.number;
  }
  if (span.first) decide(s);
  return span;
}

}  // namespace rigcheck::ingest
