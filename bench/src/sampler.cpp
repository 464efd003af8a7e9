#include "rigcheck/bench/sampler.h"

#include <algorithm>
#include <chrono>
#include <cmath>

namespace rigcheck::bench {

const char* to_string(StopReason reason) {
  switch (reason) {
    case StopReason::converged: return "converged";
    case StopReason::sample_cap: return "sample_cap";
    case StopReason::time_cap: return "time_cap";
    case StopReason::failed: return "failed";
  }
  return "?";
}

namespace {

// CV of the samples that are not outliers.
double inlier_spread(const std::vector<double>& samples, const std::vector<size_t>& outliers) {
  std::vector<double> inliers;
  inliers.reserve(samples.size());
  for (size_t i = 0, o = 0; i < samples.size(); ++i) {
    if (o < outliers.size() && outliers[o] == i) ++o;
    else inliers.push_back(samples[i]);
  }
  return inliers.empty() ? 0 : summarize(inliers).cv;
}

// At most one sample in ten (and always one) may be set aside as an outlier. More than that is
// not noise around a stable value but a measurement that alternates between states (a link
// retraining, a clock boost), and it must not be called converged.
bool few_outliers(size_t outliers, size_t n) { return outliers <= std::max<size_t>(1, n / 10); }

void finish(SamplerResult& r) {
  if (r.samples.empty()) return;
  r.stats = summarize(r.samples);
  r.outliers = outlier_indexes(r.samples);
  r.robust_spread = inlier_spread(r.samples, r.outliers);
}

}  // namespace

SamplerResult sample_adaptively(const SamplerConfig& config, const std::function<Measurement()>& measure,
                                const std::function<double()>& now_s) {
  SamplerResult r;
  const double start = now_s();
  for (;;) {
    Measurement m = measure();
    if (!m.value || !std::isfinite(*m.value)) {
      r.stop = StopReason::failed;
      r.failure = m.error.empty() ? "the measurement gave no value" : m.error;
      break;
    }
    r.samples.push_back(*m.value);
    const int n = static_cast<int>(r.samples.size());
    // The spread ignores the odd slow sample, so one hiccup does not keep a stable measurement
    // running to the cap; every sample is still reported.
    if (n >= config.min_samples) {
      auto outliers = outlier_indexes(r.samples);
      if (few_outliers(outliers.size(), r.samples.size()) && inlier_spread(r.samples, outliers) <= config.target_spread) {
        r.stop = StopReason::converged;
        break;
      }
    }
    if (n >= config.max_samples) {
      r.stop = StopReason::sample_cap;
      break;
    }
    if (now_s() - start >= config.time_cap_s) {
      r.stop = StopReason::time_cap;
      break;
    }
  }
  finish(r);
  return r;
}

SamplerResult sample_adaptively(const SamplerConfig& config, const std::function<Measurement()>& measure) {
  return sample_adaptively(config, measure, [] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
  });
}

}  // namespace rigcheck::bench
