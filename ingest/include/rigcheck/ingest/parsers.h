#pragma once
// One parser per foreign format. Each reads the lines of one block, adds what it states to the
// partial machine (GPUs, pairs, cells, collectives, events) and returns the version it detected
// ("" when the block does not say). A parser throws ParseError when the block is of its tool but
// holds nothing it can use; the importer then reports the block's line and goes on.

#include <stdexcept>
#include <string>
#include <vector>

#include "rigcheck/ingest/lines.h"
#include "rigcheck/ingest/model.h"

namespace rigcheck::ingest {

class ParseError : public std::runtime_error {
 public:
  ParseError(int line, const std::string& what) : std::runtime_error(what), line_(line) {}
  int line() const { return line_; }

 private:
  int line_;
};

struct BlockInput {
  const std::vector<Line>& lines;
  size_t begin = 0;
  size_t end = 0;
  std::string file;
  // Lines before the block (the command that was run is often there: "./all_reduce_perf -g 8").
  size_t context_begin = 0;
};

std::string parse_nvbandwidth_text(const BlockInput& in, PartialMachine& m);
std::string parse_nvbandwidth_json(const BlockInput& in, PartialMachine& m);
std::string parse_p2p_test(const BlockInput& in, PartialMachine& m);
std::string parse_nccl_tests(const BlockInput& in, PartialMachine& m);
std::string parse_smi_topo(const BlockInput& in, PartialMachine& m);
std::string parse_bandwidth_test(const BlockInput& in, PartialMachine& m);
// cuda-samples' simpleP2P and conjugateGradientMultiDeviceCG: peer access per pair, simpleP2P's
// ping-pong copy figure, and whether each sample's check of its results passed.
std::string parse_simple_p2p(const BlockInput& in, PartialMachine& m);
std::string parse_conjugate_gradient_multi_device(const BlockInput& in, PartialMachine& m);
// A JSON document among the lines (nccl-tests -J or its community --json dialect, a rigcheck
// report), cut ones included: the entries complete before the cut are read.
std::string parse_json_block(const BlockInput& in, PartialMachine& m);

// Kernel log lines (dmesg, journalctl -k) anywhere in an input: "… available PCIe bandwidth,
// limited by … link at …", "PCIe Bus Error: severity=…", "NVRM: Xid (PCI:…): N, …". Returns the
// lines' numbers (first, last) or {0, 0} when there is none.
std::pair<int, int> scan_kernel_log(const std::vector<Line>& lines, const std::string& file, PartialMachine& m);

// Kernel lines about the IOMMU anywhere in an input ("iommu: Default domain type: …", DMAR and
// AMD-Vi lines, "Kernel command line:", `cat /proc/cmdline`), decided into `m.iommu`. Same
// return as scan_kernel_log.
std::pair<int, int> scan_iommu_lines(const std::vector<Line>& lines, const std::string& file, PartialMachine& m);

// NCCL_DEBUG=INFO lines anywhere in an input: the transport of each ring/channel connection,
// "NCCL version", and P2P disabled by the environment. Same return as scan_kernel_log.
std::pair<int, int> scan_nccl_info(const std::vector<Line>& lines, const std::string& file, PartialMachine& m);

// lspci -vv/-vvv LnkCap/LnkSta lines anywhere in an input, with the device header above them
// when pasted. Same return as scan_kernel_log.
std::pair<int, int> scan_lspci_links(const std::vector<Line>& lines, const std::string& file, PartialMachine& m);

// lspci -vv/-vvv details anywhere in an input: function headers (which are NVIDIA GPUs), "NUMA
// node:" and ACSCap/ACSCtl lines. Same return as scan_kernel_log (NUMA and ACS lines only).
std::pair<int, int> scan_lspci_details(const std::vector<Line>& lines, const std::string& file, PartialMachine& m);

// `lspci -t` / `lspci -tv` trees anywhere in an input: each function with the bridge above it.
std::pair<int, int> scan_lspci_tree(const std::vector<Line>& lines, const std::string& file, PartialMachine& m);

// NCCL's topology dump (NCCL_TOPO_DUMP_FILE, <system version="1">) anywhere in an input: the
// PCI tree with link speed/width, GPUs (dev, sm, gdr, NVLinks), NICs. Same return as above.
std::pair<int, int> scan_nccl_topology_xml(const std::vector<Line>& lines, const std::string& file, PartialMachine& m);

// vLLM log lines about its custom all-reduce and P2P check. Same return as scan_kernel_log.
std::pair<int, int> scan_vllm(const std::vector<Line>& lines, const std::string& file, PartialMachine& m);

// Shared: "Aborted (core dumped)", "Segmentation fault", CUDA/NCCL error lines. Adds an event
// and returns true when `text` is one.
bool note_failure_line(const std::string& text, const std::string& test, const Provenance& at, PartialMachine& m);

}  // namespace rigcheck::ingest
