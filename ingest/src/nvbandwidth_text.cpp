// nvbandwidth's text output, v0.1 to v0.10: a header (versions, devices), then per test
// "Running <key>." (or "Waiving"/"Waived"), a title, a column header and the matrix rows, then
// "SUM <key> <v>" (and from v0.9 "COEFFICIENT_OF_VARIATION"). Titles are not unique per test, so
// the test is always the preceding "Running" key (or, when a paste elides it, the SUM line's).
// Bidirectional device-to-device tests report one direction while the other runs, as rigcheck's
// bidirectional cells do; from v0.6 they print three matrices (that direction, the other one,
// and "Total").

#include <algorithm>
#include <cctype>
#include <optional>

#include "nvbandwidth_names.h"
#include "rigcheck/ingest/blocks.h"
#include "rigcheck/ingest/parsers.h"

namespace rigcheck::ingest {

namespace {

struct Matrix {
  std::string title;
  std::string unit;
  std::vector<int> columns;
  std::vector<std::pair<int, std::vector<std::optional<double>>>> rows;
  std::vector<int> row_lines;
};

struct State {
  State(const BlockInput& i, PartialMachine& pm) : in(i), m(pm) {}
  const BlockInput& in;
  PartialMachine& m;
  std::string version;
  std::string test;      // the running test's key
  int test_line = 0;
  bool test_failed = false;
  bool test_summed = false;
  std::vector<Matrix> matrices;
  bool matrix_open = false;

  Provenance at(int line) const {
    Provenance p;
    p.file = in.file;
    p.line = line;
    p.tool = kNvbandwidth;
    p.version = version;
    p.method = nvbandwidth_method(test);
    return p;
  }
};

bool all_ints(const std::vector<std::string_view>& tok, std::vector<int>& out) {
  if (tok.empty()) return false;
  for (auto t : tok) {
    long v = 0;
    if (!parse_int(t, v) || v < 0 || v > 4096) return false;
    out.push_back(static_cast<int>(v));
  }
  return true;
}

// "Device 0: NVIDIA A100-SXM4-80GB (00000000:34:00)" and, under MPI (v0.7+),
// "Process 0 (host): device 0: NAME (bdf)".
bool parse_device(std::string_view t, int line, State& s) {
  size_t at = 0;
  if (starts_with(t, "Device ")) at = 7;
  else if (starts_with(t, "Process ")) {
    size_t d = t.find(": device ");
    if (d == std::string_view::npos) return false;
    at = d + 9;
  } else {
    return false;
  }
  size_t colon = t.find(':', at);
  long index = 0;
  if (colon == std::string_view::npos || !parse_int(trim(t.substr(at, colon - at)), index) || index < 0 || index > 4096) return false;
  std::string_view rest = trim(t.substr(colon + 1));
  ImportedGpu& g = gpu_at(s.m, static_cast<int>(index));
  if (rest.size() > 2 && rest.back() == ')') {
    size_t open = rest.rfind('(');
    if (open != std::string_view::npos) {
      std::string bdf(rest.substr(open + 1, rest.size() - open - 2));
      if (std::count(bdf.begin(), bdf.end(), ':') == 2 && bdf.find('.') == std::string::npos) bdf += ".0";
      if (auto a = topology::PciAddress::parse(bdf)) {
        g.address = a;
        rest = trim(rest.substr(0, open));
      }
    }
  }
  name_gpu(s.m, static_cast<int>(index), std::string(rest), s.at(line));
  return true;
}

void emit_matrix(State& s, const NvbMapping& map, const Matrix& m, bool first);

void emit(State& s) {
  if (s.test.empty()) return;
  const NvbMapping map = map_nvbandwidth_test(s.test);
  // The first matrix is the test's figure; v0.6+ bidirectional tests add the other direction
  // and the total, kept as nvbandwidth's own tests ("….read2", "….total").
  Matrix* chosen = s.matrices.empty() ? nullptr : &s.matrices.front();
  // The matrix being printed when the output stopped: with fewer rows than a pair test has
  // GPUs, no rows at all, or a last row shorter than the header, it was cut (by a hang, a crash
  // or the paste). A cut row's last value may itself be cut ("16." of "16.52"): it is dropped.
  std::string cut;
  if (!s.matrices.empty() && !s.test_summed && !s.test_failed) {
    Matrix& last = s.matrices.back();
    if (last.rows.empty()) {
      cut = "stops after the title \"" + last.title + "\"";
    } else if (last.rows.back().second.size() < last.columns.size()) {
      last.rows.back().second.pop_back();
      cut = "stops in the middle of a row";
    } else if (map.pair && last.rows.size() < last.columns.size()) {
      cut = "has " + std::to_string(last.rows.size()) + " of " + std::to_string(last.columns.size()) + " rows";
    }
  }
  if (!cut.empty()) {
    Event e;
    e.kind = Event::Kind::truncated;
    e.test = s.test;
    e.text = "the " + s.test + " matrix " + cut;
    e.from = s.at(s.matrices.back().row_lines.empty() ? s.test_line : s.matrices.back().row_lines.back());
    s.m.events.push_back(e);
  }
  if (!chosen || chosen->rows.empty()) {
    if (!s.test_failed && cut.empty()) {
      Event e;
      e.kind = Event::Kind::truncated;
      e.test = s.test;
      e.text = "nvbandwidth stops after \"Running " + s.test + ".\" without its results";
      e.from = s.at(s.test_line);
      s.m.events.push_back(e);
    }
    return;
  }
  for (size_t i = 0; i < s.matrices.size(); ++i) emit_matrix(s, map, s.matrices[i], i == 0);
}

// One matrix of a test as cells: the test's own figure (first) onto rigcheck's cell, the extra
// matrices of a bidirectional test under nvbandwidth's name with the matrix's label.
void emit_matrix(State& s, const NvbMapping& map, const Matrix& m, bool first) {
  const Matrix* chosen = &m;
  const bool mapped = first && !map.cell.empty();
  std::string label;
  if (!first) {
    // "memcpy CE GPU(row) <-> GPU(column) Read2 bandwidth (GB/s)" -> "read2"
    auto tok = tokens(m.title);
    for (size_t k = 1; k < tok.size(); ++k)
      if (tok[k] == "bandwidth" || tok[k] == "latency") label = std::string(tok[k - 1]);
    std::transform(label.begin(), label.end(), label.begin(), [](unsigned char c) { return std::tolower(c); });
    if (label.empty()) label = "matrix" + std::to_string(&m - &s.matrices.front() + 1);
  }
  for (size_t r = 0; r < chosen->rows.size(); ++r) {
    const auto& [row_label, values] = chosen->rows[r];
    // Per-GPU tests print one row (the CPU, or "all GPUs"); a second row is not a GPU.
    if (!map.pair && r > 0) break;
    for (size_t c = 0; c < values.size() && c < chosen->columns.size(); ++c) {
      const int col = chosen->columns[c];
      if (map.pair && row_label == col) continue;  // the diagonal is not a pair
      ImportedCell cell;
      cell.foreign = s.test;
      cell.mapped = mapped;
      cell.test = mapped ? map.cell : std::string(kNvbandwidth) + "." + s.test + (label.empty() ? "" : "." + label);
      cell.row = map.pair ? row_label : -1;
      cell.col = col;
      if (mapped && map.column_to_row) std::swap(cell.row, cell.col);  // onto rigcheck's row -> column
      cell.unit = chosen->unit;
      cell.from = s.at(chosen->row_lines[r]);
      if (values[c]) {
        cell.value = *values[c];
      } else {
        cell.status = "unsupported";
      }
      // nvbandwidth measures device-to-device only between peers that may access each other.
      if (map.pair && first) {
        ImportedPair& p = pair_at(s.m, row_label, col);
        if (!p.p2p_granted && s.test.find("_ce") != std::string::npos) {
          p.p2p_granted = values[c].has_value();
          if (!values[c]) p.p2p_status = "N/A in nvbandwidth " + s.test;
          p.from = cell.from;
        }
      }
      gpu_at(s.m, col);
      if (map.pair) gpu_at(s.m, row_label);
      s.m.cells.push_back(std::move(cell));
    }
  }
}

void start_test(State& s, std::string key, int line) {
  emit(s);
  s.test = std::move(key);
  s.test_line = line;
  s.test_failed = false;
  s.test_summed = false;
  s.matrices.clear();
  s.matrix_open = false;
}

// "CUDA Runtime Version: 12040" (to v0.9) or "CUDA Runtime Version: 13.2 (13020)" and
// "CUDA Driver Version (API): 13.2 (13020)" (v0.10): the integer code either way.
int version_code(std::string_view t) {
  size_t colon = t.find(':');
  if (colon == std::string_view::npos) return 0;
  std::string_view v = trim(t.substr(colon + 1));
  size_t open = v.find('(');
  if (open != std::string_view::npos && v.back() == ')') v = v.substr(open + 1, v.size() - open - 2);
  long code = 0;
  return parse_int(trim(v), code) && code > 0 && code < 1000000 ? static_cast<int>(code) : 0;
}

std::string strip_period(std::string_view k) {
  k = trim(k);
  if (!k.empty() && k.back() == '.') k.remove_suffix(1);
  return std::string(k);
}

}  // namespace

std::string parse_nvbandwidth_text(const BlockInput& in, PartialMachine& m) {
  State s(in, m);
  bool anything = false;
  for (size_t i = in.begin; i < in.end; ++i) {
    const std::string_view text = in.lines[i].text();
    const int line = in.lines[i].number;
    const std::string_view t = trim(text);
    auto tok = tokens(t);
    if (starts_with(t, "nvbandwidth Version:")) {
      s.version = std::string(trim(t.substr(20)));
      anything = true;
    } else if (starts_with(t, "CUDA Runtime Version")) {
      if (int v = version_code(t)) m.versions.cuda_runtime = v;
    } else if (starts_with(t, "CUDA Driver Version")) {
      if (int v = version_code(t)) m.versions.cuda_driver = v;
    } else if (starts_with(t, "Driver Version:")) {
      m.versions.nvidia_driver = std::string(trim(t.substr(15)));
    } else if (parse_device(t, line, s)) {
      anything = true;
    } else if (starts_with(t, "Running ") && tok.size() == 2) {
      start_test(s, strip_period(tok[1]), line);
      anything = true;
    } else if (starts_with(t, "Waiving ") || starts_with(t, "Waived")) {
      // v0.1-v0.4 name the test; from v0.5 only "Waived:" is printed.
      std::string key = starts_with(t, "Waiving ") ? strip_period(t.substr(8)) : "";
      if (key.empty() && !s.test.empty() && s.matrices.empty()) key = s.test;
      if (key == s.test) s.test_failed = true;
      Event e;
      e.kind = Event::Kind::waived;
      e.test = key;
      e.text = std::string(t);
      e.from = s.at(line);
      m.events.push_back(e);
      anything = true;
    } else if (contains(t, "Invalid value when checking the pattern")) {
      Event e;
      e.kind = Event::Kind::corrupt;
      e.test = s.test;
      e.text = std::string(t);
      // The next line gives the offset ("Current offset : 11136", "Current offset [ 58496/66306048]").
      if (i + 1 < in.end && contains(in.lines[i + 1].text(), "Current offset")) e.text += "; " + std::string(trim(in.lines[i + 1].text()));
      e.from = s.at(line);
      m.events.push_back(e);
      s.test_failed = true;
    } else if (starts_with(t, "ASSERT in expression") && s.test_failed) {
      // The pattern check's own abort: part of the corruption already recorded.
    } else if (note_failure_line(std::string(t), s.test, s.at(line), m)) {
      s.test_failed = true;
    } else if ((!s.test.empty() && (contains(t, "bandwidth (GB/s)") || contains(t, "(ns)") || contains(t, "latency"))) ||
               (s.test.empty() && contains(t, "bandwidth (GB/s)") && (contains(t, "GPU(") || contains(t, "CPU(")))) {
      // A title without a "Running" line before it (elided paste): the SUM line names the test.
      if (s.test.empty()) s.test_line = line;
      s.test_summed = false;  // v0.6+: each of a bidirectional test's matrices has its own SUM
      Matrix mx;
      mx.title = std::string(t);
      mx.unit = contains(t, "(ns)") ? "ns" : "GB/s";
      s.matrices.push_back(mx);
      s.matrix_open = true;
    } else if (starts_with(t, "SUM ") || starts_with(t, "COEFFICIENT_OF_VARIATION ")) {
      if (s.test.empty() && tok.size() >= 2) s.test = std::string(tok[1]);
      s.test_summed = true;
      s.matrix_open = false;
    } else if (s.matrix_open) {
      Matrix& mx = s.matrices.back();
      std::vector<int> cols;
      if (mx.columns.empty()) {
        if (all_ints(tok, cols)) mx.columns = cols;
        else if (!t.empty()) s.matrix_open = false;
        continue;
      }
      long label = 0;
      if (tok.size() >= 2 && parse_int(tok[0], label)) {
        std::vector<std::optional<double>> values;
        for (size_t k = 1; k < tok.size(); ++k) {
          double v = 0;
          if (parse_number(tok[k], v)) values.push_back(v);
          else values.push_back(std::nullopt);  // N/A
        }
        mx.rows.push_back({static_cast<int>(label), values});
        mx.row_lines.push_back(line);
      } else if (!t.empty()) {
        s.matrix_open = false;
      }
    }
  }
  emit(s);
  if (!anything) throw ParseError(in.lines[in.begin].number, "nvbandwidth output without a version line, a device or a test");
  return s.version;
}

}  // namespace rigcheck::ingest
