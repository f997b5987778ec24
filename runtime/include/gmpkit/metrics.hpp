// gmpkit/metrics.hpp — runtime metrics (Go's runtime/metrics, the subset
// gmpkit measures so far): counters and latency histograms.
//
//   auto m = gmpkit::metrics();
//   std::printf("STW pause p99: %.1f us\n", m.stw_total.quantile(0.99) / 1e3);
//
// Values cover the current run() (or, between runs, the last one that
// ended). Histograms are log-linear: 8 sub-buckets per power of two, so a
// quantile is exact to within 12.5 % (it reports the upper bound of the
// bucket that holds the sample).
#pragma once

#include <cstdint>
#include <vector>

namespace gmpkit {

struct HistogramSnapshot {
  std::vector<std::int64_t> upper_ns;  // inclusive upper bound of each bucket, ascending
  std::vector<std::uint64_t> counts;   // samples per bucket (same length)
  std::uint64_t count = 0;             // samples in total
  std::int64_t sum_ns = 0;
  std::int64_t min_ns = 0;  // exact; 0 when empty
  std::int64_t max_ns = 0;  // exact; 0 when empty
  // q in [0, 1]: the upper bound of the bucket holding the ceil(q*count)-th
  // smallest sample, clamped to [min_ns, max_ns]; 0 when empty.
  double quantile(double q) const;
  double mean() const { return count ? static_cast<double>(sum_ns) / static_cast<double>(count) : 0.0; }
};

struct Metrics {
  std::int32_t gomaxprocs = 0;
  std::int64_t goroutines_spawned = 0;  // go() calls (plus the main goroutine)
  std::int64_t goroutines_exited = 0;
  std::int64_t threads = 0;             // Ms created (m0 included)
  std::int64_t steals = 0;              // successful runqsteal calls
  std::int64_t runqputslow = 0;         // local-runq overflows (half moved to the global runq)
  std::int64_t preempt_requests = 0;    // preemption requests by sysmon
  std::int64_t preemptions = 0;         // goroutines that yielded to a request
  std::int64_t syscalls = 0;            // gmpkit::syscall / syscall_block calls
  std::int64_t syscalls_slow = 0;       // exitsyscall had to wait for a P
  std::int64_t handoffs = 0;            // Ps retaken from syscalls by sysmon
  std::int64_t stws = 0;                // completed stop-the-world pauses
  HistogramSnapshot stw_stopping;       // stop decision -> every P stopped
  HistogramSnapshot stw_total;          // stop decision -> world restarted (the pause)
};

// Safe from any thread, inside or outside a goroutine.
Metrics metrics();

}  // namespace gmpkit
