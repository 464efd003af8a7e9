// The simulated copy must end even on a topology that bypassed validation (a test builds one by
// hand): a link of 1e308 GB/s made the rate times the step NaN, and the flow never finished.

#include <gtest/gtest.h>

#include <chrono>
#include <future>

#include "rigcheck/bench/sim_backend.h"
#include "topology_builder.h"

using namespace rigcheck::bench;
using namespace rigcheck::fabric;

TEST(SimBackstop, ALinkOfInfiniteCapacityFinishes) {
  rigcheck::testing::TopologyBuilder b;
  const int hb = b.host_bridge();
  for (int i = 0; i < 2; ++i) b.gpu(b.root_port(hb), 0x1db1, 3, 16);
  b.nvlink(0, 1, 4, 2, 1e308);
  const auto t = b.build();
  auto run = std::async(std::launch::async, [&] {
    SimBackend sim(t, default_fabric_constants());
    return sim.run_copies({Transfer{Endpoint::device(0), Endpoint::device(1), Engine::ce, Initiator::src, 1 << 20}}, 1, 10);
  });
  // A detached hang would keep the test binary alive; a failure here ends it with the message.
  if (run.wait_for(std::chrono::seconds(10)) != std::future_status::ready) {
    ADD_FAILURE() << "the simulated copy over an infinite link did not finish";
    std::_Exit(1);
  }
  EXPECT_TRUE(run.get().error.empty());
}
