// `rigcheck import` on one pasted text (stdin): block detection, every tool's parser, the
// machine model, the judge and the imported report, then its renderings, as the command does.
#include <sstream>

#include "fuzz_support.h"
#include "rigcheck/app/import_job.h"
#include "rigcheck/report/report.h"

using namespace rigcheck;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::istringstream in(fuzz::as_text(data, size));
  fuzz::expect_ok_or_input_error("fuzz_import", [&] {
    app::ImportConfig config;
    config.files = {"-"};
    config.command_line = {"rigcheck", "import", "-"};
    const app::ImportOutcome out = app::run_import(config, in);
    std::ostringstream rendered;
    rendered << out.report.dump(2);
    report::render_report_text(out.report, rendered);
    report::render_report_markdown(out.report, rendered);
  });
  return 0;
}
