#pragma once
// The GPUs' NVLink when no input states it (no nvidia-smi topo -m, no NCCL topology XML), from
// what the GPU model implies. An SXM part is always wired by NVLink on its baseboard, so the
// PCIe-only machine the import otherwise assumes is known to be wrong for it; how the links are
// laid out depends on the board:
//  * 8 GPUs of NVLink 3 or later (HGX A100, HGX H100/H200 8-GPU): all eight on NVSwitch, every
//    link of each GPU to the switches (HGX H100: NVIDIA, "Upgrading Multi-GPU Interconnectivity
//    with the Third-Generation NVIDIA NVSwitch", developer.nvidia.com/blog; 8x A100 SXM4 on
//    NVSwitch: NVIDIA/nccl-tests#149);
//  * anything else (4-GPU boards wire GPUs to each other directly, the 8-GPU P100/V100 boards in
//    a hybrid cube-mesh, a CUDA_VISIBLE_DEVICES subset of a board): unknown.
// PCIe cards are left to the PCIe model (their NVLink bridge is optional, and the staged PCIe
// figure is a lower bound for them, which the evidence says).

#include <string>

#include "rigcheck/ingest/model.h"

namespace rigcheck::ingest {

struct ImpliedNvlink {
  bool nvswitch = false;   // assume every GPU on NVSwitch with `links` links
  int links = 0;
  std::string assumption;  // "NVLink 3, 12 links per GPU to NVSwitch, as on 8-GPU HGX boards of A100 SXM4 80GB"
  std::string unknown;     // not empty: SXM GPUs whose NVLink layout nothing supports (the reason)
};

// Nothing (neither field set) when an input states the GPUs' links or the GPUs are not SXM parts
// with NVLink in rigcheck's model table.
ImpliedNvlink implied_nvlink(const PartialMachine& m);

}  // namespace rigcheck::ingest
