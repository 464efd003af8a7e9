#pragma once
// What foreign outputs (nvbandwidth, p2pBandwidthLatencyTest, nccl-tests, nvidia-smi topo) say
// about a machine: a partial machine and the measurements, each number with where it came from.
// Plain data. Unknown stays unknown: a field that no input states is left empty or nullopt.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "rigcheck/topology/model.h"
#include "rigcheck/topology/pci_address.h"

namespace rigcheck::ingest {

// Where a figure or fact was read.
struct Provenance {
  std::string file;     // input name as given ("-" for stdin)
  int line = 0;         // 1-based line of the input
  std::string tool;     // "nvbandwidth", "p2pBandwidthLatencyTest", "nccl-tests", "nvidia-smi topo"
  std::string version;  // "v0.8", "2019-2022 era", "" when the output does not say
  uint64_t bytes = 0;   // buffer size when the output states it
  std::string method;   // "ce", "sm", "" when the output does not record it
};

struct ImportedGpu {
  int index = 0;                             // the tool's device index
  std::string name;                          // "NVIDIA GeForce RTX 4090"
  std::optional<topology::PciAddress> address;
  int numa_node = -1;                        // from topo -m NUMA Affinity
  std::string cpu_affinity;                  // from topo -m CPU Affinity
  Provenance from;
};

// What is known about one unordered GPU pair a < b.
struct ImportedPair {
  int a = 0;
  int b = 0;
  std::optional<topology::PathClass> path;  // topo -m class
  int nvlink_links = 0;                     // topo -m NV#
  std::optional<bool> p2p_granted;          // CAN/CANNOT Access Peer, topo -p2p OK/…
  std::string p2p_status;                   // the tool's own words: "CANNOT Access Peer", "N/A in nvbandwidth …"
  std::string smi_p2p;                      // nvidia-smi topo -p2p: "OK", "GNS", "NS"…; "" not given
  Provenance from;
};

// One measured number, on rigcheck's catalogue when the tool's test maps onto it.
struct ImportedCell {
  std::string test;        // rigcheck catalogue name ("host_to_device_ce") or "<tool>.<its test>"
  bool mapped = false;     // test is a rigcheck catalogue test
  std::string foreign;     // the tool's own test name ("host_to_device_memcpy_ce")
  int row = -1;            // pair tests: the tool's row GPU; per-GPU tests: -1
  int col = -1;            // pair tests: column GPU; per-GPU tests: the GPU
  double value = 0;
  std::string unit;        // "GB/s" or "ns"
  std::string status = "ok";  // "ok", "unsupported" (N/A), "corrupt"
  Provenance from;
};

// One row of an nccl-tests table.
struct CollectiveRow {
  uint64_t bytes = 0;
  uint64_t count = 0;
  std::string type;
  bool in_place = false;
  double time_us = 0;
  double algbw = 0;
  double busbw = 0;
  long wrong = -1;  // #wrong, or the error column rounded; -1 not checked (N/A)
  int line = 0;
};

// One rank line of nccl-tests ("Rank 8 Group 0 Pid 6733 on host2 device 0 [0000:04:00] NAME"),
// text or -J JSON: which host and which of its GPUs the rank drove.
struct RankDevice {
  int rank = 0;
  std::string host;
  int device = -1;          // the CUDA device index on that host
  std::string bus;          // as printed: "0x1b", "0000:1b:00"; "" when not printed
  std::string name;         // "NVIDIA H100 80GB HBM3"
};

struct ImportedCollective {
  std::string op;          // "all_reduce" … as nccl-tests names it; "" when the paste does not say
  int ranks = 0;           // rank lines seen
  int hosts = 0;           // distinct hostnames in the rank lines
  bool one_process = true; // all ranks in one Pid (nThread/-g), else one process per rank
  int headers = 0;         // "nThread … nGpus" headers in the block
  int avg_lines = 0;       // "Avg bus bandwidth" lines in the block
  std::optional<double> avg_busbw;
  bool complete = false;   // the footer was reached
  std::vector<RankDevice> rank_devices;  // in rank order, every host's
  std::vector<CollectiveRow> rows;
  Provenance from;
};

// Something the output shows went wrong, or that the output is incomplete.
struct Event {
  enum class Kind { corrupt, crash, error, truncated, unparsed, waived };
  Kind kind = Kind::error;
  std::string test;    // the tool's test running at the time, when known
  std::string text;    // the line(s) as printed
  Provenance from;
};

// A kernel log line about a PCIe device: a link limited at enumeration, an AER error, an Xid.
struct KernelEvent {
  enum class Kind { link_limited, aer_corrected, aer_uncorrected, xid };
  Kind kind = Kind::link_limited;
  std::string device;      // BDF the line is about ("0000:01:00.0"); Xid lines give "0000:02:00"
  std::string limited_at;  // link_limited: the port that limits ("0000:00:01.0")
  std::string limited_to;  // link_limited: "8.0 GT/s PCIe x8"
  std::string capable_of;  // link_limited: "16.0 GT/s PCIe x16"
  int xid = 0;
  std::string text;        // the line, from the device name on
  Provenance from;
};

// A PCIe function's link as lspci -vv prints it (LnkCap: what it can do, LnkSta: what it runs at
// now). gen/width 0 = not printed (or "Speed unknown" from an lspci too old for the speed).
struct LspciLink {
  std::string device;   // "0000:62:00.0"; "" when the paste lacks the device's header line
  std::string name;     // "NVIDIA Corporation AD102 [GeForce RTX 4090]"
  topology::LinkState cap;
  topology::LinkState sta;
  bool speed_downgraded = false;  // "(downgraded)" after the speed (pciutils 3.6+)
  bool width_downgraded = false;
  Provenance from;      // the LnkSta line
};

// What NCCL_DEBUG=INFO lines say about the transports NCCL chose between ranks.
struct NcclTransports {
  int p2p = 0;   // connections via P2P/… (IPC, CUMEM, direct pointer, read)
  int shm = 0;   // via SHM/… or "direct shared memory": through host memory
  int net = 0;   // via NET/… (IB, Socket, plugins)
  std::string format;          // "Ring (NCCL <= 2.6)", "Channel NN (2.7-2.13)", "Channel NN/N (2.14+)"
  bool p2p_disabled = false;   // "NCCL_P2P_DISABLE set by environment to 1", "P2P is disabled …"
  Provenance from;             // the first transport line
};

// vLLM's own verdicts on P2P, from its log lines.
struct VllmSignals {
  int p2p_failed = 0;        // "Custom allreduce is disabled because your platform lacks GPU P2P capability or P2P test failed"
  int pcie_only = 0;         // "… not supported on more than two PCIe-only GPUs"
  std::string cache_file;    // "reading GPU P2P access cache from …": the verdict may be a stale cached one
  Provenance from;           // the first such line
};

// A PCI function's place in the tree, from `lspci -tv` or NCCL's topology XML: the bridge above
// it, so GPUs behind one switch can be told from GPUs on their own root ports.
struct ImportedPciNode {
  std::string device;        // "0000:03:00.0"
  std::string parent;        // BDF of the bridge above it; "" when it sits on a root bus
  std::string root_bus;      // "0000:00": the root bus its branch starts at
  bool bridge = false;       // it has buses below it (lspci -tv "-[04-10]", an XML <pci> with children)
  std::string name;          // lspci -tv's device name, when printed
  uint16_t vendor_id = 0;    // XML only
  uint16_t device_id = 0;
  uint16_t class_id = 0;     // base class << 8 | subclass (XML "0x030200" -> 0x0302)
  topology::LinkState link;  // XML link_speed/link_width: the maximum (sysfs max_link_*), not the current state
  int numa_node = -1;        // XML: the <cpu numaid> it hangs off
  Provenance from;
};

// What lspci -vv/-vvv says of one function besides its link (LspciLink): its class, NUMA node
// and ACS. A paste of `lspci -vvv | grep ACSCtl` gives ACS lines without their device.
struct LspciFunction {
  std::string device;        // "0000:c1:00.0"; "" when the paste lacks the device's header line
  std::string name;          // "NVIDIA Corporation AD102GL [RTX 6000 Ada Generation]"
  bool nvidia_gpu = false;   // class "VGA compatible controller" or "3D controller", vendor NVIDIA
  int numa_node = -1;        // "NUMA node: 1"
  std::optional<topology::AcsState> acs;  // ACSCap (capability) and ACSCtl (control), shown to root only
  bool acs_control_known = false;         // the ACSCtl line was there
  Provenance from;           // the header line, or the first ACS line when there is no header
};

// The IOMMU as pasted kernel lines and command lines state it: "iommu: Default domain type:
// Translated|Passthrough", an IOMMU unit coming up ("DMAR: IOMMU enabled", "AMD-Vi: …"), the boot
// command line (dmesg's "Kernel command line:", `cat /proc/cmdline`). `mode` stays unknown unless
// the lines decide it (iommu_lines.cpp says how); `lines` are the lines it was read from.
struct ImportedIommu {
  topology::IommuMode mode = topology::IommuMode::unknown;
  std::string domain_type;   // "Translated", "Passthrough": the kernel's default domain line
  bool unit_active = false;  // a line shows an IOMMU unit enabled (DMAR, AMD-Vi, devices added to groups)
  std::string cmdline;       // the command line's IOMMU/PCI words (topology::diagnostic_kernel_parameters)
  std::string gpu_fault;     // the NVIDIA function an IOMMU page fault names ("0000:07:00.0"), "" when none
  std::vector<std::string> lines;  // "file:line: text" of each line the state was read from (at most 8)
  std::string why;           // how the lines decided the mode, or why they did not
};

// A network device NCCL found (topology XML <net>), with the PCI function it sits on.
struct ImportedNic {
  std::string name;          // "mlx5_0"
  std::string device;        // "0000:35:00.0", "" when not stated
  int speed_mbps = 0;        // XML speed="400000"
  std::optional<bool> gdr;   // GPUDirect RDMA possible per NCCL
  Provenance from;
};

// A GPU as NCCL's topology XML states it (<pci busid> + <gpu dev sm gdr>, <nvlink> children).
struct NcclXmlGpu {
  std::string device;        // "0000:99:00.0"
  int dev = -1;              // CUDA device ordinal in the dumping process
  int sm = 0;                // compute capability x10 ("86")
  std::optional<bool> gdr;
  struct NvLink {
    std::string target;      // the peer's BDF, "fffffff:ff:ff.0"-style for an NVSwitch
    int count = 0;
    uint32_t target_class = 0;  // 0x030200 GPU, 0x068000 NVSwitch (bridge class), 0x060400 CPU
  };
  std::vector<NvLink> nvlinks;
  Provenance from;
};

// One recognised block of an input.
struct Block {
  std::string tool;
  std::string version;
  int first_line = 0;
  int last_line = 0;
};

struct InputFile {
  std::string name;
  std::string sha256;
  uint64_t bytes = 0;
  std::vector<Block> blocks;
};

struct Versions {
  std::string nvidia_driver;
  int cuda_driver = 0;   // 12040
  int cuda_runtime = 0;
  int nccl = 0;          // 22907
};

// The GPUs of one host that an input names (nccl-tests rank lines of a multi-node run). The
// machine model is one host's (`gpus`, the first host's); the others are kept here, per host.
struct ImportedHost {
  std::string name;                 // "ztan-mig-gq73"
  std::vector<ImportedGpu> gpus;    // by the host's device index
};

struct PartialMachine {
  std::vector<InputFile> inputs;
  std::vector<ImportedGpu> gpus;    // by index
  std::vector<ImportedPair> pairs;  // a < b
  std::vector<std::string> nics;    // topo -m NIC legend names
  Versions versions;
  std::vector<ImportedCell> cells;
  std::vector<ImportedCollective> collectives;
  std::vector<ImportedHost> hosts;  // every host rank lines name, the first one included
  std::vector<Event> events;
  std::vector<KernelEvent> kernel;
  NcclTransports nccl;
  std::vector<LspciLink> lspci;
  VllmSignals vllm;
  std::vector<ImportedPciNode> pci_tree;  // lspci -tv, NCCL topology XML
  std::vector<LspciFunction> lspci_functions;  // lspci -vv/-vvv headers, NUMA node, ACSCap/ACSCtl
  std::vector<ImportedNic> nic_devices;   // NCCL topology XML <net>; names also in `nics`
  std::vector<NcclXmlGpu> xml_gpus;       // NCCL topology XML <gpu>
  ImportedIommu iommu;                    // kernel log IOMMU lines, kernel command lines
  // A rigcheck report's own machine, when one was imported: the machine model takes it whole
  // instead of assuming what the other tools do not say.
  std::optional<topology::Topology> reported_topology;
  std::vector<std::string> cannot_show;  // what the inputs cannot tell, said once each
  std::vector<std::string> conflicts;    // inputs that disagree about the machine ("GPU0 is A here, B there")
};

const char* to_string(Event::Kind k);

// The GPU with this index, added (with what is known) when missing.
ImportedGpu& gpu_at(PartialMachine& m, int index);
// The pair entry for a and b (any order), added when missing.
ImportedPair& pair_at(PartialMachine& m, int a, int b);
const ImportedPair* find_pair(const PartialMachine& m, int a, int b);
void say_cannot_show(PartialMachine& m, const std::string& what);

// Gives GPU `index` the name a tool printed; a different name already given by another line is
// recorded as a conflict (the inputs come from different machines) and the first name is kept.
void name_gpu(PartialMachine& m, int index, const std::string& name, const Provenance& at);

// Records a rank line's GPU under its host in `m.hosts` (added when missing) and on the
// collective; the first host's GPUs are also the machine's own (`gpu_at`, `name_gpu`), done by
// the caller. `bdf` is the address the bus bracket gives, "" when none.
void note_rank_device(PartialMachine& m, ImportedCollective& c, const RankDevice& r, const std::string& bdf, const Provenance& at);

}  // namespace rigcheck::ingest
