#include "rigcheck/topology/validate.h"

#include <cmath>
#include <set>
#include <string>

#include "rigcheck/topology/errors.h"

namespace rigcheck::topology {
namespace {

// Above any link, memory or capacity of real hardware (a Gen6 x16 link is 121 GB/s, NVLink 5
// 50 GB/s a link); the checks are against nonsense, not against progress.
constexpr double kMaxGbps = 10000;
constexpr uint64_t kMaxGpuMemoryBytes = uint64_t{1} << 50;   // 1 PiB
constexpr uint64_t kMaxNodeMemoryBytes = uint64_t{1} << 56;  // 64 PiB
constexpr int kMaxPcieGen = 7;
constexpr int kMaxPcieWidth = 32;

[[noreturn]] void fail(const std::string& what) { throw InputError(what); }

void check_int(long long v, long long lo, long long hi, const std::string& what) {
  if (v < lo || v > hi)
    fail(what + " is " + std::to_string(v) + ", outside " + std::to_string(lo) + ".." + std::to_string(hi));
}

void check_gbps(double v, const std::string& what) {
  if (!std::isfinite(v) || v < 0 || v > kMaxGbps) fail(what + " is not a bandwidth between 0 and 10000 GB/s");
}

void check_link(const LinkState& l, const std::string& what) {
  check_int(l.gen, 0, kMaxPcieGen, what + " generation");
  check_int(l.width, 0, kMaxPcieWidth, what + " width");
}

void check_bottleneck(const Bottleneck& b, int nodes, const std::string& what) {
  check_gbps(b.gbps, what + " bandwidth");
  check_int(b.node, -1, nodes - 1, what + " PCI node");
}

struct Known {
  std::set<int> packages, numa;
  bool package(int p) const { return p == -1 || packages.count(p); }
};

Known check_cpu_side(const Topology& t) {
  Known k;
  for (const auto& p : t.packages) {
    // -1: hwloc did not know the index (HWLOC_UNKNOWN_INDEX).
    check_int(p.os_index, -1, kMaxPackageIndex, "a package's os_index");
    if (p.os_index >= 0 && !k.packages.insert(p.os_index).second) fail("package " + std::to_string(p.os_index) + " is listed twice");
  }
  for (const auto& n : t.numa_nodes) {
    const std::string what = "NUMA node " + std::to_string(n.os_index);
    check_int(n.os_index, -1, kMaxNumaIndex, "a NUMA node's os_index");
    if (!k.package(n.package)) fail(what + " names package " + std::to_string(n.package) + ", which is not listed");
    if (n.memory_bytes > kMaxNodeMemoryBytes) fail(what + " has more memory than any machine");
    if (n.os_index >= 0 && !k.numa.insert(n.os_index).second) fail(what + " is listed twice");
  }
  return k;
}

void check_pci(const Topology& t, const Known& k) {
  const int n = static_cast<int>(t.pci.size());
  for (int i = 0; i < n; ++i) {
    const PciNode& p = t.pci[i];
    const std::string what = "PCI node " + std::to_string(i);
    if (p.id != i) fail("PCI node ids must equal their position (node " + std::to_string(i) + ")");
    // Parents come first: this also rules out cycles.
    if (p.parent < -1 || p.parent >= i) fail(what + " has an invalid parent");
    check_int(p.secondary_bus, -1, 255, what + " secondary bus");
    check_int(p.subordinate_bus, -1, 255, what + " subordinate bus");
    check_int(p.config_bytes, 0, 4096, what + " config_bytes");
    check_int(p.iommu_group, -1, 1 << 30, what + " IOMMU group");
    if (!k.package(p.package)) fail(what + " names package " + std::to_string(p.package) + ", which is not listed");
    for (int numa : p.numa_nodes) check_int(numa, 0, kMaxNumaIndex, what + " NUMA node");
    if (p.link) {
      check_link(p.link->max, what + " link max");
      check_link(p.link->device_max, what + " link device_max");
      check_link(p.link->port_max, what + " link port_max");
      check_link(p.link->current, what + " link current");
      check_gbps(p.link->current_gbps, what + " link current_gbps");
    }
  }
}

void check_nvlink(const Gpu& g, int gpus, const std::string& what) {
  if (g.nvlink.size() > static_cast<size_t>(kMaxNvLinksPerBundle)) fail(what + " has more NVLink bundles than links");
  for (const auto& b : g.nvlink) {
    if (b.remote_kind == "gpu") {
      if (b.remote_gpu < 0 || b.remote_gpu >= gpus || b.remote_gpu == g.index)
        fail(what + " has an NVLink bundle to GPU " + std::to_string(b.remote_gpu) + ", which does not exist");
    } else if (b.remote_kind != "nvswitch" && b.remote_kind != "cpu") {
      fail(what + " has an NVLink bundle to \"" + b.remote_kind + "\" (expected gpu, nvswitch or cpu)");
    }
    check_int(b.links, 1, kMaxNvLinksPerBundle, what + " NVLink link count");
    check_int(b.version, 0, 10, what + " NVLink version");
    check_gbps(b.gbps_per_link, what + " NVLink gbps_per_link");
  }
}

void check_gpus(const Topology& t) {
  check_gpu_count(t.gpus.size());
  const int n = static_cast<int>(t.pci.size());
  const int g = static_cast<int>(t.gpus.size());
  for (int i = 0; i < g; ++i) {
    const Gpu& gpu = t.gpus[i];
    const std::string what = "GPU " + std::to_string(i);
    if (gpu.index != i || gpu.node < 0 || gpu.node >= n) fail(what + " has an invalid index or PCI node");
    if (gpu.memory_bytes > kMaxGpuMemoryBytes || gpu.bar1_bytes > kMaxGpuMemoryBytes)
      fail(what + " has more memory or BAR1 than any GPU");
    check_int(gpu.numa_node, -1, kMaxNumaIndex, what + " NUMA node");
    check_int(gpu.cuda_index, -1, static_cast<long long>(kMaxGpus) - 1, what + " CUDA index");
    if (gpu.gpu_max_gen) check_int(*gpu.gpu_max_gen, 1, kMaxPcieGen, what + " maximum PCIe generation");
    check_nvlink(gpu, g, what);
    check_bottleneck(gpu.host_path, n, what + " host path");
  }
  for (const auto& p : t.pairs) {
    if (p.a < 0 || p.b < 0 || p.a >= g || p.b >= g || p.a >= p.b) fail("GPU pair refers to a missing GPU");
    check_int(p.nvlink_links, 0, 1024, "GPU pair " + std::to_string(p.a) + "-" + std::to_string(p.b) + " NVLink links");
    check_bottleneck(p.bottleneck, n, "GPU pair " + std::to_string(p.a) + "-" + std::to_string(p.b) + " bottleneck");
  }
  const size_t max_pairs = t.gpus.size() * (t.gpus.size() + 1) / 2;
  if (t.pairs.size() > max_pairs) fail("more GPU pairs than there are pairs of GPUs");
}

// 1.6 Tb/s is the fastest port sold today (XDR); ten times that is nonsense, not progress.
constexpr double kMaxNicGbit = 16000;
constexpr size_t kMaxNics = 4096;
constexpr size_t kMaxNicPorts = 64;

void check_nic_gbit(double v, const std::string& what) {
  if (!std::isfinite(v) || v < 0 || v > kMaxNicGbit) fail(what + " is not a rate between 0 and 16000 Gb/s");
}

void check_nics(const Topology& t) {
  if (t.nics.size() > kMaxNics) fail("more NICs than a machine can have");
  const int n = static_cast<int>(t.pci.size());
  for (size_t i = 0; i < t.nics.size(); ++i) {
    const Nic& nic = t.nics[i];
    const std::string what = "NIC " + std::to_string(i);
    if (nic.index != static_cast<int>(i)) fail(what + " has an invalid index");
    check_int(nic.node, -1, n - 1, what + " PCI node");
    if (nic.node >= 0 && t.pci[nic.node].address != nic.address) fail(what + " is not at its PCI node's address");
    check_int(nic.numa_node, -1, kMaxNumaIndex, what + " NUMA node");
    check_nic_gbit(nic.max_rate_gbit, what + " max_rate_gbit");
    if (nic.ports.size() > kMaxNicPorts) fail(what + " has more ports than an adapter can have");
    for (const auto& p : nic.ports) {
      check_int(p.port, 0, 255, what + " port number");
      check_nic_gbit(p.rate_gbit, what + " port rate");
      check_int(p.width, 0, 32, what + " port width");
    }
    if (nic.pcie_max) check_link(*nic.pcie_max, what + " PCIe link max");
    if (nic.pcie_current) check_link(*nic.pcie_current, what + " PCIe link current");
    if (!nic.gpu_paths.empty() && nic.gpu_paths.size() != t.gpus.size()) fail(what + " lists path classes for " + std::to_string(nic.gpu_paths.size()) + " GPUs, not " + std::to_string(t.gpus.size()));
  }
}

}  // namespace

void check_gpu_count(size_t gpus) {
  if (gpus > kMaxGpus)
    fail("the machine has " + std::to_string(gpus) + " GPUs; rigcheck handles at most " + std::to_string(kMaxGpus));
}

void validate_topology(const Topology& t) {
  if (t.pci.size() > kMaxPciNodes) fail("more PCI nodes (" + std::to_string(t.pci.size()) + ") than a machine can have");
  const Known k = check_cpu_side(t);
  check_pci(t, k);
  check_gpus(t);
  check_nics(t);
}

}  // namespace rigcheck::topology
