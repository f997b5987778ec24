// observe/metrics.cpp — gmpkit::metrics(): a snapshot of the scheduler's
// counters and histograms. During a run it reads the live Sched (relaxed
// loads: statistics, each value individually current); when run() ends,
// shutdown stores a final snapshot here so results stay readable. The
// latency histograms live here (one set per run, reset by
// metrics_run_begin); the core records into them through observe/hooks.hpp.
#include "gmpkit/metrics.hpp"
#include "core/p.hpp"
#include "core/sched.hpp"
#include "observe/histogram.hpp"
#include "observe/hooks.hpp"

namespace gmpkit::observe {

using namespace core;

namespace {

// This run's latency histograms (reset before the Sched exists).
struct RunHistograms {
  Histogram stw_stopping, stw_total, sched_latency;
};
RunHistograms g_hist;

rt::Mutex g_last_lock;
Metrics g_last GMPKIT_GUARDED_BY(g_last_lock);

Metrics collect() {
  Metrics m;
  m.gomaxprocs = sched->gomaxprocs.load(rt::relaxed);  // relaxed: statistics (all loads below)
  for (std::int32_t i = 0; i < sched->allp.allocated(); i++) {
    P* pp = sched->allp.slot(i);
    m.goroutines_spawned += pp->ngcreated.load(rt::relaxed);
    m.goroutines_exited += pp->ngexited.load(rt::relaxed);
    m.schedticks += pp->schedtick.load(rt::relaxed);
    m.globrunq_takes += pp->nglobrunqget.load(rt::relaxed);
    m.globrunq_batches += pp->nglobrunqbatch.load(rt::relaxed);
    m.spinning_transitions += pp->nspinning.load(rt::relaxed);
    m.syscalls += pp->nsyscall.load(rt::relaxed);
  }
  m.goroutines_retired = sched->nretired.load(rt::relaxed);
  m.threads = sched->nthreads.load(rt::relaxed);
  m.steals = sched->nsteals.load(rt::relaxed);
  m.runqputslow = sched->nputslow.load(rt::relaxed);
  m.preempt_requests = sched->npreemptreq.load(rt::relaxed);
  m.preemptions = sched->npreempted.load(rt::relaxed);
  m.syscalls_slow = sched->nsyscallslow.load(rt::relaxed);
  m.handoffs = sched->nhandoffs.load(rt::relaxed);
  m.stws = sched->nstw.load(rt::relaxed);
  m.stw_stopping = g_hist.stw_stopping.snapshot();
  m.stw_total = g_hist.stw_total.snapshot();
  m.preemptions_async = sched->nasyncpreempt.load(rt::relaxed);
  // Async preemptions are also counted in npreempted; the two are read a
  // moment apart, so clamp the difference.
  m.preemptions_sync =
      m.preemptions > m.preemptions_async ? m.preemptions - m.preemptions_async : 0;
  m.preempt_signals = sched->npreemptsig.load(rt::relaxed);
  m.sched_latency = g_hist.sched_latency.snapshot();
  m.wakeup_preempt_requests = sched->nwakeuppreempt.load(rt::relaxed);
  m.sysmon_parks = sched->nsysmonpark.load(rt::relaxed);
  m.sysmon_kicks = sched->nsysmonkick.load(rt::relaxed);
  m.stacks_guarded = sched->stacks.guarded_count();
  m.stacks_canary = sched->stacks.canary_count();
  return m;
}

}  // namespace

void metrics_run_begin() {
  g_hist.stw_stopping.reset();
  g_hist.stw_total.reset();
  g_hist.sched_latency.reset();
}

void record_sched_latency(std::int64_t ns) { g_hist.sched_latency.record(ns); }
void record_stw_stopping(std::int64_t ns) { g_hist.stw_stopping.record(ns); }
void record_stw_total(std::int64_t ns) { g_hist.stw_total.record(ns); }

void save_final_metrics() GMPKIT_NO_TSA {
  Metrics m = collect();
  rt::LockGuard g(g_last_lock);
  g_last = std::move(m);
}

}  // namespace gmpkit::observe

namespace gmpkit {

Metrics metrics() GMPKIT_NO_TSA {
  // Pinned, the scheduler cannot be freed under us; unpinned (no run, or
  // its shutdown has begun freeing) the final snapshot is complete.
  rt::Published<core::Sched>::Pin pin(core::sched_pub);
  if (pin) return observe::collect();
  rt::LockGuard g(observe::g_last_lock);
  return observe::g_last;
}

}  // namespace gmpkit
