#pragma once
// The topology model (docs/architecture.md, "Data flow"): plain data, no behaviour. It is what `rigcheck topo --json`
// writes and what `--simulate` will read, so every field is serialised (see json.h).

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "rigcheck/topology/nic.h"
#include "rigcheck/topology/pci_address.h"
#include "rigcheck/topology/pcie_link.h"

namespace rigcheck::topology {

inline constexpr const char* kTopologySchema = "rigcheck.topology/1";

// ACS (Access Control Services) extended capability of a bridge, raw 16-bit registers.
struct AcsState {
  uint16_t capability = 0;
  uint16_t control = 0;

  static constexpr uint16_t kSourceValidation = 0x0001;
  static constexpr uint16_t kTranslationBlocking = 0x0002;
  static constexpr uint16_t kRequestRedirect = 0x0004;
  static constexpr uint16_t kCompletionRedirect = 0x0008;
  static constexpr uint16_t kUpstreamForwarding = 0x0010;
  static constexpr uint16_t kEgressControl = 0x0020;
  static constexpr uint16_t kDirectTranslatedP2P = 0x0040;

  // Request/completion redirect or egress control enabled: peer-to-peer traffic through this
  // bridge is sent up to the root complex (and the IOMMU) instead of being routed directly.
  bool redirects_p2p() const {
    return (control & (kRequestRedirect | kCompletionRedirect | kEgressControl)) != 0;
  }
  bool operator==(const AcsState&) const = default;
};

// The PCIe link between a function and the port above it (one link, seen from its lower end).
struct PciLink {
  LinkState max;         // what the link can train to: min(device capability, port capability)
  LinkState device_max;  // the function's own LNKCAP
  LinkState port_max;    // the upstream port's LNKCAP (the slot); unknown when not readable
  LinkState current;     // LNKSTA when read; idle GPUs drop to Gen1, so only meaningful under load
  double current_gbps = 0;  // hwloc's combined current figure, kept when gen/width are unknown
  std::string source;       // "config" (libpci), "sysfs" (link files), "hwloc" (XML attribute)
  bool operator==(const PciLink&) const = default;
};

enum class PciKind {
  host_bridge,        // a PCI root bus (synthesised by hwloc; no BDF)
  root_port,          // CPU or chipset root port
  switch_upstream,    // upstream port of a PCIe switch (PLX/Broadcom, or an AMD chipset)
  switch_downstream,  // downstream port of a PCIe switch
  pci_bridge,         // any other bridge (PCIe-to-PCI, unknown)
  endpoint,           // a device: GPU, NVSwitch, NIC, NVMe…
};

// Root ports, switch ports and other bridges (not host bridges, not devices).
inline bool is_bridge(PciKind kind) { return kind != PciKind::endpoint && kind != PciKind::host_bridge; }

struct PciNode {
  int id = 0;       // index in Topology::pci
  int parent = -1;  // index of the parent node, -1 for host bridges
  PciKind kind = PciKind::endpoint;
  std::optional<PciAddress> address;  // absent for host bridges
  // Host bridges only: the root bus range they cover.
  uint32_t domain = 0;
  int secondary_bus = -1;
  int subordinate_bus = -1;
  uint16_t vendor_id = 0;
  uint16_t device_id = 0;
  uint16_t class_id = 0;  // base class << 8 | subclass (0x0302 3D controller, 0x0604 bridge)
  std::string name;       // "NVIDIA Corporation GA102 [GeForce RTX 3090]" when a name database knows it
  std::optional<PciLink> link;  // link to the parent port (absent for host bridges and internal switch paths)
  std::optional<AcsState> acs;  // bridges only, when config space was readable
  std::optional<uint32_t> aer_correctable_status;  // AER correctable error status register
  bool chipset = false;   // this bridge belongs to the chipset (PCH/Promontory) or is below one
  int config_bytes = 0;   // bytes of config space that could be read (64 when not root)
  std::string driver;     // bound kernel driver, from sysfs
  int iommu_group = -1;
  // Host bridges: where they attach on the CPU side.
  int package = -1;
  std::vector<int> numa_nodes;
  std::string local_cpus;  // cpulist of the CPUs local to this root bus
  bool operator==(const PciNode&) const = default;
};

// The slowest link on a path, kept with the reason so a report can say which link limits what.
struct Bottleneck {
  double gbps = 0;         // theoretical one-direction GB/s of that link; 0 when unknown
  std::string kind;        // "pcie", "nvlink", "dmi", "inter-socket", "unknown"
  std::string where;       // human text: "0000:02:08.0 -> 0000:03:00.0 Gen3 x16"
  int node = -1;           // PCI node whose upstream link it is, when a PCIe link
  bool operator==(const Bottleneck&) const = default;
};

struct NvLinkBundle {
  std::string remote_kind;  // "gpu", "nvswitch", "cpu"
  int remote_gpu = -1;      // GPU index when remote_kind == "gpu"
  std::string remote;       // BDF of the remote GPU/NVSwitch, or "package N" for a CPU
  int links = 0;
  int version = 0;          // NVLink generation (1..5), 0 when not known
  double gbps_per_link = 0; // one direction
  bool operator==(const NvLinkBundle&) const = default;
};

struct Gpu {
  int index = 0;   // rigcheck's index: GPUs in PCI bus order (nvidia-smi's order)
  int node = -1;   // PciNode id
  PciAddress address;
  uint16_t vendor_id = 0;
  uint16_t device_id = 0;
  std::string name;
  std::string architecture;     // "Ampere", from the GPU model table
  std::string compute_capability;  // "8.6"
  uint64_t memory_bytes = 0;
  uint64_t bar1_bytes = 0;      // 0 when not known
  int numa_node = -1;           // -1 when unknown or ambiguous
  std::string local_cpus;       // cpulist "0-11,24-35"
  int cuda_index = -1;          // CUDA device ordinal, joined by BDF
  std::optional<int> gpu_max_gen;  // the GPU's own capability (NVML, or the model table)
  std::vector<NvLinkBundle> nvlink;
  Bottleneck host_path;         // slowest link between the GPU and its CPU
  bool chipset_attached = false;
  bool operator==(const Gpu&) const = default;
};

enum class PathClass { same, pix, pxb, phb, node, sys, unknown };

struct P2PSupport {
  std::optional<bool> cuda;     // cudaDeviceCanAccessPeer both ways
  std::string nvml_read;        // NVML P2P status for reads: "OK", "GPU_NOT_SUPPORTED", …; "" unknown
  bool operator==(const P2PSupport&) const = default;
};

struct GpuPair {
  int a = 0;
  int b = 0;
  PathClass pcie = PathClass::unknown;  // PCIe path class as nvidia-smi names it
  int nvlink_links = 0;   // direct links, or through NVSwitches the links each GPU has to the fabric
  bool via_nvswitch = false;
  Bottleneck bottleneck;  // of the path traffic between them takes (NVLink when present)
  P2PSupport p2p;
  bool operator==(const GpuPair&) const = default;
};

struct NumaNode {
  int os_index = 0;
  int package = -1;
  std::string cpus;  // cpulist
  uint64_t memory_bytes = 0;
  bool operator==(const NumaNode&) const = default;
};

struct Package {
  int os_index = 0;
  std::string cpus;
  std::string model;
  bool operator==(const Package&) const = default;
};

enum class IommuMode { unknown, off, passthrough, translated };

struct SystemState {
  std::string kernel;
  std::string cmdline;
  IommuMode iommu = IommuMode::unknown;
  std::vector<std::string> iommu_evidence;  // what the mode was decided from
  std::string nvidia_driver;                // "580.82.07", "" when not loaded
  std::map<std::string, std::string> nvidia_params;  // /proc/driver/nvidia/params
  int cuda_driver_version = 0;   // 13000 = 13.0; 0 when no driver
  int cuda_runtime_version = 0;  // of the build, 0 when built without CUDA
  int nccl_version = 0;          // 22809 = 2.28.9; 0 when built without NCCL
  std::optional<bool> root;      // whether discovery ran as root (unknown for files)
  std::optional<bool> config_space_restricted;  // only 64 bytes of config space readable
  GpuDirectRdma gpudirect_rdma;
  // The NCCL variables that choose the network and its transport (NCCL_SOCKET_IFNAME, NCCL_IB_HCA,
  // NCCL_NET_GDR_LEVEL, …: kNcclNetworkVariables in system_state.h) that were set, name to value.
  std::map<std::string, std::string> nccl_network_env;
  bool operator==(const SystemState&) const = default;
};

// One line of what discovery could not read, and why. Shown to the user as is.
struct Note {
  std::string source;   // "nvml", "cuda", "pci", "hwloc", "sysfs", "gpu"
  std::string message;
  bool operator==(const Note&) const = default;
};

struct Source {
  std::string kind;     // "live", "fsroot", "xml", "json"
  std::string xml;
  std::string pci_dump;
  std::string fsroot;
  bool operator==(const Source&) const = default;
};

struct Topology {
  std::string schema = kTopologySchema;
  Source source;
  std::string machine;  // DMI product or platform model, when known
  std::vector<Package> packages;
  std::vector<NumaNode> numa_nodes;
  std::vector<PciNode> pci;
  std::vector<Gpu> gpus;
  std::vector<GpuPair> pairs;  // every unordered pair a < b
  std::vector<Nic> nics;       // network adapters, in PCI address order
  SystemState system;
  std::vector<Note> notes;
  bool operator==(const Topology&) const = default;

  const GpuPair* pair(int a, int b) const;
};

const char* to_string(PciKind kind);
const char* to_string(PathClass cls);  // "X", "PIX", "PXB", "PHB", "NODE", "SYS", "?"

// Whether the links' current state was read from a machine at rest (discovered live, a fake
// root, an hwloc XML): GPUs, and switches after them, drop their links below their generation to
// save power when idle. Rig files describe the links as they run under load.
bool links_read_at_rest(const Topology& t);
const char* to_string(IommuMode mode);

}  // namespace rigcheck::topology
