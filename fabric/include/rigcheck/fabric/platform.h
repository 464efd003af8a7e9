#pragma once
// The CPU platform of a machine and the links between its sockets (Intel QPI/UPI, AMD xGMI), from
// fabric/data/platforms.json (embedded, each row with its source), matched on the CPU model name.

#include <string>
#include <vector>

#include "rigcheck/topology/model.h"

namespace rigcheck::fabric {

struct Platform {
  std::string id;            // "intel-icelake-3upi", "unknown"
  std::string name;          // "Intel Xeon Scalable 3rd gen Gold/Platinum (Ice Lake)"
  std::string interconnect;  // "UPI", "QPI", "xGMI"
  int links = 0;             // socket-to-socket links
  double gt_s = 0;           // per link
  std::string source;
  // Whether the stock driver grants PCIe P2P between GPUs whose path crosses the sockets (SYS):
  // Intel QPI/UPI platforms do not, AMD xGMI ones do. What a pair's measured or stated grant says
  // always wins; this is the policy for a pair nothing states (a rig's stock P2P).
  bool cross_socket_p2p = true;
  std::string cross_socket_p2p_source;
  // The share of its rate that P2P forwarded by the root complex to another of its ports keeps on
  // the source GPU's links up to it (Intel: 64-byte TLPs, 1/1.2); 0: no platform figure, only the fabric
  // constant root_complex_p2p_gbps (fitted on AMD) bounds it.
  double root_complex_p2p_share = 0;
  std::string root_complex_source;
  // The share of one socket link's line rate that one stream crossing it gets, where the platform
  // has a measured figure of its own (Turin); 0: fabric.json's socket_link_efficiency applies.
  double socket_link_efficiency = 0;
  std::string socket_link_source;
  // The DRAM line rate of one socket (channels x MT/s x 8 bytes), shared by its NUMA nodes; 0: no
  // figure, each NUMA node takes fabric.json's host_memory_gbps (an assumption).
  double memory_gbps = 0;
  std::string memory_source;
  // What all the DMA below one host bridge (PCI root bus) moves to or from host memory together,
  // each way, where the platform has a measured figure (Threadripper PRO 7000: an IOD quadrant's
  // path); delivered copy-engine bytes, not a line rate. 0: no such limit is known.
  double host_bridge_dma_gbps = 0;
  std::string host_bridge_dma_source;
  bool known = false;        // false: no row matched the CPU model, this is the stated default

  // One link's line rate in one direction: 2 bytes per transfer.
  double link_gbps() const { return gt_s * 2.0; }
  // Line rate of all links, one direction.
  double socket_gbps() const { return link_gbps() * links; }
};

// Every row of the table, the default last.
const std::vector<Platform>& platform_table();

// The row whose pattern matches `cpu_model` (case-insensitive), or the default row (known = false).
const Platform& platform_for_cpu(const std::string& cpu_model);

// The platform of a topology: its first package with a model name ("" → the default).
const Platform& platform_of(const topology::Topology& t);

// "Intel Xeon ... (Ice Lake), 3 UPI links at 11.2 GT/s" or "unknown platform (CPU "..."): assumed ...".
std::string describe(const Platform& p, const topology::Topology& t);

}  // namespace rigcheck::fabric
