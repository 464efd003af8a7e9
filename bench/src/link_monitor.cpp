#include "rigcheck/bench/link_monitor.h"

#include <algorithm>

namespace rigcheck::bench {

namespace {

void fold(LinkObservation& into, const LinkObservation& o) {
  if (o.samples == 0) return;
  detail::fold_link_range(into, o);
  into.min_sm_clock_mhz = into.samples ? std::min(into.min_sm_clock_mhz, o.min_sm_clock_mhz) : o.min_sm_clock_mhz;
  into.max_sm_clock_mhz = std::max(into.max_sm_clock_mhz, o.max_sm_clock_mhz);
  into.clock_event_reasons |= o.clock_event_reasons;
  if (o.replay_delta) into.replay_delta = into.replay_delta.value_or(0) + *o.replay_delta;
  into.samples += o.samples;
}

}  // namespace

void merge_observations(std::vector<LinkObservation>& into, const std::vector<LinkObservation>& more) {
  for (const auto& o : more) {
    auto it = std::find_if(into.begin(), into.end(), [&](const LinkObservation& x) { return x.gpu == o.gpu; });
    if (it == into.end()) into.push_back(o);
    else fold(*it, o);
  }
}

LinkMonitor::LinkMonitor(const topology::Nvml& nvml, std::vector<Target> targets, int period_us)
    : nvml_(nvml), targets_(std::move(targets)), period_us_(period_us) {}

LinkMonitor::~LinkMonitor() {
  if (sampler_.running()) stop();
}

void LinkMonitor::sample_once() {
  for (size_t i = 0; i < targets_.size(); ++i) {
    LinkObservation one;
    one.gpu = targets_[i].gpu;
    one.min_link = one.max_link = nvml_.current_link(targets_[i].device);
    unsigned clock = nvml_.sm_clock_mhz(targets_[i].device).value_or(0);
    one.min_sm_clock_mhz = one.max_sm_clock_mhz = clock;
    one.clock_event_reasons = nvml_.clock_event_reasons(targets_[i].device).value_or(0);
    one.samples = 1;
    fold(obs_[i], one);
  }
}

void LinkMonitor::start() {
  obs_.assign(targets_.size(), LinkObservation{});
  replay_before_.clear();
  for (size_t i = 0; i < targets_.size(); ++i) {
    obs_[i].gpu = targets_[i].gpu;
    replay_before_.push_back(nvml_.pcie_replay_counter(targets_[i].device));
  }
  sampler_.start([this] { sample_once(); }, period_us_);
}

std::vector<LinkObservation> LinkMonitor::stop() {
  sampler_.stop();
  if (std::all_of(obs_.begin(), obs_.end(), [](const LinkObservation& o) { return o.samples == 0; })) sample_once();
  for (size_t i = 0; i < targets_.size(); ++i) {
    auto after = nvml_.pcie_replay_counter(targets_[i].device);
    if (after && replay_before_[i] && *after >= *replay_before_[i]) obs_[i].replay_delta = *after - *replay_before_[i];
  }
  return obs_;
}

}  // namespace rigcheck::bench
