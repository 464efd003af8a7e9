#pragma once
// Helpers for the import tests: fixtures by name, the whole pipeline, cells and findings.

#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "rigcheck/ingest/importer.h"
#include "rigcheck/ingest/machine_model.h"
#include "rigcheck/diagnosis/import_rules.h"
#include "rigcheck/topology/errors.h"

namespace rigcheck::import_test {

inline std::string fixture_text(const std::string& name) {
  std::ifstream f(std::string(RIGCHECK_FIXTURES) + "/imports/" + name, std::ios::binary);
  if (!f) throw std::runtime_error("missing fixture " + name);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

inline ingest::PartialMachine import_string(const std::string& text, const std::string& name = "paste") {
  ingest::PartialMachine m;
  ingest::import_text({name, text, ""}, m);
  return m;
}

inline ingest::PartialMachine import_fixture(const std::string& name) { return import_string(fixture_text(name), name); }

inline std::vector<diagnosis::Finding> findings_of(const ingest::PartialMachine& m) {
  const auto mm = ingest::machine_model(m);
  const auto run = diagnosis::judge_imported(m, mm);
  return diagnosis::import_findings(m, mm, run);
}

inline std::set<std::string> finding_ids(const ingest::PartialMachine& m) {
  std::set<std::string> ids;
  for (const auto& f : findings_of(m)) ids.insert(f.id);
  return ids;
}

inline const ingest::ImportedCell* cell(const ingest::PartialMachine& m, const std::string& test, int row, int col) {
  for (const auto& c : m.cells)
    if (c.test == test && c.row == row && c.col == col) return &c;
  return nullptr;
}

inline size_t count_cells(const ingest::PartialMachine& m, const std::string& test) {
  size_t n = 0;
  for (const auto& c : m.cells) n += c.test == test;
  return n;
}

inline size_t count_events(const ingest::PartialMachine& m, ingest::Event::Kind k) {
  size_t n = 0;
  for (const auto& e : m.events) n += e.kind == k;
  return n;
}

}  // namespace rigcheck::import_test
