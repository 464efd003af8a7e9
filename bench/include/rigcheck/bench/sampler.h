#pragma once
// Adaptive sampling (README, "How rigcheck measures"): repeat a measurement until its spread is below a target or a
// sample or time cap is reached, keeping every sample and saying why it stopped. Converged means:
// at least min_samples, at most one sample in ten an outlier (> 3 robust sigmas from the median),
// and the CV of the others at or below the target.

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "rigcheck/bench/statistics.h"

namespace rigcheck::bench {

struct SamplerConfig {
  int min_samples = 5;        // never judge convergence on fewer
  int max_samples = 200;
  double target_spread = 0.005;  // CV of the non-outlier samples to stop at (0.5 %)
  double time_cap_s = 2.0;       // wall time for the whole measurement
};

enum class StopReason { converged, sample_cap, time_cap, failed };
const char* to_string(StopReason reason);

struct SamplerResult {
  std::vector<double> samples;  // every sample, in order
  SampleStats stats;            // over all samples (valid when samples is not empty)
  double robust_spread = 0;     // CV of the samples that are not outliers
  std::vector<size_t> outliers; // indexes of samples > 3 robust sigmas from the median
  StopReason stop = StopReason::failed;
  std::string failure;          // the measurement's error when stop == failed
};

// One measurement: a sample value, or an error text (the sampler stops and reports it).
struct Measurement {
  std::optional<double> value;
  std::string error;
};

// `measure` takes one sample; `now_s` is a monotonic clock in seconds (injectable for tests).
SamplerResult sample_adaptively(const SamplerConfig& config, const std::function<Measurement()>& measure,
                                const std::function<double()>& now_s);

// The same with the steady clock.
SamplerResult sample_adaptively(const SamplerConfig& config, const std::function<Measurement()>& measure);

}  // namespace rigcheck::bench
