#pragma once
// The ring model: the ring NCCL builds over a set of GPUs, in rank order, with every rank sending
// to the next at the same time. Its rate is what one ring step moves per second once latency is
// amortised, which is what nccl-tests' bus bandwidth approaches. Used by the simulator (simulated
// collectives) and by the expected figures of measured ones.

#include <string>
#include <vector>

#include "rigcheck/fabric/fabric.h"

namespace rigcheck::fabric {

struct RingHop {
  int from_rank = 0;
  int to_rank = 0;
  bool p2p = false;  // direct peer path; false: staged through shared host memory (NCCL's SHM)
  // "nvswitch", "nvlink-sxm", "nvlink-bridge" (direct NVLink between PCIe cards), "pcie", "shm":
  // which NCCL efficiency (and, over PCIe, ceiling) of fabric.json applies to the hop.
  std::string transport;
  double rate_gbps = 0;  // the hop's max-min fair SM rate times that efficiency
};

struct Ring {
  std::vector<RingHop> hops;  // one per rank (none for a single rank)
  double rate_gbps = 0;       // the slowest hop's rate; 0 when there is no hop
};

// `gpus` are topology indexes in rank order. NCCL's kernels move the data (SM copies); without
// P2P, or with `p2p_disabled` (NCCL_P2P_DISABLE=1), a hop stages through host memory.
Ring ring_model(const Fabric& fabric, const std::vector<int>& gpus, bool p2p_disabled);

}  // namespace rigcheck::fabric
