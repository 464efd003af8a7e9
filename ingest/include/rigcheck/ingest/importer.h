#pragma once
// The entry point: texts in, one partial machine out. Every block of a known tool is parsed; a
// block that cannot be parsed becomes an "unparsed" event with its line and the rest is still
// imported; a text with no known block at all is an error.

#include <string>
#include <vector>

#include "rigcheck/ingest/model.h"

namespace rigcheck::ingest {

// Figures kept over all inputs: a full nvbandwidth run of 16 GPUs has about 5,000, so this is
// several whole runs, and a pathological paste (thousands of runs) stays small in memory and in
// the report; blocks after it are skipped and that is said.
inline constexpr size_t kMaxCells = 20000;

struct NamedText {
  std::string name;  // file name, "-" for stdin
  std::string text;
  std::string sha256;
};

// Parses one text into `into` (inputs, GPUs, pairs, cells… are added). Throws
// topology::InputError "NAME: no output of a known tool (…)" when nothing in it is recognised.
void import_text(const NamedText& input, PartialMachine& into);

PartialMachine import_texts(const std::vector<NamedText>& inputs);

}  // namespace rigcheck::ingest
