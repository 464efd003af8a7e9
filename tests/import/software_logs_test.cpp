// NCCL_DEBUG=INFO transport lines (how many ring/channel connections went via P2P, SHM, NET)
// and vLLM's own P2P verdict lines: the logs of the software that uses P2P.

#include <gtest/gtest.h>

#include "support.h"

namespace rigcheck::import_test {
namespace {

TEST(ImportNcclInfo, ShmChannelsOf2_13) {
  const auto m = import_fixture("nccl-info-8x4090-shm.txt");
  EXPECT_EQ(m.nccl.shm, 9);
  EXPECT_EQ(m.nccl.p2p, 0);
  EXPECT_EQ(m.nccl.format, "Channel NN (NCCL 2.7-2.13)");
  EXPECT_EQ(m.nccl.from.line, 9);
  ASSERT_EQ(m.inputs[0].blocks.size(), 1u);
  EXPECT_EQ(m.inputs[0].blocks[0].tool, "NCCL INFO log");
  EXPECT_EQ(m.inputs[0].blocks[0].first_line, 9);
  EXPECT_EQ(m.inputs[0].blocks[0].last_line, 17);
}

TEST(ImportNcclInfo, P2pDirectPointerOf2_14Plus) {
  const auto m = import_fixture("nccl-info-8gpu-p2p-direct-pointer.txt");
  EXPECT_EQ(m.nccl.p2p, 9);
  EXPECT_EQ(m.nccl.shm, 0);
  EXPECT_EQ(m.nccl.format, "Channel NN/N (NCCL 2.14+)");
}

}  // namespace
}  // namespace rigcheck::import_test

namespace rigcheck::import_test {
namespace {

TEST(ImportVllm, P2pCheckFailedWithItsCache) {
  const auto m = import_fixture("vllm-p2p-test-failed-cache.txt");
  EXPECT_EQ(m.vllm.p2p_failed, 1);
  EXPECT_EQ(m.vllm.cache_file, "/root/.config/vllm/gpu_p2p_access_cache_for_0,1.json");
  EXPECT_EQ(m.vllm.from.line, 2);
  const auto fs = findings_of(m);
  bool found = false;
  for (const auto& f : fs)
    if (f.id == "vllm-p2p-check-failed") {
      found = true;
      EXPECT_NE(f.evidence[0].find("verdict read from the cache /root/.config/vllm/gpu_p2p_access_cache_for_0,1.json"),
                std::string::npos)
          << f.evidence[0];
    }
  EXPECT_TRUE(found);
}

}  // namespace
}  // namespace rigcheck::import_test
