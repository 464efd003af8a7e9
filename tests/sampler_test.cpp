// Statistics and the adaptive sampler: hand-computed values, convergence, outliers, the caps and
// the failure path, with an injected clock so time is deterministic.

#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>

#include "rigcheck/bench/sampler.h"
#include "rigcheck/bench/statistics.h"

using namespace rigcheck::bench;

TEST(Statistics, HandComputedValues) {
  std::vector<double> s{10, 12, 11, 13, 9};
  SampleStats st = summarize(s);
  EXPECT_EQ(st.count, 5u);
  EXPECT_DOUBLE_EQ(st.median, 11);
  EXPECT_DOUBLE_EQ(st.min, 9);
  EXPECT_DOUBLE_EQ(st.max, 13);
  EXPECT_DOUBLE_EQ(st.mean, 11);
  EXPECT_NEAR(st.stddev, std::sqrt(2.5), 1e-12);  // sum of squares 10 over n-1 = 4
  EXPECT_NEAR(st.cv, std::sqrt(2.5) / 11, 1e-12);
}

TEST(Statistics, EvenCountMedianAndSingleSample) {
  std::vector<double> even{4, 1, 3, 2};
  EXPECT_DOUBLE_EQ(summarize(even).median, 2.5);
  std::vector<double> one{7};
  SampleStats st = summarize(one);
  EXPECT_DOUBLE_EQ(st.median, 7);
  EXPECT_DOUBLE_EQ(st.stddev, 0);
  EXPECT_DOUBLE_EQ(st.cv, 0);
}

TEST(Statistics, RejectsEmptyAndNonFinite) {
  std::vector<double> empty;
  EXPECT_THROW(summarize(empty), std::invalid_argument);
  std::vector<double> nan{1, NAN};
  EXPECT_THROW(summarize(nan), std::invalid_argument);
}

TEST(Statistics, RobustSigmaIgnoresOneWildSample) {
  std::vector<double> s{10, 10.1, 9.9, 10, 10.05, 9.95, 100};
  // MAD: deviations from 10 are {0, .1, .1, 0, .05, .05, 90} -> median 0.05.
  EXPECT_NEAR(robust_sigma(s), 1.4826 * 0.05, 1e-12);
  EXPECT_EQ(outlier_indexes(s), (std::vector<size_t>{6}));
}

TEST(Statistics, IdenticalSamplesHaveNoOutliersUnlessOneDiffers) {
  std::vector<double> same{5, 5, 5, 5};
  EXPECT_TRUE(outlier_indexes(same).empty());
  std::vector<double> one_off{5, 5, 5, 6};
  EXPECT_EQ(outlier_indexes(one_off), (std::vector<size_t>{3}));
  // A neighbouring quantum (0.04 % away) is not an outlier.
  std::vector<double> quantised{25.0, 25.01, 25.0, 25.0};
  EXPECT_TRUE(outlier_indexes(quantised).empty());
}

namespace {

// A clock that advances by `step` seconds each time it is read.
struct FakeClock {
  double t = 0;
  double step;
  double operator()() { return t += step; }
};

}  // namespace

TEST(Sampler, ConvergesAfterMinSamplesOnAStableMeasurement) {
  SamplerConfig c;
  c.min_samples = 5;
  c.target_spread = 0.005;
  int calls = 0;
  auto r = sample_adaptively(c, [&] { return Measurement{25.0 + 0.01 * (calls++ % 2), {}}; }, FakeClock{0, 0.001});
  EXPECT_EQ(r.stop, StopReason::converged);
  EXPECT_EQ(r.samples.size(), 5u);
  EXPECT_DOUBLE_EQ(r.stats.median, 25.0);  // 25.00 25.01 25.00 25.01 25.00
}

TEST(Sampler, OneSlowSampleDoesNotPreventConvergence) {
  SamplerConfig c;
  c.min_samples = 6;
  std::vector<double> values{30, 30.01, 2.0, 30.02, 29.99, 30, 30.01};
  size_t i = 0;
  auto r = sample_adaptively(c, [&] { return Measurement{values[i++], {}}; }, FakeClock{0, 0.001});
  EXPECT_EQ(r.stop, StopReason::converged);
  EXPECT_EQ(r.samples.size(), 6u);
  EXPECT_EQ(r.outliers, (std::vector<size_t>{2}));  // kept and flagged, not dropped
  EXPECT_DOUBLE_EQ(r.stats.min, 2.0);
}

// Found while writing these tests: with a median-based spread alone, 10 20 10 20 10 looked
// perfectly stable (median 10, MAD 0). Alternating states must never count as converged.
TEST(Sampler, NoisyMeasurementStopsAtTheSampleCap) {
  SamplerConfig c;
  c.max_samples = 20;
  c.time_cap_s = 1e9;
  int calls = 0;
  auto r = sample_adaptively(c, [&] { return Measurement{(calls++ % 2) ? 10.0 : 20.0, {}}; }, FakeClock{0, 0.001});
  EXPECT_EQ(r.stop, StopReason::sample_cap);
  EXPECT_EQ(r.samples.size(), 20u);
  EXPECT_GT(r.robust_spread, c.target_spread);
}

TEST(Sampler, TimeCapEndsAMeasurementThatNeverSettles) {
  SamplerConfig c;
  c.max_samples = 1000;
  c.time_cap_s = 1.0;
  int calls = 0;
  // Each clock read advances 1/8 s: the start read, then one read per sample, so the cap of
  // 1 s is reached after the 8th sample.
  auto r = sample_adaptively(c, [&] { return Measurement{(calls++ % 2) ? 1.0 : 3.0, {}}; }, FakeClock{0, 0.125});
  EXPECT_EQ(r.stop, StopReason::time_cap);
  EXPECT_EQ(r.samples.size(), 8u);
}

TEST(Sampler, FailureStopsAndKeepsWhatWasMeasured) {
  SamplerConfig c;
  int calls = 0;
  auto r = sample_adaptively(
      c,
      [&]() -> Measurement {
        if (++calls == 3) return {std::nullopt, "data verification failed at offset 4096"};
        return {calls * 1.0, {}};
      },
      FakeClock{0, 0.001});
  EXPECT_EQ(r.stop, StopReason::failed);
  EXPECT_EQ(r.failure, "data verification failed at offset 4096");
  EXPECT_EQ(r.samples, (std::vector<double>{1.0, 2.0}));
  EXPECT_EQ(std::string(to_string(r.stop)), "failed");
}

TEST(Sampler, FailureOnTheFirstSampleHasNoStatistics) {
  auto r = sample_adaptively(SamplerConfig{}, [] { return Measurement{std::nullopt, ""}; }, FakeClock{0, 0.001});
  EXPECT_EQ(r.stop, StopReason::failed);
  EXPECT_EQ(r.failure, "the measurement gave no value");
  EXPECT_TRUE(r.samples.empty());
  EXPECT_EQ(r.stats.count, 0u);
}
