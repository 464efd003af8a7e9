// lspci -vv/-vvv details other than links: each function's header (class and name: which are
// NVIDIA GPUs), "NUMA node: N", and the ACS extended capability, printed only to root:
//   ACSCap:	SrcValid+ TransBlk+ ReqRedir+ CmpltRedir+ UpstreamFwd+ EgressCtrl- DirectTrans+
//   ACSCtl:	SrcValid+ TransBlk- ReqRedir+ CmpltRedir+ UpstreamFwd+ EgressCtrl- DirectTrans-
// (pciutils ls-ecaps.c). Request/completion redirect set in ACSCtl on a bridge sends P2P traffic
// up to the root complex. `lspci -vvv | grep ACSCtl` pastes give the lines without devices.

#include <cctype>

#include "lspci_common.h"
#include "rigcheck/ingest/blocks.h"
#include "rigcheck/ingest/parsers.h"

namespace rigcheck::ingest {

namespace {

// More functions than any machine has: a pathological paste stays small.
constexpr size_t kMaxFunctions = 4096;

// The ACS bits named in an ACSCap/ACSCtl line ("ReqRedir+" set, "ReqRedir-" clear).
uint16_t acs_bits(std::string_view t) {
  static const std::pair<const char*, uint16_t> kNames[] = {
      {"SrcValid", topology::AcsState::kSourceValidation}, {"TransBlk", topology::AcsState::kTranslationBlocking},
      {"ReqRedir", topology::AcsState::kRequestRedirect},  {"CmpltRedir", topology::AcsState::kCompletionRedirect},
      {"UpstreamFwd", topology::AcsState::kUpstreamForwarding}, {"EgressCtrl", topology::AcsState::kEgressControl},
      {"DirectTrans", topology::AcsState::kDirectTranslatedP2P}};
  uint16_t bits = 0;
  for (auto tok : tokens(t))
    for (const auto& [name, bit] : kNames)
      if (tok.size() == std::char_traits<char>::length(name) + 1 && starts_with(tok, name) && tok.back() == '+') bits |= bit;
  return bits;
}

// "NUMA node: 0", "Capabilities: [60] …", "Kernel driver in use: nvidia": a key of words, a colon.
bool detail_line(std::string_view t) {
  const size_t colon = t.find(':');
  if (colon == std::string_view::npos || colon == 0) return false;
  for (char c : t.substr(0, colon))
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == ' ' || c == '-' || c == '#' || c == '/')) return false;
  return true;
}

bool is_nvidia_gpu(std::string_view header) {
  const bool gpu_class = contains(header, "VGA compatible controller") || contains(header, "3D controller");
  return gpu_class && contains(header, "NVIDIA");
}

}  // namespace

std::pair<int, int> scan_lspci_details(const std::vector<Line>& lines, const std::string& file, PartialMachine& m) {
  std::pair<int, int> span{0, 0};
  LspciFunction* current = nullptr;  // the function whose header was seen last
  auto note = [&](int line) {
    if (!span.first) span.first = line;
    span.second = line;
  };
  for (const auto& l : lines) {
    const std::string_view t = trim(l.text());
    if (t.empty()) continue;
    if (!std::isspace(static_cast<unsigned char>(l.text()[0])) && std::isxdigit(static_cast<unsigned char>(t[0]))) {
      if (std::string bdf = lspci_header_bdf(t); !bdf.empty()) {
        current = nullptr;
        if (m.lspci_functions.size() >= kMaxFunctions) continue;
        LspciFunction f;
        f.device = bdf;
        const size_t colon = t.find(':', t.find(' '));
        std::string_view name = colon == std::string_view::npos ? std::string_view() : trim(t.substr(colon + 1));
        // "… [RTX 6000 Ada Generation] (rev a1) (prog-if 00 [VGA controller])": the name ends before them.
        for (std::string_view tail : {" (prog-if ", " (rev "})
          if (size_t at = name.find(tail); at != std::string_view::npos) name = name.substr(0, at);
        f.name = std::string(name);
        f.nvidia_gpu = is_nvidia_gpu(t);
        f.from.file = file;
        f.from.line = l.number;
        f.from.tool = kLspci;
        m.lspci_functions.push_back(std::move(f));
        current = &m.lspci_functions.back();
        continue;
      }
    }
    // An unindented line that is no lspci "Key: value" line (a prompt, another tool) ends the
    // function's details: ACS lines after it belong to no header (a grep paste).
    if (!std::isspace(static_cast<unsigned char>(l.text()[0])) && !detail_line(t)) current = nullptr;
    const bool cap = starts_with(t, "ACSCap:"), ctl = starts_with(t, "ACSCtl:");
    if (starts_with(t, "NUMA node:") && current) {
      long n = -1;
      auto tok = tokens(t.substr(10));
      if (!tok.empty() && parse_int(tok[0], n) && n >= 0 && n < 1024) current->numa_node = static_cast<int>(n), note(l.number);
    } else if (cap || ctl) {
      // An ACSCtl right after an ACSCap belongs to the same function; any other starts a
      // headerless entry (a grep paste).
      if (!current || (current->acs && (cap || current->acs_control_known))) {
        if (m.lspci_functions.size() >= kMaxFunctions) continue;
        LspciFunction f;
        f.from.file = file;
        f.from.line = l.number;
        f.from.tool = kLspci;
        m.lspci_functions.push_back(std::move(f));
        current = &m.lspci_functions.back();
      }
      if (!current->acs) current->acs = topology::AcsState{};
      if (cap) current->acs->capability = acs_bits(t.substr(7));
      else current->acs->control = acs_bits(t.substr(7)), current->acs_control_known = true;
      note(l.number);
    }
  }
  // Headers alone (no NUMA node, no ACS) are not a block of their own: plain `lspci` lists are
  // read for the GPUs they name, but say nothing to report as an input.
  return span;
}

}  // namespace rigcheck::ingest
