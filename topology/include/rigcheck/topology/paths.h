#pragma once
// Paths through the PCI tree: lowest common ancestor, nvidia-smi path classes, bottleneck links.
// Works on the model only (never on hwloc objects: hwloc 2.9's common-ancestor helper crashes on
// I/O objects whose paths differ in length).

#include <optional>
#include <vector>

#include "rigcheck/topology/model.h"

namespace rigcheck::topology {

// The deepest PCI node that is an ancestor of (or equal to) both; -1 when they are under
// different root buses.
int lowest_common_ancestor(const Topology& t, int a, int b);

// Bridges strictly between `node` and its ancestor `ancestor`.
int bridges_between(const Topology& t, int node, int ancestor);

// Bridges on the PCIe path between two nodes below their lowest common ancestor (all the way up
// to the root buses when they are under different ones): `a`'s side first, nearest first.
std::vector<int> bridges_on_path(const Topology& t, int a, int b);

// Path class of two PCI nodes (GPUs): PIX/PXB below a common switch, PHB at a common host bridge,
// NODE across root buses within one NUMA node, SYS across NUMA nodes or sockets.
PathClass classify_path(const Topology& t, int a, int b);

// Theoretical one-direction GB/s of a node's upstream link: from max gen/width when known,
// else hwloc's current figure. 0 when unknown.
double link_gbps(const PciLink& link);

// The chipset's uplink above a node behind an Intel PCH root port (DMI, invisible to PCI, so
// its capacity is assumed and says so); nullopt elsewhere. AMD chipsets are PCIe switches whose
// uplink is an ordinary link in the tree.
std::optional<Bottleneck> chipset_uplink(const Topology& t, int node);

// Slowest link between a node and its root bus (plus the chipset uplink for chipset-attached nodes).
Bottleneck host_path_bottleneck(const Topology& t, int node);

// Fills each Nic's PCIe link and its path class to every GPU (the classes NCCL uses to decide
// whether GPUDirect RDMA is worth it: PIX/PXB through a switch, PHB and beyond through the CPU).
void compute_nic_paths(Topology& t);

// Fills Gpu::host_path and Topology::pairs (classes, NVLink, bottlenecks) from the tree, and the
// NICs' paths (compute_nic_paths). P2P support already present in `pairs` is kept.
void compute_paths(Topology& t);

}  // namespace rigcheck::topology
