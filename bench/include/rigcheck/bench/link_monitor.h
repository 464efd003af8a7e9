#pragma once
// Samples each GPU's PCIe link, SM clock and throttle reasons through NVML while a transfer runs,
// and reads the PCIe replay counter before and after. An idle GPU's link sits at Gen1, so only
// values seen under load say whether a link is really downtrained.

#include <cstdint>
#include <optional>
#include <vector>

#include "rigcheck/bench/link_sampling.h"
#include "rigcheck/topology/nvml.h"

namespace rigcheck::bench {

struct LinkObservation {
  int gpu = -1;
  topology::LinkState min_link;      // lowest gen and width seen
  topology::LinkState max_link;      // highest gen and width seen
  unsigned min_sm_clock_mhz = 0;
  unsigned max_sm_clock_mhz = 0;
  uint64_t clock_event_reasons = 0;  // union of the throttle reason bits seen
  std::optional<unsigned> replay_delta;  // PCIe replays during the transfer
  int samples = 0;
};

// Folds `more` (another sample's observations) into `into`, GPU by GPU.
void merge_observations(std::vector<LinkObservation>& into, const std::vector<LinkObservation>& more);

class LinkMonitor {
 public:
  struct Target {
    int gpu;
    topology::Nvml::Device device;
  };
  LinkMonitor(const topology::Nvml& nvml, std::vector<Target> targets, int period_us = 5000);
  ~LinkMonitor();
  LinkMonitor(const LinkMonitor&) = delete;
  LinkMonitor& operator=(const LinkMonitor&) = delete;

  void start();
  std::vector<LinkObservation> stop();

 private:
  void sample_once();

  const topology::Nvml& nvml_;
  std::vector<Target> targets_;
  int period_us_;
  std::vector<LinkObservation> obs_;
  std::vector<std::optional<unsigned>> replay_before_;
  detail::SamplingThread sampler_;  // last: joined before the observations go
};

}  // namespace rigcheck::bench
