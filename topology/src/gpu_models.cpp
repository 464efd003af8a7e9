#include "rigcheck/topology/gpu_models.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <stdexcept>

#include "rigcheck/topology/link_rates.h"

extern "C" {
#include <pci/pci.h>
}

namespace rigcheck::embedded {
extern const char* const gpu_models_json;
}

namespace rigcheck::topology {
namespace {

using nlohmann::json;

[[noreturn]] void bad_row(const std::string& where, const std::string& what) {
  throw std::runtime_error("gpu_models.json: " + where + ": " + what);
}

uint16_t parse_device_id(const json& row, const std::string& where) {
  if (!row.contains("device_id") || !row["device_id"].is_string()) bad_row(where, "no device_id string");
  const std::string text = row["device_id"].get<std::string>();
  if (text.size() != 4 || !std::all_of(text.begin(), text.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) && !std::isupper(static_cast<unsigned char>(c)); }))
    bad_row(where, "device_id \"" + text + "\" is not four lower-case hex digits");
  return static_cast<uint16_t>(std::stoul(text, nullptr, 16));
}

// An optional integer figure: absent (unknown) or a number in [lo, hi].
int optional_int(const json& row, const char* key, int lo, int hi, const std::string& where) {
  if (!row.contains(key)) return 0;
  if (!row[key].is_number_integer()) bad_row(where, std::string(key) + " is not an integer");
  const int v = row[key].get<int>();
  if (v < lo || v > hi) bad_row(where, std::string(key) + " " + std::to_string(v) + " out of range");
  return v;
}

std::string optional_string(const json& row, const char* key, const std::string& where) {
  if (!row.contains(key)) return "";
  if (!row[key].is_string() || row[key].get<std::string>().empty()) bad_row(where, std::string(key) + " is not a non-empty string");
  return row[key].get<std::string>();
}

// A source is the key of a reference of the document, or a URL written in place.
std::string resolve_source(const json& references, const std::string& source, const std::string& where) {
  if (references.contains(source)) return references[source].get<std::string>();
  if (source.find("https://") != std::string::npos || source.find("http://") != std::string::npos) return source;
  bad_row(where, "source \"" + source + "\" is neither a reference of the table nor a URL");
}

// The source groups a row's figures need: one per figure present.
std::vector<std::string> groups_needed(const json& row) {
  std::vector<std::string> out{"name", "p2p"};
  if (row.contains("compute_capability") || row.contains("architecture")) out.push_back("compute_capability");
  if (row.contains("memory_gib")) out.push_back("memory");
  if (row.contains("pcie_gen") || row.contains("pcie_width")) out.push_back("pcie");
  if (row.contains("nvlink_version") || row.contains("nvlink_links")) out.push_back("nvlink");
  if (row.contains("form_factor")) out.push_back("form_factor");
  return out;
}

GpuModel parse_row(const json& row, const json& references) {
  if (!row.is_object()) bad_row("a row", "is not an object");
  GpuModel m;
  m.device_id = parse_device_id(row, "a row");
  const std::string where = "row " + row["device_id"].get<std::string>();
  m.name = optional_string(row, "name", where);
  if (m.name.empty()) bad_row(where, "has no name");
  m.architecture = optional_string(row, "architecture", where);
  m.compute_capability = optional_string(row, "compute_capability", where);
  if (!m.compute_capability.empty() && m.compute_capability.find('.') == std::string::npos)
    bad_row(where, "compute_capability \"" + m.compute_capability + "\" is not major.minor");
  m.memory_gib = optional_int(row, "memory_gib", 1, 4096, where);
  m.pcie_gen = optional_int(row, "pcie_gen", 1, 6, where);
  m.pcie_width = optional_int(row, "pcie_width", 1, 32, where);
  // NVLink: both fields or neither; neither means no source says (not "no NVLink").
  if (row.contains("nvlink_version") != row.contains("nvlink_links")) bad_row(where, "gives only one of nvlink_version and nvlink_links");
  m.nvlink_known = row.contains("nvlink_version");
  m.nvlink_version = optional_int(row, "nvlink_version", 0, 10, where);
  m.nvlink_links = optional_int(row, "nvlink_links", 0, 64, where);
  if ((m.nvlink_version == 0) != (m.nvlink_links == 0)) bad_row(where, "has NVLink links without a version or a version without links");
  if (row.contains("nvlink_gbps_per_link")) {
    if (!row["nvlink_gbps_per_link"].is_number() || row["nvlink_gbps_per_link"].get<double>() <= 0)
      bad_row(where, "nvlink_gbps_per_link is not a positive number");
    if (m.nvlink_links == 0) bad_row(where, "has nvlink_gbps_per_link without links");
    m.nvlink_gbps_per_link = row["nvlink_gbps_per_link"].get<double>();
  } else {
    m.nvlink_gbps_per_link = table_nvlink_gbps_per_link(m.nvlink_version);
  }
  if (!row.contains("p2p_over_pcie") || !row["p2p_over_pcie"].is_boolean()) bad_row(where, "has no p2p_over_pcie true/false");
  m.p2p_over_pcie = row["p2p_over_pcie"].get<bool>();
  m.form_factor = optional_string(row, "form_factor", where);
  if (!m.form_factor.empty() && m.form_factor != "sxm") bad_row(where, "form_factor \"" + m.form_factor + "\" is not \"sxm\"");
  if (!row.contains("sources") || !row["sources"].is_object()) bad_row(where, "has no sources object");
  for (const auto& [group, source] : row["sources"].items()) {
    if (!source.is_string()) bad_row(where, "source of " + group + " is not a string");
    m.sources[group] = resolve_source(references, source.get<std::string>(), where);
  }
  for (const auto& group : groups_needed(row))
    if (!m.sources.count(group)) bad_row(where, "gives " + group + " without a source");
  return m;
}

}  // namespace

std::vector<GpuModel> parse_gpu_models(std::string_view json_text) {
  const json doc = json::parse(json_text.begin(), json_text.end(), nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) throw std::runtime_error("gpu_models.json: not a JSON object");
  const json references = doc.value("references", json::object());
  if (!references.is_object()) throw std::runtime_error("gpu_models.json: references is not an object");
  for (const auto& [key, text] : references.items())
    if (!text.is_string() || text.get<std::string>().empty()) throw std::runtime_error("gpu_models.json: reference " + key + " is not a text");
  if (!doc.contains("models") || !doc["models"].is_array()) throw std::runtime_error("gpu_models.json: no models array");
  std::vector<GpuModel> out;
  std::set<uint16_t> seen;
  for (const auto& row : doc["models"]) {
    out.push_back(parse_row(row, references));
    if (!seen.insert(out.back().device_id).second) bad_row("row " + row["device_id"].get<std::string>(), "device_id appears twice");
  }
  std::sort(out.begin(), out.end(), [](const GpuModel& a, const GpuModel& b) { return a.device_id < b.device_id; });
  return out;
}

const std::vector<GpuModel>& all_gpu_models() {
  // Parsed once; the table is embedded in the binary and checked by the unit tests.
  static const std::vector<GpuModel> models = parse_gpu_models(rigcheck::embedded::gpu_models_json);
  return models;
}

bool is_sxm(const GpuModel& m) { return m.form_factor == "sxm" || m.name.find("SXM") != std::string::npos; }

const GpuModel* find_gpu_model(uint16_t device_id) {
  const auto& models = all_gpu_models();
  auto it = std::lower_bound(models.begin(), models.end(), device_id, [](const GpuModel& m, uint16_t id) { return m.device_id < id; });
  return it != models.end() && it->device_id == device_id ? &*it : nullptr;
}

namespace {
void ignore_pci_message(char*, ...) {}
}  // namespace

std::string pci_ids_device_name(uint16_t device_id) {
  pci_access* a = pci_alloc();
  if (!a) return "";
  // A missing or unreadable pci.ids is a warning to libpci: the name is then simply unknown.
  a->warning = ignore_pci_message;
  a->debug = ignore_pci_message;
  char buf[256];
  const char* name = pci_lookup_name(a, buf, sizeof buf, PCI_LOOKUP_DEVICE | PCI_LOOKUP_NO_NUMBERS, 0x10de, device_id);
  std::string out = name ? name : "";
  pci_cleanup(a);
  return out;
}

std::string unknown_gpu_name(uint16_t device_id) {
  if (std::string name = pci_ids_device_name(device_id); !name.empty()) return "NVIDIA Corporation " + name;
  char id[16];
  std::snprintf(id, sizeof id, "10de:%04x", device_id);
  return std::string("NVIDIA device ") + id;
}

double nvlink_gbps_per_link(int version) { return table_nvlink_gbps_per_link(version); }

}  // namespace rigcheck::topology
