#pragma once
// Generates fake Linux sysfs/procfs trees and matching `lspci -xxxx` dumps from a small
// description, so tests drive the real discovery code (hwloc's Linux backend, libpci's sysfs and
// dump methods, our sysfs readers) on machines we do not have.

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace rigcheck::testing {

struct FakeLink {
  int gen = 0;
  int width = 0;
};

struct FakeFunction {
  std::string bdf;            // "0000:03:00.0"
  std::string parent;         // BDF of the bridge above; empty for a function on a root bus
  int numa_node = 0;          // socket/NUMA node of the root bus (inherited by convention)
  uint16_t vendor = 0;
  uint16_t device = 0;
  uint32_t class_code = 0;    // 24-bit: 0x030000 VGA, 0x030200 3D, 0x060400 PCI bridge
  int pcie_type = 0;          // 0 endpoint, 4 root port, 5 switch upstream, 6 switch downstream
  FakeLink cap;               // LNKCAP
  FakeLink sta;               // LNKSTA
  std::optional<std::pair<uint16_t, uint16_t>> acs;  // capability, control
  int secondary_bus = -1;     // bridges
  int subordinate_bus = -1;
  std::string driver;         // "nvidia", "pcieport"
  int iommu_group = -1;
  uint64_t bar1_bytes = 0;    // GPUs: size of BAR1
  uint32_t aer_correctable = 0;  // AER correctable error status register
};

// An RDMA device of /sys/class/infiniband on a PCI function; its files hold what the kernel
// writes ("4: ACTIVE", "5: LinkUp", "200 Gb/sec (4X HDR)", drivers/infiniband/core/sysfs.c).
struct FakeRdmaPort {
  std::string state = "4: ACTIVE";
  std::string phys_state = "5: LinkUp";
  std::string rate = "200 Gb/sec (4X HDR)";
  std::string link_layer = "InfiniBand";
};
struct FakeRdmaDevice {
  std::string name;  // "mlx5_0"
  std::string bdf;
  std::vector<FakeRdmaPort> ports{FakeRdmaPort{}};  // ports 1..N
  std::string node_guid = "0c42:a103:001d:d12a";    // identifying: must not reach a report
};
// A netdev of /sys/class/net: on a PCI function (bdf) or virtual (bdf empty: lo, docker0).
struct FakeNetdev {
  std::string name;
  std::string bdf;
  std::string operstate = "up";
  std::string speed = "100000";  // Mb/s; "-1" when down
  int type = 1;                  // ARPHRD_ETHER 1, ARPHRD_INFINIBAND 32
  int dev_port = 0;
  std::string address = "0c:42:a1:1d:d1:2a";  // MAC, identifying: must not reach a report
};

struct FakeMachine {
  int numa_nodes = 2;
  int cpus_per_node = 4;
  std::vector<FakeFunction> functions;  // parents before children
  std::string cmdline = "BOOT_IMAGE=/vmlinuz root=/dev/sda1 ro";
  std::string kernel = "6.1.0-fake";
  std::string nvidia_version_line;      // /proc/driver/nvidia/version first line; empty = no driver
  std::string nvidia_params;            // /proc/driver/nvidia/params content
  bool iommu_units = false;             // /sys/class/iommu/dmar0
  std::map<int, std::string> iommu_group_types;  // group -> "DMA", "identity", …
  int config_bytes = 4096;              // 64 mimics what a non-root reader gets
  std::vector<FakeRdmaDevice> rdma;
  std::vector<FakeNetdev> netdevs;
  std::vector<std::string> modules;     // /sys/module/NAME (nvidia_peermem, nv_peer_mem)
};

// Writes the tree below `root` (created if needed).
void write_fake_sysfs(const FakeMachine& machine, const std::filesystem::path& root);

// `lspci -xxxx`-style text of the same functions (always the full 4096 bytes).
std::string lspci_dump(const FakeMachine& machine);

// The config space bytes the generator writes for one function (4096 bytes).
std::vector<uint8_t> config_space(const FakeFunction& f);

// A fresh, empty directory below the system temp dir; removed by ~TempDir.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// The reference machine of the topology tests: two sockets; socket 0 has a switch with two GPUs
// (ACS redirect on one downstream port, off on the other; one GPU idle at Gen1, one trained x8 in
// an x16 slot), a GPU directly on a root port of the same root bus (uneven path lengths), a GPU in
// a chipset x1 slot, and a second root bus with one GPU; socket 1 has one Gen5 GPU.
FakeMachine reference_machine();

// An 8-GPU HGX-style node: two sockets, each with two PCIe switches below a root port, each switch
// holding two H100s and one ConnectX-6 HDR HCA (mlx5_0..3, ib0..3, all PIX to their two GPUs),
// nvidia_peermem loaded, an Intel X710 for management on socket 0, and lo/docker0.
FakeMachine hgx_node();

}  // namespace rigcheck::testing
