#pragma once
// Summary statistics of repeated measurements. Every sample is kept by the caller; these are the
// numbers a report shows next to them.

#include <cstddef>
#include <span>
#include <vector>

namespace rigcheck::bench {

struct SampleStats {
  size_t count = 0;
  double median = 0;
  double min = 0;
  double max = 0;
  double mean = 0;
  double stddev = 0;  // sample standard deviation (n - 1)
  double cv = 0;      // stddev / mean; 0 when mean is 0
};

// Throws std::invalid_argument for an empty span or non-finite samples.
SampleStats summarize(std::span<const double> samples);

// Median absolute deviation scaled by 1.4826, a robust stand-in for the standard deviation
// that one slow sample (a page fault, a context switch) does not inflate.
double robust_sigma(std::span<const double> samples);

// Deviations below this fraction of the median are never outliers.
inline constexpr double kOutlierFloor = 1e-3;

// Indexes of samples further than `k` robust sigmas (at least kOutlierFloor × median) from the median.
std::vector<size_t> outlier_indexes(std::span<const double> samples, double k = 3.0);

}  // namespace rigcheck::bench
