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
  std::vector<std::uint64_t> counts;  // samples per bucket (same length)
  std::uint64_t count = 0;  // samples in total
  std::int64_t sum_ns = 0;
  std::int64_t min_ns = 0;  // exact; 0 when empty
  std::int64_t max_ns = 0;  // exact; 0 when empty
  // q in [0, 1]: the upper bound of the bucket holding the ceil(q*count)-th
  // smallest sample, clamped to [min_ns, max_ns]; 0 when empty.
  double quantile(double q) const;
  double mean() const {
    return count ? static_cast<double>(sum_ns) / static_cast<double>(count) : 0.0;
  }
};

struct Metrics {
  std::int32_t gomaxprocs = 0;
  std::int64_t goroutines_spawned = 0;  // go() calls (plus the main goroutine)
  std::int64_t goroutines_exited = 0;
  // Of those, goroutines that shutdown retired without unwinding: still in
  // call-free user code after the exit grace, stopped there by the
  // preemption signal, where their frames have no landing pad, so their
  // frames' destructors did not run; their callables were destroyed
  // (docs/RUNTIME.md "What is not unwound").
  std::int64_t goroutines_retired = 0;
  std::int64_t threads = 0;  // threads created: Ms (m0 and sysmon included)
  std::int64_t steals = 0;  // successful runqsteal calls
  std::int64_t runqputslow = 0;  // local-runq overflows (half moved to the global runq)
  std::int64_t preempt_requests = 0;  // preemption requests by sysmon
  std::int64_t preemptions = 0;  // goroutines that yielded to a request
  std::int64_t syscalls = 0;  // gmpkit::syscall / syscall_block calls
  std::int64_t syscalls_slow = 0;  // exitsyscall had to wait for a P
  std::int64_t handoffs = 0;  // Ps retaken from syscalls by sysmon
  std::int64_t stws = 0;  // completed stop-the-world pauses
  HistogramSnapshot stw_stopping;  // stop decision -> every P stopped
  HistogramSnapshot stw_total;  // stop decision -> world restarted (the pause)
  // Scheduler activity (summed from per-P counters where the hot path is
  // per P, so reading is O(Ps) and recording never contends).
  std::int64_t schedticks = 0;  // new time slices started (sum of every P's schedtick)
  std::int64_t globrunq_takes = 0;  // Gs taken from the global runq (globrunqget)
  std::int64_t globrunq_batches = 0;  // globrunqget calls that took at least one G
  std::int64_t preemptions_sync = 0;  // cooperative preemptions (preemptions - preemptions_async)
  std::int64_t preemptions_async = 0;  // preemptions by signal (async preemption)
  std::int64_t preempt_signals = 0;  // preemption signals (SIGURG) sent
  std::int64_t spinning_transitions = 0;  // times an M started spinning (looking for work to steal)
  HistogramSnapshot
      sched_latency;  // runnable -> running, every 8th run of each G (Go's /sched/latencies)
  std::int64_t wakeup_preempt_requests = 0;  // preemption requests by wake-up preemption (Config::min_slice)
  std::int64_t sysmon_parks = 0;  // times sysmon slept because every P was idle
  std::int64_t sysmon_kicks = 0;  // times a new timer woke sysmon early (wake-up preemption)
  // Goroutine stacks allocated so far (core/stack.hpp): with a guard page,
  // and past the guard budget (a canary instead).
  std::int64_t stacks_guarded = 0;
  std::int64_t stacks_canary = 0;
};

// Safe from any thread, inside or outside a goroutine, also while run()
// ends (the scheduler is pinned for the call; shutdown waits for it). With
// no run active: the final values of the last run (all zero before the
// first run); once shutdown has stopped every goroutine, the same final
// values.
Metrics metrics();

}  // namespace gmpkit
