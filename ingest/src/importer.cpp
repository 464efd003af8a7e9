#include "rigcheck/ingest/importer.h"

#include <algorithm>

#include "json_doc.h"
#include "json_readers.h"
#include "rigcheck/ingest/blocks.h"
#include "rigcheck/ingest/lines.h"
#include "rigcheck/ingest/parsers.h"
#include "rigcheck/topology/errors.h"
#include "rigcheck/topology/utf8.h"

namespace rigcheck::ingest {

namespace {

using Parser = std::string (*)(const BlockInput&, PartialMachine&);

Parser parser_for(const std::string& tool) {
  if (tool == kNvbandwidth) return parse_nvbandwidth_text;
  if (tool == kNvbandwidthJson) return parse_nvbandwidth_json;
  if (tool == kP2pTest) return parse_p2p_test;
  if (tool == kNcclTests) return parse_nccl_tests;
  if (tool == kSmiTopo) return parse_smi_topo;
  if (tool == kBandwidthTest) return parse_bandwidth_test;
  if (tool == kSimpleP2p) return parse_simple_p2p;
  if (tool == kConjugateGradientMultiDevice) return parse_conjugate_gradient_multi_device;
  if (tool == kNcclTestsJson || tool == kRigcheckReport) return parse_json_block;
  return nullptr;
}

// The tool a report names for a block kind.
std::string shown_tool(const std::string& kind) {
  if (kind == kNvbandwidthJson) return kNvbandwidth;
  if (kind == kNcclTestsJson) return kNcclTests;
  return kind;
}

// Inputs bigger than this are not tried as one JSON document (the parsed tree takes several
// times the text's size); their lines are read as any paste's are.
constexpr size_t kMaxJsonDocument = 32u << 20;

// An input that is one JSON document of a known tool (a -J file, a rigcheck report) is read
// whole: its lines can be longer than a paste's line limit (nccl-tests writes its document,
// the whole environment included, on one line). False when the input is not such a document.
bool import_document(const std::string& name, std::string_view text, const std::string& sha256, PartialMachine& into) {
  const std::string_view t = trim(text);
  if (t.empty() || t.front() != '{' || text.size() > kMaxJsonDocument) return false;
  bool cut = false;
  const nlohmann::json j = parse_json_salvaging(t, cut);
  const std::string tool = j.is_discarded() ? "" : json_document_tool(j);
  if (tool != kNcclTestsJson && tool != kRigcheckReport) return false;  // nvbandwidth JSON: its lines are short
  InputFile file;
  file.name = name;
  file.sha256 = sha256;
  file.bytes = text.size();
  Provenance at;
  at.file = name;
  at.line = 1 + static_cast<int>(std::count(text.data(), t.data(), '\n'));
  Block b{shown_tool(tool), "", at.line, at.line + static_cast<int>(std::count(t.begin(), t.end(), '\n'))};
  try {
    b.version = tool == kNcclTestsJson ? read_nccl_tests_json(j, at, cut, into) : read_rigcheck_report(j, at, cut, into);
  } catch (const ParseError& e) {
    Event ev;
    ev.kind = Event::Kind::unparsed;
    ev.text = e.what();
    ev.from = at;
    ev.from.tool = b.tool;
    into.events.push_back(ev);
    b.version = "unparsed";
  }
  file.blocks.push_back(b);
  into.inputs.push_back(std::move(file));
  return true;
}

}  // namespace

void import_text(const NamedText& raw, PartialMachine& into) {
  // Pastes come from terminals in any encoding and file names are bytes; what the parsers keep
  // of them goes into a JSON report, which must be UTF-8. The hash and size stay the raw input's.
  // Nearly every paste is UTF-8 already and is then read where it is: a copy of a 100 MB paste
  // would be most of the import's memory.
  const std::string name = topology::valid_utf8(raw.name);
  const bool valid = topology::is_valid_utf8(raw.text);
  const std::string made_valid = valid ? std::string() : topology::valid_utf8(raw.text);
  const std::string_view text = valid ? std::string_view(raw.text) : std::string_view(made_valid);
  if (import_document(name, text, raw.sha256, into)) return;
  const NormalisedLines normalised = normalise(text);
  const std::vector<Line>& lines = normalised.lines;
  const std::vector<Span> spans = find_blocks(lines);
  const size_t kernel_before = into.kernel.size();
  const auto kernel_span = scan_kernel_log(lines, name, into);
  const auto iommu_span = scan_iommu_lines(lines, name, into);
  const auto nccl_span = scan_nccl_info(lines, name, into);
  const auto lspci_span = scan_lspci_links(lines, name, into);
  const auto vllm_span = scan_vllm(lines, name, into);
  const auto details_span = scan_lspci_details(lines, name, into);
  const auto tree_span = scan_lspci_tree(lines, name, into);
  const auto xml_span = scan_nccl_topology_xml(lines, name, into);
  if (spans.empty() && into.kernel.size() == kernel_before && !iommu_span.first && !nccl_span.first && !lspci_span.first && !vllm_span.first &&
      !details_span.first && !tree_span.first && !xml_span.first)
    throw topology::InputError(name + ": no output of a known tool (nvbandwidth, p2pBandwidthLatencyTest, nccl-tests, "
                               "nvidia-smi topo -m/-p2p, bandwidthTest, simpleP2P, conjugateGradientMultiDeviceCG, kernel PCIe/Xid/IOMMU lines, kernel command lines, NCCL INFO lines, lspci LnkSta/ACS/NUMA lines, lspci -t trees, NCCL topology XML, vLLM P2P lines, nccl-tests -J JSON, rigcheck reports) was found in it");
  InputFile file;
  file.name = name;
  file.sha256 = raw.sha256;
  file.bytes = raw.text.size();
  for (const Span& s : spans) {
    if (into.cells.size() >= kMaxCells) {
      Event ev;
      ev.kind = Event::Kind::unparsed;
      ev.text = "more than " + std::to_string(kMaxCells) + " figures: this block and the rest of the input were not read";
      ev.from.file = name;
      ev.from.line = lines[s.begin].number;
      ev.from.tool = s.tool;
      into.events.push_back(ev);
      break;
    }
    Block b;
    b.tool = shown_tool(s.tool);
    b.first_line = lines[s.begin].number;
    b.last_line = lines[s.end - 1].number;
    // The command that produced a block is usually the line or two above it, often still
    // inside the previous block's span.
    BlockInput in{lines, s.begin, s.end, name, s.begin >= 5 ? s.begin - 5 : 0};
    try {
      b.version = parser_for(s.tool)(in, into);
    } catch (const ParseError& e) {
      Event ev;
      ev.kind = Event::Kind::unparsed;
      ev.text = e.what();
      ev.from.file = name;
      ev.from.line = e.line();
      ev.from.tool = b.tool;
      into.events.push_back(ev);
      b.version = "unparsed";
    }
    file.blocks.push_back(b);
  }
  if (kernel_span.first) file.blocks.push_back({kKernelLog, "", kernel_span.first, kernel_span.second});
  if (iommu_span.first) file.blocks.push_back({kKernelLog, "IOMMU and command lines", iommu_span.first, iommu_span.second});
  if (nccl_span.first) file.blocks.push_back({kNcclInfo, into.nccl.format, nccl_span.first, nccl_span.second});
  if (lspci_span.first) file.blocks.push_back({kLspci, "LnkCap/LnkSta lines", lspci_span.first, lspci_span.second});
  if (vllm_span.first) file.blocks.push_back({kVllm, "", vllm_span.first, vllm_span.second});
  if (details_span.first) file.blocks.push_back({kLspci, "NUMA node/ACSCap/ACSCtl lines", details_span.first, details_span.second});
  if (tree_span.first) file.blocks.push_back({kLspci, "-t tree", tree_span.first, tree_span.second});
  if (xml_span.first) file.blocks.push_back({kNcclTopologyXml, "", xml_span.first, xml_span.second});
  into.inputs.push_back(std::move(file));
}

PartialMachine import_texts(const std::vector<NamedText>& inputs) {
  PartialMachine m;
  for (const auto& in : inputs) import_text(in, m);
  return m;
}

}  // namespace rigcheck::ingest
