#include "json_doc.h"

#include <string>
#include <vector>

#include "rigcheck/topology/errors.h"
#include "rigcheck/topology/json.h"

namespace rigcheck::ingest {

namespace {

// Deeper than any tool's output; rigcheck's own JSON reader refuses more as well.
constexpr size_t kMaxDepth = 64;

nlohmann::json parse_or_discard(const std::string& s) {
  try {
    return topology::parse_json_text(s);
  } catch (const std::exception&) {
    return nlohmann::json(nlohmann::json::value_t::discarded);
  }
}

}  // namespace

nlohmann::json parse_json_salvaging(std::string_view text, bool& cut) {
  cut = false;
  nlohmann::json whole = parse_or_discard(std::string(text));
  if (!whole.is_discarded()) return whole;
  // Walk the text once, keeping the open brackets. The last place where a nested container
  // closed is where a valid document can be ended: nothing after it is complete, and the
  // brackets open there are a prefix of those open at the end (nothing was closed since).
  std::vector<char> open;
  bool in_string = false, escaped = false;
  size_t end_at = 0, depth_at = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (escaped) escaped = false;
      else if (c == '\\') escaped = true;
      else if (c == '"') in_string = false;
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      if (open.size() >= kMaxDepth) break;
      open.push_back(c);
    } else if (c == '}' || c == ']') {
      if (open.empty() || open.back() != (c == '}' ? '{' : '[')) break;  // not JSON from here on
      if (open.size() == 1) {  // the document ends here; what follows is something else
        end_at = i + 1, depth_at = 0;
        break;
      }
      open.pop_back();
      end_at = i + 1;
      depth_at = open.size();
    }
  }
  if (end_at == 0) return nlohmann::json(nlohmann::json::value_t::discarded);
  std::string repaired(text.substr(0, end_at));
  for (size_t k = depth_at; k-- > 0;) repaired += open[k] == '{' ? '}' : ']';
  nlohmann::json j = parse_or_discard(repaired);
  cut = !j.is_discarded();
  return j;
}

}  // namespace rigcheck::ingest
