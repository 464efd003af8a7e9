#include "cells.h"

#include "format.h"
#include "rigcheck/bench/catalogue.h"

namespace rigcheck::report::detail {

std::string cell_value(const nlohmann::json& c) {
  const std::string status = c.at("status");
  if (status != "ok") return status == "unsupported" ? "n/a" : status;
  std::string s = format_value(c.at("median").get<double>(), c.at("unit"));
  if (c.at("path") == "host-staged") s += "*";
  return s;
}

bool pair_of(const nlohmann::json& c, int& row, int& col) {
  const bench::TestSpec* spec = bench::find_test(c.at("test").get<std::string>());
  if (!spec || spec->shape != bench::TestShape::per_pair) return false;
  const nlohmann::json& src = c.at("src");
  const nlohmann::json& dst = c.at("dst");
  if (src.value("kind", "") != "gpu" || dst.value("kind", "") != "gpu") return false;
  row = src.at("gpu");
  col = dst.at("gpu");
  return row >= 0 && col >= 0 && row != col;
}

std::string link_text(const nlohmann::json& l) {
  return "Gen" + std::to_string(l.at("gen").get<int>()) + " x" + std::to_string(l.at("width").get<int>());
}

std::string gpu_ranges(const std::vector<int>& gpus) {
  std::string s;
  for (size_t i = 0; i < gpus.size();) {
    size_t j = i;
    while (j + 1 < gpus.size() && gpus[j + 1] == gpus[j] + 1) ++j;
    s += (s.empty() ? "" : ", ") + ("GPU" + std::to_string(gpus[i])) + (j > i ? "-GPU" + std::to_string(gpus[j]) : "");
    i = j + 1;
  }
  return s;
}

}  // namespace rigcheck::report::detail
