// The strict CUDA double enforces the rules that break code on a GPU. If one of these stops
// holding, the backend tests on it prove nothing; so each rule is checked here on its own.

#include <gtest/gtest.h>
#include <cuda_runtime_api.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <future>
#include <vector>
#include <thread>

#include "rigcheck/fake_cuda/fake_cuda.h"
#include "rigcheck/kernels/copy_kernels.h"
#include "rigcheck/kernels/pattern.h"
#include "rigcheck/kernels/pattern_kernels.h"

namespace fake = rigcheck::fake_cuda;
namespace k = rigcheck::kernels;

namespace {

fake::MachineSpec machine(int gpus, bool p2p) {
  fake::MachineSpec m;
  for (int i = 0; i < gpus; ++i) {
    fake::DeviceSpec d;
    char bus[32];
    std::snprintf(bus, sizeof bus, "0000:%02x:00.0", i + 1);
    d.pci_bus_id = bus;
    m.devices.push_back(d);
  }
  m.can_access.assign(gpus, std::vector<bool>(gpus, p2p));
  return m;
}

class FakeCuda : public ::testing::Test {
 protected:
  void TearDown() override {
    fake::uninstall();
    ::unsetenv("CUDA_VISIBLE_DEVICES");
  }
};

TEST_F(FakeCuda, WithoutADriverEveryCallSaysSo) {
  fake::uninstall();
  int n = 5;
  EXPECT_EQ(cudaGetDeviceCount(&n), cudaErrorInsufficientDriver);
  int v = 1;
  EXPECT_EQ(cudaDriverGetVersion(&v), cudaSuccess);
  EXPECT_EQ(v, 0);
}

TEST_F(FakeCuda, AKernelTouchingAnotherGpuWithoutPeerAccessFaultsAndTheErrorIsSticky) {
  fake::install(machine(2, true));
  void* on1 = nullptr;
  ASSERT_EQ(cudaSetDevice(1), cudaSuccess);
  ASSERT_EQ(cudaMalloc(&on1, 4096), cudaSuccess);
  ASSERT_EQ(cudaSetDevice(0), cudaSuccess);
  // The launch itself succeeds: the fault is asynchronous, as on hardware.
  ASSERT_EQ(k::launch_fill_pattern(static_cast<uint32_t*>(on1), 1024, 7, nullptr), cudaSuccess);
  EXPECT_EQ(cudaDeviceSynchronize(), cudaErrorIllegalAddress);
  EXPECT_EQ(cudaGetLastError(), cudaErrorIllegalAddress);
  EXPECT_EQ(cudaGetLastError(), cudaErrorIllegalAddress) << "a sticky error is not cleared";
  void* more = nullptr;
  EXPECT_EQ(cudaMalloc(&more, 16), cudaErrorIllegalAddress) << "every later call fails";
  ASSERT_EQ(fake::violations().size(), 1u);
  EXPECT_NE(fake::violations()[0].find("without peer access"), std::string::npos);
}

TEST_F(FakeCuda, PeerAccessMakesTheSameKernelLegal) {
  fake::install(machine(2, true));
  void* on1 = nullptr;
  ASSERT_EQ(cudaSetDevice(1), cudaSuccess);
  ASSERT_EQ(cudaMalloc(&on1, 4096), cudaSuccess);
  ASSERT_EQ(cudaSetDevice(0), cudaSuccess);
  ASSERT_EQ(cudaDeviceEnablePeerAccess(1, 0), cudaSuccess);
  EXPECT_EQ(cudaDeviceEnablePeerAccess(1, 0), cudaErrorPeerAccessAlreadyEnabled);
  EXPECT_EQ(cudaGetLastError(), cudaErrorPeerAccessAlreadyEnabled);
  EXPECT_EQ(cudaGetLastError(), cudaSuccess) << "an ordinary error is cleared by reading it";
  ASSERT_EQ(k::launch_fill_pattern(static_cast<uint32_t*>(on1), 1024, 7, nullptr), cudaSuccess);
  EXPECT_EQ(cudaDeviceSynchronize(), cudaSuccess);
  EXPECT_EQ(static_cast<uint32_t*>(on1)[5], k::pattern_word(7, 5));
  EXPECT_TRUE(fake::violations().empty());
}

TEST_F(FakeCuda, AKernelNeedsTheDeviceAddressOfRegisteredHostMemory) {
  fake::install(machine(1, false));
  std::vector<uint32_t> pages(1024);
  ASSERT_EQ(cudaHostRegister(pages.data(), pages.size() * 4, cudaHostRegisterMapped), cudaSuccess);
  void* device_view = nullptr;
  ASSERT_EQ(cudaHostGetDevicePointer(&device_view, pages.data(), 0), cudaSuccess);
  EXPECT_NE(device_view, static_cast<void*>(pages.data())) << "registered memory has a device address of its own here";
  ASSERT_EQ(k::launch_fill_pattern(static_cast<uint32_t*>(device_view), pages.size(), 3, nullptr), cudaSuccess);
  ASSERT_EQ(cudaDeviceSynchronize(), cudaSuccess);
  EXPECT_EQ(pages[7], k::pattern_word(3, 7)) << "the kernel wrote the host pages through the device address";
  ASSERT_EQ(k::launch_fill_pattern(pages.data(), pages.size(), 3, nullptr), cudaSuccess);
  EXPECT_EQ(cudaDeviceSynchronize(), cudaErrorIllegalAddress) << "the host address is not the device's";
  ASSERT_FALSE(fake::violations().empty());
  EXPECT_NE(fake::violations().back().find("cudaHostGetDevicePointer"), std::string::npos);
}

TEST_F(FakeCuda, PeerAccessIsRefusedWhereTheMachineHasNone) {
  fake::install(machine(2, false));
  int can = 1;
  ASSERT_EQ(cudaDeviceCanAccessPeer(&can, 0, 1), cudaSuccess);
  EXPECT_EQ(can, 0);
  ASSERT_EQ(cudaSetDevice(0), cudaSuccess);
  EXPECT_EQ(cudaDeviceEnablePeerAccess(1, 0), cudaErrorPeerAccessUnsupported);
}

TEST_F(FakeCuda, AGpuMapsAtMostEightPeersWithoutNvswitch) {
  fake::install(machine(10, true));
  ASSERT_EQ(cudaSetDevice(0), cudaSuccess);
  for (int p = 1; p <= 8; ++p) ASSERT_EQ(cudaDeviceEnablePeerAccess(p, 0), cudaSuccess) << p;
  EXPECT_EQ(cudaDeviceEnablePeerAccess(9, 0), cudaErrorTooManyPeers);
  ASSERT_EQ(cudaDeviceDisablePeerAccess(8), cudaSuccess);
  EXPECT_EQ(cudaDeviceEnablePeerAccess(9, 0), cudaSuccess);
  EXPECT_EQ(fake::enabled_peer_count(0), 8);
}

TEST_F(FakeCuda, CopyEnginesStageBetweenGpusWithoutPeerAccess) {
  fake::install(machine(2, false));
  void *a = nullptr, *b = nullptr;
  ASSERT_EQ(cudaSetDevice(0), cudaSuccess);
  ASSERT_EQ(cudaMalloc(&a, 1 << 20), cudaSuccess);
  ASSERT_EQ(cudaSetDevice(1), cudaSuccess);
  ASSERT_EQ(cudaMalloc(&b, 1 << 20), cudaSuccess);
  static_cast<char*>(a)[100] = 42;
  ASSERT_EQ(cudaMemcpyPeerAsync(b, 1, a, 0, 1 << 20, nullptr), cudaSuccess);
  ASSERT_EQ(cudaDeviceSynchronize(), cudaSuccess);
  EXPECT_EQ(static_cast<char*>(b)[100], 42);
  auto log = fake::op_log();
  ASSERT_FALSE(log.empty());
  EXPECT_TRUE(log.back().staged);
}

TEST_F(FakeCuda, ElapsedTimeNeedsTwoEventsOfOneDevice) {
  fake::install(machine(2, true));
  cudaEvent_t e0, e1;
  ASSERT_EQ(cudaSetDevice(0), cudaSuccess);
  ASSERT_EQ(cudaEventCreate(&e0), cudaSuccess);
  ASSERT_EQ(cudaEventRecord(e0, nullptr), cudaSuccess);
  ASSERT_EQ(cudaSetDevice(1), cudaSuccess);
  ASSERT_EQ(cudaEventCreate(&e1), cudaSuccess);
  ASSERT_EQ(cudaEventRecord(e1, nullptr), cudaSuccess);
  ASSERT_EQ(cudaDeviceSynchronize(), cudaSuccess);
  float ms = 0;
  EXPECT_EQ(cudaEventElapsedTime(&ms, e0, e1), cudaErrorInvalidResourceHandle);
  ASSERT_EQ(cudaSetDevice(0), cudaSuccess);
  EXPECT_EQ(cudaEventRecord(e1, nullptr), cudaErrorInvalidResourceHandle) << "device 1's event on device 0's stream";
}

TEST_F(FakeCuda, ModelledTimeIsBytesOverTheRate) {
  auto m = machine(1, false);
  m.devices[0].h2d_gbps = 20;
  fake::install(m);
  void *host = nullptr, *dev = nullptr;
  ASSERT_EQ(cudaHostAlloc(&host, 20'000'000, 0), cudaSuccess);
  ASSERT_EQ(cudaMalloc(&dev, 20'000'000), cudaSuccess);
  cudaStream_t s;
  cudaEvent_t a, b;
  ASSERT_EQ(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking), cudaSuccess);
  ASSERT_EQ(cudaEventCreate(&a), cudaSuccess);
  ASSERT_EQ(cudaEventCreate(&b), cudaSuccess);
  ASSERT_EQ(cudaEventRecord(a, s), cudaSuccess);
  ASSERT_EQ(cudaMemcpyAsync(dev, host, 20'000'000, cudaMemcpyHostToDevice, s), cudaSuccess);
  ASSERT_EQ(cudaEventRecord(b, s), cudaSuccess);
  ASSERT_EQ(cudaStreamSynchronize(s), cudaSuccess);
  float ms = 0;
  ASSERT_EQ(cudaEventElapsedTime(&ms, a, b), cudaSuccess);
  EXPECT_NEAR(ms, 1.0, 1e-4);  // 20 MB at 20 GB/s
}

TEST_F(FakeCuda, FreeingWaitsForWorkThatNeverFinishes) {
  fake::install(machine(1, false));
  fake::inject({.kind = fake::Fault::Kind::hang, .op = "memcpy"});
  void *host = nullptr, *dev = nullptr;
  ASSERT_EQ(cudaHostAlloc(&host, 4096, 0), cudaSuccess);
  ASSERT_EQ(cudaMalloc(&dev, 4096), cudaSuccess);
  cudaStream_t s;
  ASSERT_EQ(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking), cudaSuccess);
  ASSERT_EQ(cudaMemcpyAsync(dev, host, 4096, cudaMemcpyHostToDevice, s), cudaSuccess);
  auto freed = std::async(std::launch::async, [&] { return cudaFree(dev); });
  EXPECT_EQ(freed.wait_for(std::chrono::milliseconds(300)), std::future_status::timeout)
      << "cudaFree returned while a copy on its device was unfinished";
  EXPECT_EQ(cudaStreamQuery(s), cudaErrorNotReady);
  // uninstall() abandons the hung copy, which lets the waiting cudaFree go (and fail or not).
  fake::uninstall();
  freed.wait();
}

TEST_F(FakeCuda, HostStagedCopiesBlockTheEnqueueingThreadBehindEarlierWork) {
  fake::install(machine(2, false));
  void *a = nullptr, *b = nullptr;
  int *release = nullptr, *timed_out = nullptr;
  ASSERT_EQ(cudaHostAlloc(reinterpret_cast<void**>(&release), sizeof(int), 0), cudaSuccess);
  ASSERT_EQ(cudaHostAlloc(reinterpret_cast<void**>(&timed_out), sizeof(int), 0), cudaSuccess);
  ASSERT_EQ(cudaSetDevice(1), cudaSuccess);
  ASSERT_EQ(cudaMalloc(&b, 4096), cudaSuccess);
  ASSERT_EQ(cudaSetDevice(0), cudaSuccess);
  ASSERT_EQ(cudaMalloc(&a, 4096), cudaSuccess);
  cudaStream_t s;
  ASSERT_EQ(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking), cudaSuccess);
  ASSERT_EQ(k::launch_spin_kernel(release, timed_out, 200'000'000ull, s), cudaSuccess);  // 0.2 s
  const auto t0 = std::chrono::steady_clock::now();
  ASSERT_EQ(cudaMemcpyPeerAsync(b, 1, a, 0, 4096, s), cudaSuccess);
  EXPECT_GE(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(150));
  EXPECT_EQ(*timed_out, 1) << "the spin kernel ran out its timeout while the host was blocked";
}

TEST_F(FakeCuda, VisibleDevicesHideAndRenumber) {
  fake::MachineSpec m = machine(3, true);
  m.devices[2].name = "third";
  fake::install(m);
  ::setenv("CUDA_VISIBLE_DEVICES", "2,0", 1);
  int n = 0;
  ASSERT_EQ(cudaGetDeviceCount(&n), cudaSuccess);
  EXPECT_EQ(n, 2);
  cudaDeviceProp p{};
  ASSERT_EQ(cudaGetDeviceProperties(&p, 0), cudaSuccess);
  EXPECT_STREQ(p.name, "third");
  EXPECT_EQ(cudaSetDevice(2), cudaErrorInvalidDevice);
  EXPECT_EQ(cudaSetDevice(-1), cudaErrorInvalidDevice);
}

TEST_F(FakeCuda, ADeviceWithoutAKernelImageRefusesLaunches) {
  fake::MachineSpec m = machine(2, false);
  m.devices[1].kernel_image = false;
  fake::install(m);
  ASSERT_EQ(cudaSetDevice(1), cudaSuccess);
  EXPECT_EQ(k::preload_kernels(), cudaErrorNoKernelImageForDevice);
  EXPECT_EQ(cudaGetLastError(), cudaErrorNoKernelImageForDevice);
  ASSERT_EQ(cudaSetDevice(0), cudaSuccess);
  EXPECT_EQ(k::preload_kernels(), cudaSuccess);
}

TEST_F(FakeCuda, AChildForkedAfterCudaStartedCannotUseIt) {
  fake::install(machine(1, false));
  int n = 0;
  ASSERT_EQ(cudaGetDeviceCount(&n), cudaSuccess);
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) ::_exit(cudaGetDeviceCount(&n) == cudaErrorInitializationError ? 0 : 1);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

}  // namespace
