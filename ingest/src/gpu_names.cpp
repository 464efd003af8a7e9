#include "rigcheck/ingest/gpu_names.h"

#include <algorithm>
#include <cctype>
#include <set>
#include <vector>

#include <nlohmann/json.hpp>

namespace rigcheck::embedded {
extern const char* const gpu_models_json;  // topology/data/gpu_models.json, embedded by rigcheck_topology
}

namespace rigcheck::ingest {

namespace {

// Lower-case words, "NVIDIA" and "GeForce"-style brand words dropped, '-' and '_' as spaces.
std::set<std::string> words(const std::string& s) {
  std::set<std::string> out;
  std::string w;
  auto flush = [&] {
    if (!w.empty() && w != "nvidia" && w != "corporation") out.insert(w);
    w.clear();
  };
  for (char c : s) {
    if (std::isalnum(static_cast<unsigned char>(c))) w += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    else flush();
  }
  flush();
  return out;
}

// The model table has no iteration interface; it is keyed by 16-bit PCI device ids, so the
// whole key space is small enough to walk once.
const std::vector<const topology::GpuModel*>& all_models() {
  static const std::vector<const topology::GpuModel*> models = [] {
    std::vector<const topology::GpuModel*> v;
    for (uint32_t id = 0; id <= 0xffff; ++id)
      if (const auto* m = topology::find_gpu_model(static_cast<uint16_t>(id))) v.push_back(m);
    return v;
  }();
  return models;
}

// The names NVIDIA's tools print where they differ from pci.ids' ("NVIDIA H100 80GB HBM3" for
// the H100 SXM5 80GB): the table's "printed_names", as word sets, with their device ids.
const std::vector<std::pair<std::set<std::string>, uint16_t>>& printed_names() {
  static const std::vector<std::pair<std::set<std::string>, uint16_t>> names = [] {
    std::vector<std::pair<std::set<std::string>, uint16_t>> v;
    const auto doc = nlohmann::json::parse(embedded::gpu_models_json, nullptr, false);
    if (doc.is_discarded() || !doc.contains("models")) return v;
    for (const auto& row : doc["models"]) {
      if (!row.contains("printed_names") || !row["printed_names"].is_array()) continue;
      const auto id = static_cast<uint16_t>(std::stoul(row.value("device_id", std::string("0")), nullptr, 16));
      for (const auto& n : row["printed_names"])
        if (n.is_string()) v.push_back({words(n.get<std::string>()), id});
    }
    return v;
  }();
  return names;
}

}  // namespace

const topology::GpuModel* model_for_name(const std::string& printed) {
  const auto have = words(printed);
  if (have.empty()) return nullptr;
  // A name the tools print, word for word, first: it is exact where the word match guesses.
  for (const auto& [name, id] : printed_names())
    if (name == have)
      if (const auto* m = topology::find_gpu_model(id)) return m;
  const topology::GpuModel* best = nullptr;
  size_t best_words = 0;
  for (const auto* m : all_models()) {
    const auto need = words(m->name);
    // Every word of the table's name must be printed ("geforce rtx 3090" in "nvidia geforce rtx 3090")
    // and the printed name must not add a distinguishing word ("ti", "super", a memory size).
    bool all = std::all_of(need.begin(), need.end(), [&](const std::string& w) { return have.count(w) > 0; });
    if (!all) continue;
    bool extra = std::any_of(have.begin(), have.end(), [&](const std::string& w) {
      return !need.count(w) && (w == "ti" || w == "super" || w == "lite" || w == "laptop" || w == "mobile" ||
                                (w.size() > 2 && w.compare(w.size() - 2, 2, "gb") == 0 && std::isdigit(static_cast<unsigned char>(w[0]))));
    });
    if (extra) continue;
    if (need.size() > best_words) best = m, best_words = need.size();
  }
  return best;
}

}  // namespace rigcheck::ingest
