// rigcheck selftest's host code on the strict CUDA double: every GPU filled and verified on the
// device and on the host, a corrupt fill found with its word, no driver and no kernel image said.

#include <gtest/gtest.h>

#include "rigcheck/fake_cuda/fake_cuda.h"
#include "rigcheck/kernels/selftest.h"

namespace fake = rigcheck::fake_cuda;
namespace k = rigcheck::kernels;

namespace {

fake::MachineSpec two_gpus() {
  fake::MachineSpec m;
  m.devices.resize(2);
  m.devices[0].pci_bus_id = "0000:17:00.0";
  m.devices[1].pci_bus_id = "0000:65:00.0";
  m.devices[1].name = "NVIDIA H200";
  m.devices[1].local_gbps = 4000;
  return m;
}

class SelfTest : public ::testing::Test {
 protected:
  void TearDown() override { fake::uninstall(); }
};

TEST_F(SelfTest, EveryGpuVerifiesThePattern) {
  fake::install(two_gpus());
  auto run = k::run_selftest(1 << 20);
  EXPECT_EQ(run.cuda_error, 0);
  ASSERT_EQ(run.results.size(), 2u);
  EXPECT_TRUE(run.results[0].ok && run.results[1].ok) << run.results[0].error << run.results[1].error;
  EXPECT_EQ(run.results[1].pci_bus_id, "0000:65:00.0");
  EXPECT_EQ(run.results[1].name, "NVIDIA H200");
  EXPECT_NEAR(run.results[1].fill_gbps, 4000, 1);
  EXPECT_TRUE(fake::violations().empty());
}

TEST_F(SelfTest, ACorruptFillIsFoundAtItsWord) {
  fake::install(two_gpus());
  // The timed fill (after the warm-up fill) of GPU1 leaves one bad byte at 4096.
  fake::inject({.kind = fake::Fault::Kind::corrupt, .op = "kernel:fill_pattern", .device = 1, .skip = 1, .offset = 4096});
  auto run = k::run_selftest(1 << 20);
  ASSERT_EQ(run.results.size(), 2u);
  EXPECT_TRUE(run.results[0].ok);
  EXPECT_FALSE(run.results[1].ok);
  EXPECT_EQ(run.results[1].first_bad_word, 1024u);
  EXPECT_TRUE(run.results[1].error.empty()) << "a wrong word is a result, not an error";
}

TEST_F(SelfTest, AGpuWithoutAKernelImageIsAnErrorOfItsOwn) {
  auto m = two_gpus();
  m.devices[0].kernel_image = false;
  fake::install(m);
  auto run = k::run_selftest(1 << 20);
  ASSERT_EQ(run.results.size(), 2u);
  EXPECT_FALSE(run.results[0].ok);
  EXPECT_NE(run.results[0].error.find("cudaErrorNoKernelImageForDevice"), std::string::npos) << run.results[0].error;
  EXPECT_TRUE(run.results[1].ok) << run.results[1].error;
}

TEST_F(SelfTest, WithoutADriverItSaysSo) {
  fake::uninstall();
  auto run = k::run_selftest(1 << 20);
  EXPECT_EQ(run.cuda_error_name, "cudaErrorInsufficientDriver");
  EXPECT_EQ(run.driver_version, 0);
  EXPECT_TRUE(run.results.empty());
}

}  // namespace
