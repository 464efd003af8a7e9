// Topology JSON (rigcheck.topology/1) as `--simulate FILE` and `doctor --from-json` read it:
// parse and validate, the lossless round trip json.h promises, the static rules and rendering,
// then the simulated fabric that `run --simulate` builds on it: routes, a copy per GPU pair and
// a host copy (the fabric indexes arrays by the topology's ids and loops on its rates).
#include <sstream>

#include "fuzz_support.h"
#include "rigcheck/bench/fabric_constants.h"
#include "rigcheck/bench/sim_backend.h"
#include "rigcheck/report/static_rules.h"
#include "rigcheck/topology/json.h"
#include "rigcheck/topology/render.h"

using namespace rigcheck;

namespace {

void simulate(const topology::Topology& t) {
  bench::SimBackend sim(t, bench::default_fabric_constants());
  const int n = std::min(sim.device_count(), 4);  // pairs grow with the square; four GPUs show every path kind
  for (int g = 0; g < n; ++g) {
    bench::Transfer h2d{bench::Endpoint::host(), bench::Endpoint::device(g)};
    h2d.bytes = 1 << 20;
    (void)sim.run_copies({h2d}, 1, 1.0);
    (void)sim.run_latency(g, bench::Endpoint::host(), 1.0);
    for (int h = 0; h < n; ++h) {
      if (g == h) continue;
      for (auto engine : {bench::Engine::ce, bench::Engine::sm}) {
        bench::Transfer p2p{bench::Endpoint::device(g), bench::Endpoint::device(h), engine};
        p2p.bytes = 1 << 20;
        (void)sim.peer_path(g, h, engine);
        (void)sim.run_copies({p2p}, 1, 1.0);
      }
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text = fuzz::as_text(data, size);
  fuzz::expect_ok_or_input_error("fuzz_topology_json", [&] {
    const topology::Topology t = topology::parse_topology_json(text);
    const std::string once = topology::to_json(t).dump();
    if (topology::to_json(topology::parse_topology_json(once)).dump() != once)
      fuzz::fail("fuzz_topology_json", "the JSON round trip is not lossless");
    (void)report::static_findings(t, report::this_build());
    std::ostringstream out;
    topology::render_topology(t, out);
    simulate(t);
  });
  return 0;
}
