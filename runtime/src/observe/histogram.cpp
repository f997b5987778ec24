// observe/histogram.cpp — see histogram.hpp.
#include "observe/histogram.hpp"

#include <algorithm>
#include <cmath>

namespace gmpkit::observe {

int Histogram::bucket_of(std::int64_t ns) noexcept {
  if (ns < kLinear) return ns < 0 ? 0 : static_cast<int>(ns);
  const int e = 63 - __builtin_clzll(static_cast<std::uint64_t>(ns));  // e >= kSubBits + 1
  const int sub =
      static_cast<int>((static_cast<std::uint64_t>(ns) >> (e - kSubBits)) & ((1 << kSubBits) - 1));
  return kLinear + (e - (kSubBits + 1)) * (1 << kSubBits) + sub;
}

std::int64_t Histogram::upper_bound(int b) noexcept {
  if (b < kLinear) return b;
  const int e = (b - kLinear) / (1 << kSubBits) + kSubBits + 1;
  const int sub = (b - kLinear) % (1 << kSubBits);
  // Values with top bit e and sub-bucket `sub`: [base, base + width).
  const std::uint64_t width = std::uint64_t{1} << (e - kSubBits);
  const std::uint64_t base = (std::uint64_t{1} << e) + static_cast<std::uint64_t>(sub) * width;
  const std::uint64_t hi = base + width - 1;
  return hi > static_cast<std::uint64_t>(INT64_MAX) ? INT64_MAX : static_cast<std::int64_t>(hi);
}

void Histogram::reset() noexcept {
  // relaxed: no recorder runs; run() publishes the Sched after this.
  for (auto& c : counts_) c.store(0, rt::relaxed);
  count_.store(0, rt::relaxed);
  sum_.store(0, rt::relaxed);
  min_.store(INT64_MAX, rt::relaxed);
  max_.store(0, rt::relaxed);
}

void Histogram::record(std::int64_t ns) noexcept {
  if (ns < 0) ns = 0;
  counts_[bucket_of(ns)].fetch_add(1, rt::relaxed);  // relaxed: see the class comment
  count_.fetch_add(1, rt::relaxed);  // relaxed: as above
  sum_.fetch_add(ns, rt::relaxed);  // relaxed: as above
  std::int64_t m = min_.load(rt::relaxed);  // relaxed: CAS loop re-validates
  while (ns < m && !min_.cas(m, ns, rt::relaxed)) m = min_.load(rt::relaxed);
  m = max_.load(rt::relaxed);  // relaxed: as above
  while (ns > m && !max_.cas(m, ns, rt::relaxed)) m = max_.load(rt::relaxed);
}

HistogramSnapshot Histogram::snapshot() const {
  HistogramSnapshot s;
  int last = -1;
  std::uint64_t raw[kBuckets];
  for (int b = 0; b < kBuckets; b++) {
    raw[b] = counts_[b].load(rt::relaxed);  // relaxed: a statistics snapshot
    if (raw[b]) last = b;
  }
  for (int b = 0; b <= last; b++) {
    s.upper_ns.push_back(upper_bound(b));
    s.counts.push_back(raw[b]);
    s.count += raw[b];  // consistent with the buckets, unlike count_ mid-record
  }
  s.sum_ns = sum_.load(rt::relaxed);  // relaxed: as above
  if (s.count) {
    s.min_ns = min_.load(rt::relaxed);  // relaxed: as above
    s.max_ns = max_.load(rt::relaxed);  // relaxed: as above
  }
  return s;
}

}  // namespace gmpkit::observe

namespace gmpkit {

double HistogramSnapshot::quantile(double q) const {
  if (count == 0) return 0.0;
  q = std::clamp(q, 0.0, 1.0);
  auto rank = static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(count)));
  if (rank == 0) rank = 1;
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < counts.size(); i++) {
    seen += counts[i];
    if (seen >= rank) {
      auto v = static_cast<double>(upper_ns[i]);
      return std::clamp(v, static_cast<double>(min_ns), static_cast<double>(max_ns));
    }
  }
  return static_cast<double>(max_ns);
}

}  // namespace gmpkit
