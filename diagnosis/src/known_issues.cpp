#include "rigcheck/diagnosis/known_issues.h"

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

#include "rigcheck/diagnosis/catalogue.h"
#include "rigcheck/topology/gpu_models.h"

namespace rigcheck::embedded {
extern const char* const known_issues_json;
}

namespace rigcheck::diagnosis {

namespace {

using nlohmann::json;
using topology::Gpu;
using topology::Topology;

int compare(const VersionParts& a, const VersionParts& b) {
  for (size_t i = 0; i < std::max(a.size(), b.size()); ++i) {
    const int x = i < a.size() ? a[i] : 0, y = i < b.size() ? b[i] : 0;
    if (x != y) return x < y ? -1 : 1;
  }
  return 0;
}

std::string text(const VersionParts& v) {
  std::string s;
  for (int p : v) s += (s.empty() ? "" : ".") + std::to_string(p);
  return s;
}

[[noreturn]] void reject(const std::string& id, const std::string& what) {
  throw std::logic_error("known_issues.json row " + id + ": " + what);
}

VersionParts version_field(const std::string& id, const json& v) {
  if (!v.is_string()) reject(id, "a version must be a string such as \"545.29.06\"");
  const std::string s = v.get<std::string>();
  // Only digits and dots: "2.18.1", never "2.18.1-1" or "545.x".
  const bool plain = !s.empty() && s.find_first_not_of("0123456789.") == std::string::npos && s.front() != '.' && s.back() != '.' &&
                     s.find("..") == std::string::npos;
  if (!plain) reject(id, "bad version \"" + s + "\"");
  return parse_version(s);
}

VersionRange range_field(const std::string& id, const std::string& key, const json& j) {
  if (!j.is_object()) reject(id, key + " must be an object with min, max or below");
  VersionRange r;
  for (const auto& [k, v] : j.items()) {
    if (k == "min") r.min = version_field(id, v);
    else if (k == "max") r.max = version_field(id, v);
    else if (k == "below") r.below = version_field(id, v);
    else reject(id, key + " has an unknown bound \"" + k + "\"");
  }
  if (!r.min && !r.max && !r.below) reject(id, key + " has no bound");
  if (r.min && r.max && compare(*r.min, *r.max) > 0) reject(id, key + " min is above max");
  if (r.min && r.below && compare(*r.min, *r.below) >= 0) reject(id, key + " min is not below below");
  return r;
}

KnownIssue parse_row(const json& row) {
  KnownIssue k;
  if (!row.is_object() || !row.contains("id") || !row.at("id").is_string()) throw std::logic_error("known_issues.json: a row without an id");
  k.id = row.at("id").get<std::string>();
  bool versioned = false;
  for (const auto& [key, v] : row.items()) {
    if (key == "id" || key == "note") continue;
    if (key == "device_ids") {
      for (const auto& d : v) {
        const std::string s = d.get<std::string>();
        if (s.size() != 4 || s.find_first_not_of("0123456789abcdef") != std::string::npos) reject(k.id, "bad device id \"" + s + "\"");
        k.device_ids.insert(static_cast<uint16_t>(std::stoul(s, nullptr, 16)));
      }
    } else if (key == "compute_capabilities") {
      for (const auto& c : v) k.compute_capabilities.insert(c.get<std::string>());
    } else if (key == "driver" || key == "nccl" || key == "cuda_driver" || key == "cuda_runtime" || key == "kernel") {
      auto r = range_field(k.id, key, v);
      (key == "driver" ? k.driver : key == "nccl" ? k.nccl : key == "cuda_driver" ? k.cuda_driver : key == "cuda_runtime" ? k.cuda_runtime : k.kernel) = r;
      versioned = true;
    } else if (key == "iommu") {
      for (const auto& m : v) {
        const std::string s = m.get<std::string>();
        if (s != "off" && s != "passthrough" && s != "translated") reject(k.id, "bad IOMMU mode \"" + s + "\"");
        k.iommu.insert(s);
      }
    } else if (key == "cpu_model_contains") {
      for (const auto& c : v) k.cpu_model_contains.push_back(c.get<std::string>());
    } else if (key == "min_gpus") {
      k.min_gpus = v.get<int>();
      if (k.min_gpus < 1) reject(k.id, "min_gpus below 1");
    } else if (key == "nvlink_links_down") {
      k.nvlink_links_down = v.get<bool>();
    } else {
      reject(k.id, "unknown condition \"" + key + "\"");
    }
  }
  // A row is about a version: a platform condition alone is another rule's business.
  if (!versioned) reject(k.id, "no driver, nccl, cuda_driver, cuda_runtime or kernel range");
  return k;
}

std::string gpu_list(const std::vector<int>& gpus) {
  std::string on;
  for (int g : gpus) on += (on.empty() ? "GPU" : ", GPU") + std::to_string(g);
  return on;
}

int active_nvlinks(const Gpu& g) {
  int links = 0;
  for (const auto& b : g.nvlink) links += b.links;
  return links;
}

// The GPUs the row's GPU conditions select.
std::vector<int> selected_gpus(const KnownIssue& k, const Topology& t, std::vector<std::string>& evidence) {
  std::vector<int> gpus;
  for (const Gpu& g : t.gpus) {
    if (!k.device_ids.empty() && !k.device_ids.count(g.device_id)) continue;
    if (!k.compute_capabilities.empty() && !k.compute_capabilities.count(g.compute_capability)) continue;
    if (k.nvlink_links_down) {
      const auto* m = topology::find_gpu_model(g.device_id);
      const int links = active_nvlinks(g);
      if (!m || m->nvlink_links == 0 || links == 0 || links >= m->nvlink_links) continue;
      evidence.push_back("GPU" + std::to_string(g.index) + ": " + std::to_string(links) + " of " + std::to_string(m->nvlink_links) +
                         " NVLink links active");
    }
    gpus.push_back(g.index);
  }
  return gpus;
}

// Whether `value` (empty: unknown) is in `range`; says what was compared on `evidence`.
bool version_holds(const std::optional<VersionRange>& range, const VersionParts& value, const std::string& shown,
                   std::vector<std::string>& evidence) {
  if (!range) return true;
  if (value.empty() || !range->contains(value)) return false;
  evidence.push_back(shown);
  return true;
}

std::optional<std::string> matching_cpu(const KnownIssue& k, const Topology& t) {
  for (const auto& p : t.packages)
    for (const auto& needle : k.cpu_model_contains)
      if (!needle.empty() && p.model.find(needle) != std::string::npos) return p.model;
  return std::nullopt;
}

}  // namespace

bool VersionRange::contains(const VersionParts& v) const {
  if (min && compare(v, *min) < 0) return false;
  if (max && compare(v, *max) > 0) return false;
  if (below && compare(v, *below) >= 0) return false;
  return true;
}

VersionParts parse_version(std::string_view s) {
  VersionParts parts;
  size_t i = 0;
  while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) {
    int n = 0;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) n = n * 10 + (s[i++] - '0');
    parts.push_back(n);
    if (i + 1 < s.size() && s[i] == '.' && std::isdigit(static_cast<unsigned char>(s[i + 1]))) ++i;
    else break;
  }
  return parts;
}

VersionParts nccl_version_parts(int code) {
  if (code <= 0) return {};
  if (code >= 10000) return {code / 10000, code % 10000 / 100, code % 100};
  return {code / 1000, code % 1000 / 100, code % 100};
}

VersionParts cuda_version_parts(int code) {
  if (code <= 0) return {};
  return {code / 1000, code % 1000 / 10};
}

std::vector<KnownIssue> parse_known_issues(std::string_view json_text) {
  const json doc = json::parse(json_text);
  std::vector<KnownIssue> out;
  std::set<std::string> ids;
  for (const auto& row : doc.at("issues")) {
    out.push_back(parse_row(row));
    if (!ids.insert(out.back().id).second) throw std::logic_error("known_issues.json: row " + out.back().id + " twice");
  }
  return out;
}

std::vector<Finding> known_issue_findings(const Topology& t) {
  static const std::vector<KnownIssue> table = parse_known_issues(rigcheck::embedded::known_issues_json);
  return known_issue_findings(t, table);
}

std::vector<Finding> known_issue_findings(const Topology& t, const std::vector<KnownIssue>& table) {
  std::vector<Finding> out;
  for (const KnownIssue& k : table) {
    std::vector<std::string> evidence;
    const std::vector<int> gpus = selected_gpus(k, t, evidence);
    if (gpus.empty() || static_cast<int>(gpus.size()) < k.min_gpus) continue;
    const auto& s = t.system;
    if (!version_holds(k.driver, parse_version(s.nvidia_driver), "NVIDIA driver " + s.nvidia_driver, evidence)) continue;
    if (!version_holds(k.nccl, nccl_version_parts(s.nccl_version), "NCCL " + text(nccl_version_parts(s.nccl_version)), evidence)) continue;
    if (!version_holds(k.cuda_driver, cuda_version_parts(s.cuda_driver_version), "CUDA driver " + text(cuda_version_parts(s.cuda_driver_version)), evidence))
      continue;
    if (!version_holds(k.cuda_runtime, cuda_version_parts(s.cuda_runtime_version), "CUDA runtime " + text(cuda_version_parts(s.cuda_runtime_version)),
                       evidence))
      continue;
    if (!version_holds(k.kernel, parse_version(s.kernel), "kernel " + s.kernel, evidence)) continue;
    if (!k.iommu.empty()) {
      if (s.iommu == topology::IommuMode::unknown || !k.iommu.count(topology::to_string(s.iommu))) continue;
      evidence.push_back(std::string("IOMMU ") + topology::to_string(s.iommu));
    }
    if (!k.cpu_model_contains.empty()) {
      const auto cpu = matching_cpu(k, t);
      if (!cpu) continue;
      evidence.push_back("CPU " + *cpu);
    }
    evidence.push_back("on " + gpu_list(gpus));
    // The row says when; its wording and severity are the catalogue entry of the same id.
    out.push_back(make_finding(k.id, {}, std::move(evidence), gpus));
  }
  return out;
}

}  // namespace rigcheck::diagnosis
