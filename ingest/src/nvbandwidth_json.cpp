// nvbandwidth -j (v0.5+): {"nvbandwidth": {"version", "CUDA Runtime Version", "Driver Version",
// "GPU Device list": ["0: NAME (PCI:…): (host)"], "testcases": [{"name", "status",
// "bandwidth_description", "bandwidth_matrix": [["N/A", "276.07", …], …], "sum"}]}}. Cells are
// strings. In v0.6-v0.8 a bidirectional test appends its three matrices (the measured direction,
// the other one, then the total) to one bandwidth_matrix, 3N rows.

#include <algorithm>
#include <nlohmann/json.hpp>
#include <utility>

#include "json_doc.h"
#include "nvbandwidth_names.h"
#include "rigcheck/ingest/blocks.h"
#include "rigcheck/ingest/parsers.h"

namespace rigcheck::ingest {

namespace {

std::string text_of(const nlohmann::json& j) {
  if (j.is_string()) return j.get<std::string>();
  if (j.is_number()) return j.dump();
  return "";
}

}  // namespace

// One "GPU Device list" entry: "0: NVIDIA A100 (PCI:0000:07:00.0)" (v0.5) or, from v0.6, the
// text device line's form with the hostname after it: "0: NVIDIA GB200 (00000008:06:00): (host)".
void read_device(const std::string& s, const Provenance& at, PartialMachine& m) {
  size_t colon = s.find(':');
  long index = 0;
  if (colon == std::string::npos || !parse_int(trim(std::string_view(s).substr(0, colon)), index) || index < 0 || index > 4096) return;
  ImportedGpu& g = gpu_at(m, static_cast<int>(index));
  std::string rest(trim(std::string_view(s).substr(colon + 1)));
  const size_t open = rest.find('(');
  if (open != std::string::npos) {
    const size_t close = rest.find(')', open);
    std::string bdf = close == std::string::npos ? "" : rest.substr(open + 1, close - open - 1);
    if (bdf.rfind("PCI:", 0) == 0) bdf = bdf.substr(4);
    if (std::count(bdf.begin(), bdf.end(), ':') == 2 && bdf.find('.') == std::string::npos) bdf += ".0";
    if (auto a = topology::PciAddress::parse(bdf); a && !g.address) g.address = a;
    rest = std::string(trim(std::string_view(rest).substr(0, open)));
  }
  name_gpu(m, static_cast<int>(index), rest, at);  // the hostname after the address is not kept
}

// A document that does not parse even once cut back (a reader's note inside it, "<== missing
// …"): its device list and versions are still on their own lines.
void read_lines_of_damaged(const BlockInput& in, const Provenance& at, PartialMachine& m) {
  bool in_list = false;
  for (size_t i = in.begin; i < in.end; ++i) {
    const std::string_view t = trim(in.lines[i].text());
    if (contains(t, "\"GPU Device list\"")) in_list = true;
    else if (in_list && starts_with(t, "]")) in_list = false;
    else if (in_list && starts_with(t, "\"")) read_device(std::string(t.substr(1, t.find('"', 1) - 1)), at, m);
    long v = 0;
    if (starts_with(t, "\"CUDA Runtime Version\"") && t.find(':') != std::string_view::npos) {
      auto tok = tokens(t.substr(t.find(':') + 1));
      if (!tok.empty() && parse_int(tok[0].substr(0, tok[0].find(',')), v) && v > 0 && v < 1000000) m.versions.cuda_runtime = static_cast<int>(v);
    }
    if (starts_with(t, "\"Driver Version\"")) {
      const size_t q = t.find('"', t.find(':'));
      if (q != std::string_view::npos && t.find('"', q + 1) != std::string_view::npos) m.versions.nvidia_driver = std::string(t.substr(q + 1, t.find('"', q + 1) - q - 1));
    }
  }
}

std::string parse_nvbandwidth_json(const BlockInput& in, PartialMachine& m) {
  std::string text;
  for (size_t i = in.begin; i < in.end; ++i) text.append(in.lines[i].text()).push_back('\n');
  const int first = in.lines[in.begin].number;
  bool cut = false;
  nlohmann::json j = parse_json_salvaging(text, cut);
  Provenance at;
  at.file = in.file;
  at.line = first;
  at.tool = kNvbandwidth;
  if (j.is_discarded() || !j.is_object() || !j.contains("nvbandwidth") || !j["nvbandwidth"].is_object()) {
    at.version = "(JSON, damaged)";
    read_lines_of_damaged(in, at, m);
    if (m.gpus.empty()) throw ParseError(first, "nvbandwidth JSON that does not parse (cut or damaged)");
    Event e;
    e.kind = Event::Kind::unparsed;
    e.text = "nvbandwidth JSON that does not parse (cut, or with notes written into it): only its device list and versions were read";
    e.from = at;
    m.events.push_back(e);
    return at.version;
  }
  const auto& root = j["nvbandwidth"];
  // v0.5 wrote "version"; v0.6+ "git_version".
  std::string version = text_of(root.value("version", nlohmann::json("")));
  if (version.empty()) version = text_of(root.value("git_version", nlohmann::json("")));
  at.version = version + " (JSON)";
  if (auto v = root.find("CUDA Runtime Version"); v != root.end() && v->is_number_integer()) m.versions.cuda_runtime = v->get<int>();
  if (auto v = root.find("Driver Version"); v != root.end()) m.versions.nvidia_driver = text_of(*v);
  if (auto list = root.find("GPU Device list"); list != root.end() && list->is_array())
    for (const auto& d : *list) read_device(text_of(d), at, m);
  if (cut) {
    Event e;
    e.kind = Event::Kind::truncated;
    e.text = "nvbandwidth JSON cut; the test cases complete before the cut were read";
    e.from = at;
    m.events.push_back(e);
  }
  auto cases = root.find("testcases");
  if (cut && (cases == root.end() || !cases->is_array())) return at.version;  // cut before its first test case
  if (cases == root.end() || !cases->is_array()) throw ParseError(first, "nvbandwidth JSON without testcases");
  for (const auto& tc : *cases) {
    if (!tc.is_object()) continue;
    const std::string key = text_of(tc.value("name", nlohmann::json("")));
    const std::string status = text_of(tc.value("status", nlohmann::json("")));
    Provenance here = at;
    here.method = nvbandwidth_method(key);
    if (status != "Passed") {
      Event e;
      e.kind = status == "Waived" ? Event::Kind::waived : Event::Kind::error;
      e.test = key;
      e.text = key + ": " + status + (tc.contains("error") ? " - " + text_of(tc["error"]) : "");
      e.from = here;
      m.events.push_back(e);
      continue;
    }
    const auto& mx = tc.value("bandwidth_matrix", nlohmann::json::array());
    if (!mx.is_array() || mx.empty() || !mx[0].is_array()) continue;
    const NvbMapping map = map_nvbandwidth_test(key);
    const size_t cols = mx[0].size();
    // v0.6-v0.8 bidirectional tests: 3N rows, the measured direction first, then the other
    // direction and the total (kept as nvbandwidth's own ".read2"/".total" tests).
    const bool three = map.pair && map.bidirectional && mx.size() == 3 * cols;
    const std::string unit = text_of(tc.value("bandwidth_description", nlohmann::json(""))).find("(ns)") != std::string::npos ? "ns" : "GB/s";
    for (size_t r = 0; r < mx.size(); ++r) {
      if (!mx[r].is_array()) continue;
      if (!map.pair && r > 0) break;
      const size_t part = three ? r / cols : 0;  // 0 the measured direction, 1 the other, 2 the total
      const int row = static_cast<int>(three ? r % cols : r);
      const bool mapped = !map.cell.empty() && part == 0;
      const std::string suffix = part == 1 ? (key.find("write") != std::string::npos ? ".write2" : ".read2") : part == 2 ? ".total" : "";
      for (size_t c = 0; c < mx[r].size(); ++c) {
        if (map.pair && static_cast<int>(c) == row) continue;
        ImportedCell cell;
        cell.foreign = key;
        cell.mapped = mapped;
        cell.test = mapped ? map.cell : std::string(kNvbandwidth) + "." + key + suffix;
        cell.row = map.pair ? row : -1;
        cell.col = static_cast<int>(c);
        if (mapped && map.column_to_row) std::swap(cell.row, cell.col);  // onto rigcheck's row -> column
        cell.unit = unit;
        cell.from = here;
        double v = 0;
        if (parse_number(text_of(mx[r][c]), v)) cell.value = v;
        else cell.status = "unsupported";
        gpu_at(m, cell.col);
        if (map.pair) gpu_at(m, row);
        m.cells.push_back(std::move(cell));
      }
    }
  }
  return at.version;
}

}  // namespace rigcheck::ingest
