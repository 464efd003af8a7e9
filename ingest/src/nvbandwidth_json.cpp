// nvbandwidth -j (v0.5+): {"nvbandwidth": {"version", "CUDA Runtime Version", "Driver Version",
// "GPU Device list": ["0: NAME (PCI:…): (host)"], "testcases": [{"name", "status",
// "bandwidth_description", "bandwidth_matrix": [["N/A", "276.07", …], …], "sum"}]}}. Cells are
// strings. In v0.6-v0.8 a bidirectional test appends its three matrices (the measured direction,
// the other one, then the total) to one bandwidth_matrix, 3N rows.

#include <nlohmann/json.hpp>
#include <utility>

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

std::string parse_nvbandwidth_json(const BlockInput& in, PartialMachine& m) {
  std::string text;
  for (size_t i = in.begin; i < in.end; ++i) text += in.lines[i].text + "\n";
  const int first = in.lines[in.begin].number;
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("nvbandwidth") || !j["nvbandwidth"].is_object())
    throw ParseError(first, "nvbandwidth JSON that does not parse (cut or damaged)");
  const auto& root = j["nvbandwidth"];
  Provenance at;
  at.file = in.file;
  at.line = first;
  at.tool = kNvbandwidth;
  at.version = text_of(root.value("version", nlohmann::json(""))) + " (JSON)";
  if (auto v = root.find("CUDA Runtime Version"); v != root.end() && v->is_number_integer()) m.versions.cuda_runtime = v->get<int>();
  if (auto v = root.find("Driver Version"); v != root.end()) m.versions.nvidia_driver = text_of(*v);
  if (auto list = root.find("GPU Device list"); list != root.end() && list->is_array()) {
    for (const auto& d : *list) {
      const std::string s = text_of(d);
      size_t colon = s.find(':');
      long index = 0;
      if (colon == std::string::npos || !parse_int(trim(std::string_view(s).substr(0, colon)), index) || index < 0 || index > 4096) continue;
      ImportedGpu& g = gpu_at(m, static_cast<int>(index));
      std::string rest(trim(std::string_view(s).substr(colon + 1)));
      size_t pci = rest.find("(PCI:");
      if (pci != std::string::npos) {
        size_t close = rest.find(')', pci);
        if (close != std::string::npos) g.address = topology::PciAddress::parse(rest.substr(pci + 5, close - pci - 5));
        rest = std::string(trim(std::string_view(rest).substr(0, pci)));
      }
      name_gpu(m, static_cast<int>(index), rest, at);  // the hostname after the address is not kept
    }
  }
  auto cases = root.find("testcases");
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
