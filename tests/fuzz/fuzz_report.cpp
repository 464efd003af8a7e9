// Saved reports (rigcheck.report/1) as `rigcheck report FILE` and `compare` read them: parse,
// the schema check on read, then every renderer. A renderer may still refuse a field the
// schema let through with nlohmann's json::exception, which the CLI turns into an input error
// (cli/run_command.cpp); anything else is a bug.
#include <sstream>

#include "fuzz_support.h"
#include "rigcheck/report/report.h"
#include "rigcheck/topology/json.h"

using namespace rigcheck;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text = fuzz::as_text(data, size);
  fuzz::expect_ok_or_input_error("fuzz_report", [&] {
    const nlohmann::json r = topology::parse_json_text(text);
    report::check_report(r, "fuzz.json");
    try {
      std::ostringstream out;
      out << r.dump(2);
      report::render_report_text(r, out);
      report::render_report_markdown(r, out);
      report::render_compare({r, r}, {"a", "b"}, true, out);
    } catch (const nlohmann::json::exception&) {
    }
  });
  return 0;
}
