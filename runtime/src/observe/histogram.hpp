// observe/histogram.hpp — a lock-free log-linear latency histogram (Go's
// timeHistogram idea): bucket by the position of the highest set bit, then 8
// linear sub-buckets below it, so every bucket is within 12.5 % of its
// bound. Recording is three relaxed atomic adds and two CAS loops for
// min/max: cheap enough for every STW and sampled scheduling latency.
#pragma once

#include <cstdint>

#include "gmpkit/metrics.hpp"
#include "platform/atomic.hpp"

namespace gmpkit::observe {

class Histogram {
 public:
  static constexpr int kSubBits = 3;  // 8 sub-buckets per power of two
  static constexpr int kLinear = 1 << (kSubBits + 1);  // values below 16 get a bucket each
  static constexpr int kBuckets = kLinear + (63 - kSubBits) * (1 << kSubBits);

  void record(std::int64_t ns) noexcept;
  // Empty again. Only while nobody records (run() before the Sched exists).
  void reset() noexcept;
  HistogramSnapshot snapshot() const;
  static int bucket_of(std::int64_t ns) noexcept;
  static std::int64_t upper_bound(int bucket) noexcept;  // inclusive

 private:
  // relaxed everywhere: independent statistics; a reader may see a sample
  // in `count` before its bucket, which snapshot() tolerates.
  rt::Atomic<std::uint64_t> counts_[kBuckets] = {};
  rt::Atomic<std::uint64_t> count_{0};
  rt::Atomic<std::int64_t> sum_{0};
  rt::Atomic<std::int64_t> min_{INT64_MAX};
  rt::Atomic<std::int64_t> max_{0};
};

}  // namespace gmpkit::observe
