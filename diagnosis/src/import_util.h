#pragma once
// Small helpers shared by the import rule files.

#include <algorithm>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "format.h"
#include "rigcheck/ingest/model.h"
#include "rigcheck/diagnosis/catalogue.h"
#include "rigcheck/diagnosis/finding.h"

namespace rigcheck::diagnosis::detail {

// Findings that live runs raise too are worded for pasted outputs here: the "import" variant.
inline Finding import_wording(std::string_view id) { return make_finding_variant(id, "import"); }

inline std::string at(const ingest::Provenance& p) { return p.file + ":" + std::to_string(p.line); }

// Findings by id, evidence appended in order (at most 12 lines and an ellipsis).
struct FindingSet {
  std::vector<Finding> list;
  Finding& get(const Finding& proto) {
    for (auto& f : list)
      if (f.id == proto.id) return f;
    list.push_back(proto);
    return list.back();
  }
  void add(const Finding& proto, const std::string& evidence, std::vector<int> gpus = {}) {
    Finding& f = get(proto);
    if (f.evidence.size() < 12) f.evidence.push_back(evidence);
    else if (f.evidence.size() == 12) f.evidence.push_back("…");
    for (int g : gpus)
      if (g >= 0 && std::find(f.gpus.begin(), f.gpus.end(), g) == f.gpus.end()) f.gpus.push_back(g);
  }
};

inline double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

}  // namespace rigcheck::diagnosis::detail
