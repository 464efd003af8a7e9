#pragma once
// Samples the uplinks of the PCIe switches above the GPUs (each switch's upstream port: its link
// is the one every GPU behind the switch shares to the host) from sysfs while a transfer runs.
// NVML reports only the GPUs' own links, and at rest a switch link may run below its generation
// to save power (local-inference-lab/rtx6kpro#88), so only a state seen under load says whether a
// switch uplink really trained low. Reads current_link_speed/current_link_width
// (Documentation/ABI/testing/sysfs-bus-pci in the kernel tree) through a RootedFs, so tests run it
// on a generated tree.

#include <string>
#include <vector>

#include "rigcheck/bench/link_sampling.h"
#include "rigcheck/fabric/transfer.h"
#include "rigcheck/topology/model.h"
#include "rigcheck/topology/rooted_fs.h"

namespace rigcheck::bench {

struct UplinkObservation {
  int pci_node = -1;              // the switch upstream port's PciNode id
  std::string address;            // its PCI address ("0000:02:00.0")
  topology::LinkState min_link;   // lowest gen and width seen
  topology::LinkState max_link;   // highest gen and width seen
  int samples = 0;
  bool operator==(const UplinkObservation&) const = default;
};

// Folds `more` into `into`, switch by switch.
void merge_uplinks(std::vector<UplinkObservation>& into, const std::vector<UplinkObservation>& more);

// The switch upstream ports on the way from `gpus` to the host (not the chipset's own bridges),
// as PciNode ids, each once.
std::vector<int> switch_uplinks_above(const topology::Topology& t, const std::vector<int>& gpus);

// The switch uplinks a group of transfers loads: every one above the GPU of a host copy; for a
// copy between two GPUs without NVLink, those above one GPU and not the other (a pair below one
// switch never crosses its uplink, and judging an idle uplink "under load" would be a false
// alarm); none for an NVLink pair. Host-staged peer copies are counted as peer copies, so an
// uplink they cross may go unsampled, never the other way round.
std::vector<int> switch_uplinks_crossed(const topology::Topology& t, const std::vector<fabric::Transfer>& transfers);

class UplinkMonitor {
 public:
  // `nodes`: PciNode ids of switch upstream ports with an address (switch_uplinks_above).
  UplinkMonitor(const topology::RootedFs& fs, const topology::Topology& t, std::vector<int> nodes, int period_us = 5000);
  ~UplinkMonitor();
  UplinkMonitor(const UplinkMonitor&) = delete;
  UplinkMonitor& operator=(const UplinkMonitor&) = delete;

  void start();
  // Takes a last sample (so a transfer shorter than one period is still seen) and returns what
  // was seen; a port whose files could not be read is left out.
  std::vector<UplinkObservation> stop();

 private:
  void sample_once();

  const topology::RootedFs& fs_;
  std::vector<UplinkObservation> obs_;  // one per node, pci_node and address set
  int period_us_;
  detail::SamplingThread sampler_;  // last: joined before the observations go
};

}  // namespace rigcheck::bench
