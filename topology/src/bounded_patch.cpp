#include "bounded_patch.h"

#include <string>
#include <vector>

#include "rigcheck/topology/errors.h"

namespace rigcheck::topology::detail {

using nlohmann::json;

size_t count_values(const json& j, size_t limit) {
  size_t n = 0;
  std::vector<const json*> stack{&j};
  while (!stack.empty() && n <= limit) {
    const json* x = stack.back();
    stack.pop_back();
    ++n;
    if (x->is_structured())
      for (const auto& child : *x) stack.push_back(&child);
  }
  return n;
}

json apply_bounded_patch(const json& doc, const json& patch) {
  if (!patch.is_array()) throw InputError("a variant's patch must be a JSON array of operations");
  if (patch.size() > kMaxPatchOps) throw InputError("a variant's patch has more than 10000 operations");
  json out = doc;
  size_t values = count_values(out, kMaxPatchedValues);
  for (const auto& op : patch) {
    // add and replace bring their value from the file itself; copy is the one that multiplies.
    size_t added = 0;
    if (op.is_object() && op.value("op", "") == "copy" && op.contains("from") && op.at("from").is_string())
      added = count_values(out.at(json::json_pointer(op.at("from").get<std::string>())), kMaxPatchedValues);
    else if (op.is_object() && op.contains("value"))
      added = count_values(op.at("value"), kMaxPatchedValues);
    if (values + added > kMaxPatchedValues)
      throw InputError("a variant's patch would expand the rig beyond " + std::to_string(kMaxPatchedValues) +
                       " values (a JSON Patch copy of a large part of it?)");
    out.patch_inplace(json::array({op}));
    values += added;  // an upper bound: remove and replace may make it smaller
  }
  return out;
}

}  // namespace rigcheck::topology::detail
