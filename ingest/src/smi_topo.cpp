// `nvidia-smi topo -m` (path classes, NV#, CPU and NUMA affinity, NIC columns, GPU NUMA ID) and
// `nvidia-smi topo -p2p r|w|n|a` (OK / CNS / GNS / TNS / NS / DR / U per pair). nvidia-smi's
// output is not guaranteed stable, so columns come from the header line, and the era from the
// legend's wording: SOC (~2016), "single PCIe switch" wording, the current "PCIe bridge" wording,
// a NIC legend, the GPU NUMA ID column.

#include <algorithm>
#include <cctype>

#include "rigcheck/ingest/blocks.h"
#include "rigcheck/ingest/parsers.h"

namespace rigcheck::ingest {

namespace {

std::optional<topology::PathClass> path_class(std::string_view s) {
  using topology::PathClass;
  if (s == "PIX") return PathClass::pix;
  if (s == "PXB") return PathClass::pxb;
  if (s == "PHB") return PathClass::phb;
  if (s == "NODE") return PathClass::node;
  if (s == "SYS" || s == "SOC") return PathClass::sys;
  return std::nullopt;
}

int nvlinks(std::string_view s) {
  long n = 0;
  return starts_with(s, "NV") && s.size() > 2 && parse_int(s.substr(2), n) && n > 0 && n < 100 ? static_cast<int>(n) : 0;
}

bool is_p2p_status(std::string_view s) {
  for (const char* x : {"OK", "CNS", "GNS", "TNS", "NS", "DR", "U"})
    if (s == x) return true;
  return false;
}

int gpu_number(std::string_view s) {
  long n = -1;
  return starts_with(s, "GPU") && parse_int(s.substr(3), n) && n >= 0 && n < 4096 ? static_cast<int>(n) : -1;
}

}  // namespace

std::string parse_smi_topo(const BlockInput& in, PartialMachine& m) {
  std::vector<std::string> columns;  // device columns: GPU0…, NIC0…, mlx5_0…
  bool numa_column = false, gpu_numa_column = false, header_done = false, rows_done = false;
  std::string era;
  bool nic_legend = false, p2p_matrix = false, dr_legend = false, cut = false;
  int last_line = 0;
  int rows = 0;
  for (size_t i = in.begin; i < in.end; ++i) {
    const std::string_view t = trim(in.lines[i].text());
    const int line = in.lines[i].number;
    auto tok = tokens(t);
    Provenance here;
    here.file = in.file;
    here.line = line;
    here.tool = kSmiTopo;
    if (!header_done) {
      for (size_t k = 0; k < tok.size(); ++k) {
        if (tok[k] == "CPU") break;
        columns.emplace_back(tok[k]);
      }
      numa_column = contains(t, "NUMA Affinity");
      gpu_numa_column = contains(t, "GPU NUMA ID");
      header_done = true;
      continue;
    }
    if (starts_with(t, "Legend")) rows_done = true;
    if (starts_with(t, "NIC Legend")) nic_legend = true;
    if (tok.size() >= 3 && tok[0] == "DR" && tok[1] == "=") dr_legend = true;
    if (contains(t, "SOC") && contains(t, "socket-level link")) era = "legacy legend (SOC, ~2016)";
    if (contains(t, "PIX") && contains(t, "a single PCIe switch") && era.empty()) era = "SYS/NODE legend, switch wording";
    if (contains(t, "PIX") && contains(t, "at most a single PCIe bridge")) era = "current legend (PCIe bridge wording)";
    if (nic_legend && tok.size() == 2 && starts_with(tok[0], "NIC") && tok[0].back() == ':') {
      m.nics.emplace_back(tok[1]);
      continue;
    }
    if (rows_done || tok.empty()) {
      // A blank line ends the rows, unless the next line is another GPU row: pastes from HTML
      // archives ("<br>" between rows) and double-spaced posts put blanks between them.
      if (tok.empty() && rows > 0) {
        size_t j = i + 1;
        while (j < in.end && trim(in.lines[j].text()).empty()) ++j;
        const auto next = j < in.end ? tokens(in.lines[j].text()) : std::vector<std::string_view>{};
        if (next.size() < 2 || gpu_number(next[0]) < 0) rows_done = true;
      }
      continue;
    }
    const int row_gpu = gpu_number(tok[0]);
    if (row_gpu < 0) {
      if (rows > 0 && !starts_with(tok[0], "NIC") && !starts_with(tok[0], "mlx")) rows_done = true;
      continue;  // NIC rows say nothing about GPUs that the GPU rows do not
    }
    ++rows;
    last_line = line;
    // A GPU row with fewer cells than columns: the paste stops inside it.
    if (tok.size() < columns.size() + 1) {
      cut = true;
      Event e;
      e.kind = Event::Kind::truncated;
      e.test = "nvidia-smi topo -m";
      e.text = "the GPU" + std::to_string(row_gpu) + " row of nvidia-smi topo has " + std::to_string(tok.size() - 1) + " of " +
               std::to_string(columns.size()) + " cells";
      e.from = here;
      m.events.push_back(e);
    }
    ImportedGpu& g = gpu_at(m, row_gpu);
    if (g.from.tool.empty()) g.from = here;
    for (size_t c = 0; c < columns.size() && c + 1 < tok.size(); ++c) {
      const int col_gpu = gpu_number(columns[c]);
      const std::string_view cell = tok[c + 1];
      if (col_gpu < 0 || col_gpu == row_gpu || cell == "X") continue;
      gpu_at(m, col_gpu);
      ImportedPair& p = pair_at(m, row_gpu, col_gpu);
      if (is_p2p_status(cell)) {
        p2p_matrix = true;
        // Both directions must be OK; CUDA's own answer (p2pBandwidthLatencyTest) outranks NVML's.
        if (p.smi_p2p.empty() || p.smi_p2p == "OK") p.smi_p2p = std::string(cell);
        if (p.from.tool != kP2pTest) {
          p.p2p_granted = p.smi_p2p == "OK";
          if (p.smi_p2p != "OK") p.p2p_status = "nvidia-smi topo -p2p: " + p.smi_p2p;
          p.from = here;
        }
      } else if (int n = nvlinks(cell)) {
        p.nvlink_links = n;
        p.from = here;
      } else if (auto cls = path_class(cell)) {
        p.path = cls;
        p.from = here;
      }
    }
    // After the device columns: CPU affinity, NUMA affinity, GPU NUMA ID (each when present).
    size_t at = columns.size() + 1;
    ImportedGpu& row = gpu_at(m, row_gpu);
    if (at < tok.size() && tok[at] != "N/A") row.cpu_affinity = std::string(tok[at]);
    long numa = -1;
    if (numa_column && at + 1 < tok.size() && parse_int(tok[at + 1], numa)) row.numa_node = static_cast<int>(numa);
  }
  if (rows == 0) throw ParseError(in.lines[in.begin].number, "nvidia-smi topo header without GPU rows");
  // Fewer GPU rows than GPU columns: the paste stops between rows.
  const auto gpu_columns = std::count_if(columns.begin(), columns.end(), [](const std::string& c) { return gpu_number(c) >= 0; });
  if (!cut && rows < gpu_columns) {
    Event e;
    e.kind = Event::Kind::truncated;
    e.test = "nvidia-smi topo -m";
    e.text = "nvidia-smi topo has " + std::to_string(rows) + " GPU rows for " + std::to_string(gpu_columns) + " GPU columns";
    e.from.file = in.file;
    e.from.line = last_line;
    e.from.tool = kSmiTopo;
    m.events.push_back(e);
  }
  if (p2p_matrix) era = dr_legend ? "topo -p2p, legend with DR (newer drivers)" : "topo -p2p";
  if (era.empty()) era = "legend not pasted";
  if (nic_legend) era += ", NIC legend";
  if (gpu_numa_column) era += ", GPU NUMA ID column";
  return era;
}

}  // namespace rigcheck::ingest
