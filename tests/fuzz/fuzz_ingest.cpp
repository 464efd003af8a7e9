// The importer's parsers alone (ingest/): block detection, every tool's parser and the machine
// model, without the judge, the report and its renderings that make fuzz_import slow (tens of
// executions a second under ASan), so the parsers get far more inputs in the same time.
#include "fuzz_support.h"
#include "rigcheck/ingest/importer.h"
#include "rigcheck/ingest/machine_model.h"

using namespace rigcheck;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text = fuzz::as_text(data, size);
  fuzz::expect_ok_or_input_error("fuzz_ingest", [&] {
    ingest::PartialMachine m;
    ingest::import_text({"paste", text, ""}, m);
    (void)ingest::machine_model(m);
  });
  return 0;
}
