// observe/metrics.cpp — gmpkit::metrics(): a snapshot of the scheduler's
// counters and histograms. During a run it reads the live Sched (relaxed
// loads: statistics, each value individually current); when run() ends,
// shutdown stores a final snapshot here so results stay readable.
#include "gmpkit/metrics.hpp"
#include "core/sched.hpp"

namespace gmpkit::core {

namespace {

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
  }
  m.threads = sched->nthreads.load(rt::relaxed);
  m.steals = sched->nsteals.load(rt::relaxed);
  m.runqputslow = sched->nputslow.load(rt::relaxed);
  m.preempt_requests = sched->npreemptreq.load(rt::relaxed);
  m.preemptions = sched->npreempted.load(rt::relaxed);
  m.syscalls = sched->nsyscalls.load(rt::relaxed);
  m.syscalls_slow = sched->nsyscallslow.load(rt::relaxed);
  m.handoffs = sched->nhandoffs.load(rt::relaxed);
  m.stws = sched->nstw.load(rt::relaxed);
  m.stw_stopping = sched->stw_stopping.snapshot();
  m.stw_total = sched->stw_total.snapshot();
  m.preemptions_async = sched->nasyncpreempt.load(rt::relaxed);
  // Async preemptions are also counted in npreempted; the two are read a
  // moment apart, so clamp the difference.
  m.preemptions_sync =
      m.preemptions > m.preemptions_async ? m.preemptions - m.preemptions_async : 0;
  m.preempt_signals = sched->npreemptsig.load(rt::relaxed);
  m.sched_latency = sched->sched_latency.snapshot();
  return m;
}

}  // namespace

void save_final_metrics() GMPKIT_NO_TSA {
  Metrics m = collect();
  rt::LockGuard g(g_last_lock);
  g_last = std::move(m);
}

}  // namespace gmpkit::core

namespace gmpkit {

Metrics metrics() GMPKIT_NO_TSA {
  // Pinned, the scheduler cannot be freed under us; unpinned (no run, or
  // its shutdown has begun freeing) the final snapshot is complete.
  rt::Published<core::Sched>::Pin pin(core::sched_pub);
  if (pin) return core::collect();
  rt::LockGuard g(core::g_last_lock);
  return core::g_last;
}

}  // namespace gmpkit
