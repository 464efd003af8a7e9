#pragma once
// JSON documents inside pastes. Tools write JSON to files (nccl-tests -J, nvbandwidth -j,
// rigcheck's own reports), and people paste them whole, or cut: a post or a log excerpt that
// stops mid-document. What was complete before the cut is still worth reading.

#include <string_view>

#include <nlohmann/json.hpp>

namespace rigcheck::ingest {

// The document in `text`. When the whole text does not parse, the longest prefix that ends
// right after a complete object or array nested in the document is closed with the brackets
// still open there and parsed instead, and `cut` is set. A discarded value when neither parses
// (or the nesting is deeper than any tool writes).
nlohmann::json parse_json_salvaging(std::string_view text, bool& cut);

}  // namespace rigcheck::ingest
