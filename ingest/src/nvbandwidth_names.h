#pragma once
// nvbandwidth's test keys mapped onto rigcheck's catalogue cells.

#include <string>

namespace rigcheck::ingest {

struct NvbMapping {
  std::string cell;     // rigcheck test; "" when no catalogue test measures the same thing
  bool pair = false;    // an N×N matrix (GPU pairs) rather than one value per GPU
  // A bidirectional device-to-device test: its figure is one direction measured while the other
  // runs (rigcheck's definition too). From v0.6 nvbandwidth prints that direction ("Read1" /
  // "Write1"), the other one ("Read2"/"Write2") and their "Total" as three matrices.
  bool bidirectional = false;
  // nvbandwidth's (row, column) holds the copy column -> row: its read tests (the row GPU reads
  // the column GPU's memory) and the first direction of its bidirectional tests (nvbandwidth's
  // testcases_ce.cpp and testcases_sm.cpp). rigcheck's pair cells always move row -> column, so
  // these figures are transposed when they land on rigcheck's cells.
  bool column_to_row = false;
};

// Lookup by nvbandwidth key; an unknown key gives {"", pair-shape guessed from the name}.
NvbMapping map_nvbandwidth_test(const std::string& key);

// "ce", "sm" or "" from the key's suffix.
std::string nvbandwidth_method(const std::string& key);

}  // namespace rigcheck::ingest
