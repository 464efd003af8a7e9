#pragma once
// A strict test double of the CUDA runtime subset rigcheck calls, and of rigcheck's kernel
// launchers. Test binaries link it instead of libcudart and rigcheck_kernels, so the very sources
// that drive real GPUs (CudaBackend, the NCCL sweep) run in CI on the CPU.
//
// "Strict" means it enforces the rules that break code on hardware:
// - every allocation has an owner (a device, or the host: pageable, pinned or registered);
//   a kernel or memset issued on device X that touches device Y's memory without peer access
//   X->Y enabled, or pageable host memory, fails with cudaErrorIllegalAddress, and that error is
//   sticky: every later call of the process returns it, as on a GPU;
// - streams are ordered queues run asynchronously by their own threads; events, cross-device
//   cudaStreamWaitEvent, cudaEventElapsedTime only between events of one device;
// - cudaDeviceSynchronize, cudaFree, cudaFreeHost and cudaHostUnregister wait for unfinished work,
//   so a copy that never completes blocks them exactly as on a GPU;
// - peer access needs cudaDeviceCanAccessPeer, a GPU maps at most 8 peers without NVSwitch
//   (cudaErrorTooManyPeers), CUDA_VISIBLE_DEVICES hides and renumbers devices;
// - a device without a kernel image for this build refuses launches (Pascal on CUDA 13);
// - a host-staged peer copy (no peer access) blocks the enqueueing thread until its stream is
//   idle, as the driver's staging does; a stream holds a bounded number of unfinished operations;
// - a process forked after it initialised CUDA cannot use it (cudaErrorInitializationError);
// - registered host memory has a device address of its own (see MachineSpec).
//
// Time comes from a model (bytes over a rate per path), so figures are sane and deterministic;
// tests assert behaviour through the operation log: which memory every operation touched.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace rigcheck::topology {
struct Topology;
}

namespace rigcheck::fake_cuda {

inline constexpr int kHost = -1;  // owner of host memory in Touch and Fault
inline constexpr int kAny = -2;   // Fault: any device

struct DeviceSpec {
  std::string name = "NVIDIA GeForce RTX 3090";
  std::string pci_bus_id = "0000:01:00.0";
  int major = 8, minor = 6;
  int sm_count = 82;
  size_t memory_bytes = 24ull << 30;
  bool kernel_image = true;  // false: this build has no kernel for it (launches fail)
  double h2d_gbps = 24;      // modelled host -> GPU copy rate
  double d2h_gbps = 26;      // modelled GPU -> host copy rate (a little higher, as on most PCIe GPUs)
  double local_gbps = 800;   // modelled copy rate within the GPU
};

struct MachineSpec {
  std::vector<DeviceSpec> devices;            // physical order (before CUDA_VISIBLE_DEVICES)
  std::vector<std::vector<bool>> can_access;  // [a][b]: a may map b's memory; empty: no pair may
  bool nvswitch = false;                      // no 8-peer limit
  double peer_gbps = 20;                      // modelled direct peer copy rate
  double staged_gbps = 9;                     // modelled host-staged peer copy rate
  int driver_version = 13000;
  int runtime_version = 13000;
  size_t stream_depth = 4096;  // unfinished operations one stream holds before an enqueue blocks
  // cudaDevAttrCanUseHostPointerForRegisteredMem. Off (the strict default): the device address of
  // cudaHostRegister'ed memory differs from its host address, and a kernel given the host address
  // faults, as on systems without that attribute; cudaHostGetDevicePointer gives the right one.
  bool registered_host_pointer_is_device_pointer = false;
};

// One device per topology GPU in index order, peer access where the simulator's fabric grants
// it (NVLink, NVSwitch, or P2P allowed on the PCIe path), names, bus ids and compute
// capabilities from it; no kernel image below sm_75 (what a CUDA 13 build has). Host rates
// follow each GPU's host-path bottleneck.
MachineSpec machine_from_topology(const topology::Topology& t);

// Replaces the whole fake (devices, allocations, streams, faults, log); the next CUDA call
// initialises it as a fresh driver would, reading CUDA_VISIBLE_DEVICES then.
void install(const MachineSpec& machine);
// No driver at all: every call answers cudaErrorInsufficientDriver (the state before install()).
void uninstall();

struct Fault {
  enum class Kind {
    hang,             // the operation never completes
    corrupt,          // one destination byte is flipped after the copy
    illegal_address,  // the operation faults (sticky cudaErrorIllegalAddress)
    refuse,           // the call that would queue it fails (cudaErrorLaunchFailure, not sticky)
  };
  Kind kind = Kind::hang;
  std::string op;       // operation name prefix ("memcpy", "kernel:sm_copy"); empty: any copy or kernel
  int device = kAny;    // issuing device ordinal
  int touches = kAny;   // an owner the operation touches (device ordinal or kHost)
  int skip = 0;         // matching operations passed through before the first affected one
  int count = 1;        // operations affected; -1: all
  uint64_t offset = 0;  // corrupt: byte offset in the destination
  uint64_t min_bytes = 1;  // only operations moving at least this many bytes (not result words)
};
void inject(const Fault& fault);

// One memory range an operation touched.
struct Touch {
  int owner = kHost;       // device ordinal, or kHost
  int numa_node = -1;      // host memory: the node note_host_numa() gave, -1 when unknown
  bool pinned = false;     // host memory: allocated or registered with CUDA
  bool write = false;
  uintptr_t allocation = 0;  // base address of the allocation
};

struct OpRecord {
  std::string name;    // "memcpy", "memcpy_peer", "memset", "kernel:fill_pattern", ...
  int device = 0;      // issuing device ordinal
  bool staged = false; // a peer copy that went through host memory
  bool faulted = false;
  uint64_t bytes = 0;
  std::vector<Touch> touched;
};

// Executed operations, in completion order.
std::vector<OpRecord> op_log();
void clear_op_log();

// Every rule the code broke, one sentence each ("kernel:fill_pattern on device 0 touched device
// 1's memory without peer access"), also those a call returned an error for.
std::vector<std::string> violations();

// Where host memory lives: the test's host-memory placement says which NUMA node it bound.
void note_host_numa(const void* ptr, size_t bytes, int numa_node);

// State for assertions.
int enabled_peer_count(int device);  // peers device may access now
size_t live_device_allocations();
size_t live_host_allocations();     // pinned: cudaHostAlloc'd or registered
size_t unfinished_operations();     // queued or running on any stream
int sticky_error();                 // 0 when none

}  // namespace rigcheck::fake_cuda
