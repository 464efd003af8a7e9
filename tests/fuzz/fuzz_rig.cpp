// Rig files (rigcheck.rig/1) as `--simulate` and `doctor --from-json` read them: parse, then
// every variant expanded (JSON Patch, validation) with the build it assumes, and what the doctor
// does next with the machine: the static rules and the text rendering.
#include <sstream>

#include "fuzz_support.h"
#include "rigcheck/report/static_rules.h"
#include "rigcheck/topology/json.h"
#include "rigcheck/topology/render.h"
#include "rigcheck/topology/rig.h"

using namespace rigcheck::topology;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text = rigcheck::fuzz::as_text(data, size);
  rigcheck::fuzz::expect_ok_or_input_error("fuzz_rig", [&] {
    const nlohmann::json j = parse_json_text(text);
    if (!is_rig(j)) return;  // a topology JSON: fuzz_topology_json's part
    const Rig rig = parse_rig(j);
    std::vector<std::string> names;  // "" would be the first variant again
    for (const auto& v : rig.variants) names.push_back(v.name);
    if (names.size() > 3) names.resize(3);  // each expansion is a whole machine; a few say enough
    for (const auto& name : names) {
      rigcheck::fuzz::expect_ok_or_input_error("fuzz_rig", [&] {
        const Topology t = expand_rig(rig, name);
        (void)rig_build(rig, name);
        (void)rigcheck::report::static_findings(t, rigcheck::report::this_build());
        std::ostringstream out;
        render_topology(t, out);
      });
    }
  });
  return 0;
}
