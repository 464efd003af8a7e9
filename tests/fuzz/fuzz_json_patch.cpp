// The bounded JSON Patch applier (topology/src/bounded_patch.cpp) that expands rig variants.
// The input is JSON: either [document, patch], or a rig file, whose every variant's patch is
// applied to the whole file as load_machine does (so the seed rigs are seeds here as they are).
// Besides never crashing, the result must respect the bound the applier promises.
#include "bounded_patch.h"
#include "fuzz_support.h"
#include "rigcheck/topology/json.h"

namespace {

using nlohmann::json;
using rigcheck::topology::detail::apply_bounded_patch;
using rigcheck::topology::detail::count_values;
using rigcheck::topology::detail::kMaxPatchedValues;

void apply_checked(const json& doc, const json& patch) {
  try {
    const json out = apply_bounded_patch(doc, patch);
    if (count_values(out, kMaxPatchedValues + 1) > kMaxPatchedValues)
      rigcheck::fuzz::fail("fuzz_json_patch", "a patched document exceeds kMaxPatchedValues");
  } catch (const json::exception&) {
    // A malformed op: the documented answer (rig.cpp turns it into an InputError).
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text = rigcheck::fuzz::as_text(data, size);
  rigcheck::fuzz::expect_ok_or_input_error("fuzz_json_patch", [&] {
    const json j = rigcheck::topology::parse_json_text(text);
    if (j.is_array() && j.size() == 2) {
      apply_checked(j[0], j[1]);
    } else if (j.is_object() && j.contains("variants") && j["variants"].is_array()) {
      for (const auto& v : j["variants"])
        if (v.is_object() && v.contains("patch")) apply_checked(j, v["patch"]);
    }
  });
  return 0;
}
