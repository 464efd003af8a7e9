// cuda-samples p2pBandwidthLatencyTest (format stable since CUDA 10): the device list with PCI bus
// numbers (hex, no 0x), "Device=i CAN|CANNOT Access Peer Device=j", the connectivity matrix,
// bandwidth matrices with P2P disabled (host-staged) and enabled (writes; with --p2p_read also
// reads, transposed onto rigcheck's cells; bidirectional ones as the total of both directions),
// and latency matrices in µs,
// each as a GPU and a CPU sub-matrix. --sm_copy changes no heading, so the copy method is
// unknown; the enabled figures are compared as copy-engine copies, the sample's default.

#include "rigcheck/ingest/blocks.h"
#include "rigcheck/ingest/parsers.h"

namespace rigcheck::ingest {

namespace {

struct MatrixKind {
  std::string test;   // catalogue or p2pBandwidthLatencyTest.<name>
  bool mapped = false;
  std::string unit = "GB/s";
  double scale = 1;   // µs -> ns
  // The sample's (row i, column j) is always measured on GPU i's stream. With writes
  // (performP2PCopy(dest = j, src = i)) the data moves i -> j, rigcheck's row -> column; with
  // --p2p_read (dest = i, src = j) GPU i pulls from j, data j -> i: the figure lands on
  // rigcheck's read cell (row j, column i), issued by its destination as rigcheck's read cells are.
  bool transposed = false;
};

// The cell test a matrix title holds, or "" for the connectivity matrix and unknown titles.
MatrixKind kind_of(std::string_view title) {
  const std::string p = std::string(kP2pTest) + ".";
  const bool enabled = contains(title, "P2P=Enabled");
  if (contains(title, "Connectivity")) return {"connectivity"};
  if (contains(title, "Latency")) {
    // --p2p_read adds a "(P2P Reads)" latency matrix after the writes one: its own test, in the
    // sample's orientation (GPU row reads from GPU column).
    const std::string reads = enabled && contains(title, "Reads") ? "_reads" : "";
    return {p + (enabled ? "latency_p2p_enabled" : "latency_p2p_disabled") + reads, false, "ns", 1000};
  }
  if (starts_with(title, "Unidirectional")) {
    if (!enabled) return {kP2pStagedTest};
    return contains(title, "Reads") ? MatrixKind{"device_to_device_read_ce", true, "GB/s", 1, true} : MatrixKind{"device_to_device_write_ce", true};
  }
  // The bidirectional figures are the total of both directions; rigcheck's bidirectional cell
  // is one direction under load, so these stay the sample's own tests.
  if (starts_with(title, "Bidirectional")) return {p + (enabled ? "bidirectional_p2p_enabled" : "bidirectional_p2p_disabled")};
  return {};
}

Provenance at(const BlockInput& in, int line) {
  Provenance p;
  p.file = in.file;
  p.line = line;
  p.tool = kP2pTest;
  p.version = "CUDA 10+ format";
  return p;
}

// "Device: 0, NVIDIA GeForce RTX 4090, pciBusID: 2, pciDeviceID: 0, pciDomainID:0"
bool parse_device(std::string_view t, const BlockInput& in, int line, PartialMachine& m) {
  if (!starts_with(t, "Device: ")) return false;
  size_t comma = t.find(',');
  long index = 0;
  if (comma == std::string_view::npos || !parse_int(trim(t.substr(8, comma - 8)), index) || index < 0 || index > 4096) return false;
  size_t bus_at = t.find(", pciBusID:");
  std::string name(trim(t.substr(comma + 1, bus_at == std::string_view::npos ? std::string_view::npos : bus_at - comma - 1)));
  name_gpu(m, static_cast<int>(index), name, at(in, line));
  ImportedGpu& g = gpu_at(m, static_cast<int>(index));
  auto field = [&](std::string_view key) -> std::string {
    size_t k = t.find(key);
    if (k == std::string_view::npos) return "";
    size_t b = k + key.size(), e = t.find(',', b);
    return std::string(trim(t.substr(b, e == std::string_view::npos ? std::string_view::npos : e - b)));
  };
  const std::string bus = field("pciBusID:"), dev = field("pciDeviceID:"), dom = field("pciDomainID:");
  if (!bus.empty() && !g.address) {
    char buf[40];
    try {
      std::snprintf(buf, sizeof buf, "%04lx:%02lx:%02lx.0", dom.empty() ? 0 : std::stol(dom, nullptr, 16), std::stol(bus, nullptr, 16),
                    dev.empty() ? 0 : std::stol(dev, nullptr, 16));
      g.address = topology::PciAddress::parse(buf);
    } catch (const std::exception&) {
      // A damaged bus number: the address stays unknown.
    }
  }
  return true;
}

// "Device=0 CAN Access Peer Device=1"
bool parse_access(std::string_view t, const BlockInput& in, int line, PartialMachine& m) {
  if (!starts_with(t, "Device=")) return false;
  auto tok = tokens(t);
  if (tok.size() < 5) return false;
  long a = 0, b = 0;
  if (!parse_int(tok[0].substr(7), a) || tok.back().size() < 8 || !parse_int(tok.back().substr(7), b)) return false;
  if (a < 0 || b < 0 || a > 4096 || b > 4096 || a == b) return false;
  gpu_at(m, static_cast<int>(a));
  gpu_at(m, static_cast<int>(b));
  ImportedPair& p = pair_at(m, static_cast<int>(a), static_cast<int>(b));
  const bool can = tok[1] == "CAN";
  // CUDA's answer replaces what other tools said (nvidia-smi asks NVML, which can differ).
  if (p.from.tool != kP2pTest) p.p2p_granted.reset(), p.p2p_status.clear();
  // Access is asked both ways; the pair can do P2P only when both answers are CAN.
  p.p2p_granted = p.p2p_granted.value_or(true) && can;
  if (!can) p.p2p_status = "CANNOT Access Peer";
  p.from = at(in, line);
  return true;
}

}  // namespace

std::string parse_p2p_test(const BlockInput& in, PartialMachine& m) {
  MatrixKind current;
  bool in_matrix = false, cpu_part = false, anything = false, saw_access = false;
  std::vector<int> columns;
  std::string last_title;
  int rows_in_part = 0, last_line = 0;
  say_cannot_show(m, "p2pBandwidthLatencyTest does not record whether it copied with copy engines or SM kernels "
                     "(--sm_copy changes no heading): its P2P figures are compared as copy-engine copies, the default");
  for (size_t i = in.begin; i < in.end; ++i) {
    const std::string_view t = trim(in.lines[i].text());
    const int line = in.lines[i].number;
    auto tok = tokens(t);
    if (parse_device(t, in, line, m)) {
      anything = true;
      continue;
    }
    if (parse_access(t, in, line, m)) {
      anything = saw_access = true;
      continue;
    }
    if (note_failure_line(std::string(t), current.test, at(in, line), m)) continue;
    MatrixKind k = kind_of(t);
    if (!k.test.empty()) {
      current = k;
      last_title = std::string(t);
      rows_in_part = 0;
      in_matrix = true;
      cpu_part = false;
      columns.clear();
      anything = true;
      continue;
    }
    if (!in_matrix) continue;
    if (!tok.empty() && (tok[0] == "D\\D" || tok[0] == "GPU" || tok[0] == "CPU")) {
      cpu_part = tok[0] == "CPU";
      rows_in_part = 0;
      columns.clear();
      for (size_t c = 1; c < tok.size(); ++c) {
        long v = 0;
        if (parse_int(tok[c], v)) columns.push_back(static_cast<int>(v));
      }
      continue;
    }
    long row = 0;
    if (tok.size() >= 2 && parse_int(tok[0], row) && !columns.empty()) {
      ++rows_in_part;
      last_line = line;
      for (size_t c = 1; c < tok.size() && c - 1 < columns.size(); ++c) {
        const int col = columns[c - 1];
        if (col == row) continue;
        double v = 0;
        if (!parse_number(tok[c], v)) continue;
        if (current.test == "connectivity") {
          ImportedPair& p = pair_at(m, static_cast<int>(row), col);
          if (!saw_access) p.p2p_granted = p.p2p_granted.value_or(true) && v > 0, p.from = at(in, line);
          continue;
        }
        ImportedCell cell;
        cell.test = current.test + (current.unit == "ns" ? (cpu_part ? "_cpu" : "_gpu") : "");
        cell.mapped = current.mapped;
        cell.foreign = cell.test;
        cell.row = current.transposed ? col : static_cast<int>(row);
        cell.col = current.transposed ? static_cast<int>(row) : col;
        cell.value = v * current.scale;
        cell.unit = current.unit;
        cell.from = at(in, line);
        gpu_at(m, cell.row);
        gpu_at(m, cell.col);
        m.cells.push_back(std::move(cell));
      }
      continue;
    }
    if (!t.empty() && !starts_with(t, "***NOTE") && !starts_with(t, "So you can see") && !starts_with(t, "NOTE:")) in_matrix = false;
  }
  if (!anything) throw ParseError(in.lines[in.begin].number, "p2pBandwidthLatencyTest output without devices or matrices");
  // The last matrix has fewer rows than there are columns: the paste (or the run) stops in it.
  if (in_matrix && !columns.empty() && rows_in_part > 0 && rows_in_part < static_cast<int>(columns.size())) {
    Event e;
    e.kind = Event::Kind::truncated;
    e.test = last_title;
    e.text = "\"" + last_title + "\" has " + std::to_string(rows_in_part) + " of " + std::to_string(columns.size()) + " rows";
    e.from = at(in, last_line);
    m.events.push_back(e);
  }
  return "CUDA 10+ format";
}

}  // namespace rigcheck::ingest
