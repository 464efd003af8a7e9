#include "rigcheck/bench/statistics.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>

namespace rigcheck::bench {
namespace {

double median_of(std::vector<double> v) {
  const size_t n = v.size();
  std::nth_element(v.begin(), v.begin() + n / 2, v.end());
  double upper = v[n / 2];
  if (n % 2) return upper;
  double lower = *std::max_element(v.begin(), v.begin() + n / 2);
  return (lower + upper) / 2;
}

}  // namespace

SampleStats summarize(std::span<const double> samples) {
  if (samples.empty()) throw std::invalid_argument("summarize: no samples");
  for (double s : samples)
    if (!std::isfinite(s)) throw std::invalid_argument("summarize: non-finite sample");
  SampleStats st;
  st.count = samples.size();
  auto [lo, hi] = std::minmax_element(samples.begin(), samples.end());
  st.min = *lo;
  st.max = *hi;
  st.mean = std::accumulate(samples.begin(), samples.end(), 0.0) / static_cast<double>(st.count);
  st.median = median_of({samples.begin(), samples.end()});
  if (st.count > 1) {
    double ss = 0;
    for (double s : samples) ss += (s - st.mean) * (s - st.mean);
    st.stddev = std::sqrt(ss / static_cast<double>(st.count - 1));
  }
  st.cv = st.mean != 0 ? st.stddev / std::fabs(st.mean) : 0;
  return st;
}

double robust_sigma(std::span<const double> samples) {
  if (samples.empty()) return 0;
  const double med = median_of({samples.begin(), samples.end()});
  std::vector<double> dev;
  dev.reserve(samples.size());
  for (double s : samples) dev.push_back(std::fabs(s - med));
  // 1.4826 makes the MAD estimate the standard deviation of normally distributed data.
  return 1.4826 * median_of(std::move(dev));
}

std::vector<size_t> outlier_indexes(std::span<const double> samples, double k) {
  std::vector<size_t> out;
  if (samples.size() < 3) return out;
  const double med = median_of({samples.begin(), samples.end()});
  // Timers and byte counts quantise samples, so most of them can be identical (sigma 0). A
  // floor of 0.1 % of the median keeps a neighbouring quantum from counting as an outlier.
  const double scale = std::max(robust_sigma(samples), kOutlierFloor * std::fabs(med));
  for (size_t i = 0; i < samples.size(); ++i)
    if (std::fabs(samples[i] - med) > k * scale) out.push_back(i);
  return out;
}

}  // namespace rigcheck::bench
