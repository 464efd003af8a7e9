#include "rigcheck/ingest/blocks.h"

#include <cctype>

namespace rigcheck::ingest {

namespace {

bool is_nvbandwidth_test(std::string_view key) {
  // nvbandwidth test keys: snake case ending in _ce, _sm or naming a copy ("device_local_copy").
  if (key.empty() || key.back() != '.') return false;
  key.remove_suffix(1);
  for (char c : key)
    if (!(std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) || c == '_')) return false;
  return contains(key, "memcpy") || contains(key, "_ce") || contains(key, "_sm") || contains(key, "copy");
}

bool is_nccl_table_header(std::string_view t) {
  auto tok = tokens(t);
  bool size = false, algbw = false, busbw = false;
  for (auto x : tok) size |= x == "size" || x == "bytes", algbw |= x == "algbw", busbw |= x == "busbw";
  return size && algbw && busbw;
}

// "GPU0 GPU1 … CPU Affinity" (topo -m), "GPU0 GPU1" (topo -p2p): the header, not a row ("GPU0 X …").
bool is_smi_header(const std::vector<Line>& lines, size_t i) {
  auto tok = tokens(lines[i].text());
  if (tok.empty() || tok[0] != "GPU0") return false;
  if (tok.size() >= 2 && tok[1] == "X") return false;
  for (size_t j = i + 1; j < lines.size() && j < i + 3; ++j) {
    auto next = tokens(lines[j].text());
    if (!next.empty()) return next[0] == "GPU0";
  }
  return false;
}

enum class Start { none, always, continues };

// Whether line i starts a block of some tool, and which.
Start starts_block(const std::vector<Line>& lines, size_t i, const std::string& current, bool current_has_body,
                   std::string& tool) {
  const std::string_view raw = trim(lines[i].text());
  const std::string_view t = strip_hash(raw);
  if (starts_with(t, "nvbandwidth Version:")) return tool = kNvbandwidth, Start::always;
  if (starts_with(t, "Running ") && is_nvbandwidth_test(trim(t.substr(8))))
    return tool = kNvbandwidth, current == kNvbandwidth ? Start::none : Start::always;
  if (contains(t, "[P2P (Peer-to-Peer) GPU Bandwidth Latency Test]")) return tool = kP2pTest, Start::always;
  if (contains(t, "[CUDA Bandwidth Test]")) return tool = kBandwidthTest, Start::always;
  // cuda-samples: "[./simpleP2P] - Starting..." (argv[0], any path), or its first check when the
  // banner was not pasted; "Starting [conjugateGradientMultiDeviceCG]...".
  if ((contains(t, "simpleP2P] - Starting...") ||
       (starts_with(t, "Checking GPU(s) for support of peer to peer memory access") && current != kSimpleP2p)))
    return tool = kSimpleP2p, Start::always;
  if (contains(t, "Starting [conjugateGradientMultiDeviceCG]")) return tool = kConjugateGradientMultiDevice, Start::always;
  if (starts_with(t, "bandwidthTest-") && contains(t, "Bandwidth =") && current != kBandwidthTest) return tool = kBandwidthTest, Start::always;
  if ((starts_with(t, "P2P Connectivity Matrix") || starts_with(t, "Unidirectional P2P=") || starts_with(t, "Bidirectional P2P=") ||
       (starts_with(t, "P2P=") && contains(t, "Latency Matrix"))) &&
      current != kP2pTest)
    return tool = kP2pTest, Start::always;
  if (starts_with(t, "nccl-tests version") || (starts_with(t, "nThread ") && contains(t, "nGpus"))) {
    tool = kNcclTests;
    // Headers repeated before any result belong together (a non-MPI binary under mpirun prints one per rank).
    return current == kNcclTests && !current_has_body ? Start::none : Start::always;
  }
  if (is_nccl_table_header(t) && current != kNcclTests) return tool = kNcclTests, Start::always;
  if (is_smi_header(lines, i)) return tool = kSmiTopo, Start::always;
  if (starts_with(raw, "{") && raw.size() > 1) {  // a one-line document: nccl-tests -J, the #318 patch's --json
    if (contains(raw, "\"nccl-tests structured output\"") || (contains(raw, "\"start_time\"") && contains(raw, "\"results\"")) ||
        (starts_with(raw, "{\"version\":") && contains(raw, "\"nccl_version\"")))
      return tool = kNcclTestsJson, Start::always;
    if (contains(raw, "\"schema\"") && contains(raw, "\"rigcheck.report/")) return tool = kRigcheckReport, Start::always;
  }
  if (raw == "{") {
    for (size_t j = i + 1; j < lines.size() && j < i + 4; ++j) {
      if (contains(lines[j].text(), "\"nvbandwidth\"")) return tool = kNvbandwidthJson, Start::always;
      if (contains(lines[j].text(), "\"start_time\"") || contains(lines[j].text(), "\"nccl_version\"")) return tool = kNcclTestsJson, Start::always;
    }
    // rigcheck reports are written with sorted keys: "backend" first, "schema" a few hundred lines on.
    if (i + 1 < lines.size() && starts_with(trim(lines[i + 1].text()), "\"backend\":"))
      for (size_t j = i + 2; j < lines.size() && j < i + 2000; ++j)
        if (contains(lines[j].text(), "\"rigcheck.report/") || (j < i + 8 && trim(lines[j].text()) == "\"rigcheck\","))
          return tool = kRigcheckReport, Start::always;
  }
  return Start::none;
}

// A result row of an nccl-tests table: size, count, … with at least eight fields.
bool is_nccl_row(std::string_view t) {
  auto tok = tokens(t);
  long v = 0;
  return tok.size() >= 8 && parse_int(tok[0], v) && parse_int(tok[1], v);
}

}  // namespace

std::vector<Span> find_blocks(const std::vector<Line>& lines) {
  std::vector<Span> out;
  bool has_body = false;
  int json_depth = 0;
  static const std::string none;
  for (size_t i = 0; i < lines.size(); ++i) {
    // A copy of the tool's name per line was most of this loop's time on a big paste; the
    // reference is not used after a block is added (that branch ends the iteration).
    const std::string& current = out.empty() ? none : out.back().tool;
    std::string tool;
    Start s = starts_block(lines, i, current, has_body, tool);
    if (json_depth > 0) {
      // Inside a JSON block brace balance decides, unless a cut document is followed by
      // another tool's output.
      if (s == Start::always && tool != kNvbandwidthJson) {
        json_depth = 0;
      } else {
        for (char c : lines[i].text()) json_depth += c == '{' ? 1 : c == '}' ? -1 : 0;
        out.back().end = i + 1;
        continue;
      }
    }
    if (s == Start::always) {
      if (!out.empty()) out.back().end = i;
      out.push_back({tool, i, i + 1});
      has_body = false;
      if (tool == kNvbandwidthJson || tool == kNcclTestsJson || tool == kRigcheckReport) {
        json_depth = 0;  // braces of the first line: a one-line document is a block of one line
        for (char c : lines[i].text()) json_depth += c == '{' ? 1 : c == '}' ? -1 : 0;
      }
      continue;
    }
    if (current == kNcclTests) {
      std::string_view t = strip_hash(lines[i].text());
      if (is_nccl_row(t) || contains(t, "Avg bus bandwidth")) has_body = true;
    }
    if (!out.empty()) out.back().end = i + 1;
  }
  return out;
}

}  // namespace rigcheck::ingest
