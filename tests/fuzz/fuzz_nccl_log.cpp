// NCCL's INFO log (NCCL_DEBUG=INFO) as `run` and `bench collectives` read it from their NCCL
// child: bench/src/collectives.cpp's parse_nccl_info_log, run in the parent, so it must never
// crash or throw on whatever the child (or a user's log) wrote.
#include "fuzz_support.h"
#include "rigcheck/bench/collectives.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text = rigcheck::fuzz::as_text(data, size);
  rigcheck::fuzz::expect_ok_or_input_error("fuzz_nccl_log", [&] {
    const auto summary = rigcheck::bench::parse_nccl_info_log(text);
    int total = 0;
    for (const auto& [transport, n] : summary.count_by_transport) total += n;
    // Every route is counted under its transport (what the report's summary shows).
    if (static_cast<size_t>(total) != summary.routes.size())
      rigcheck::fuzz::fail("fuzz_nccl_log", "count_by_transport does not add up to the routes");
  });
  return 0;
}
