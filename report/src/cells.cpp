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

}  // namespace rigcheck::report::detail
