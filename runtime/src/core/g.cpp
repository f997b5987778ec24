// core/g.cpp — casgstatus and fatal errors.
#include "core/g.hpp"

#include <cinttypes>
#include <cstdio>
#include <cstdlib>

#include "core/m.hpp"
#include "core/proc.hpp"
#include "core/sched.hpp"
#include "observe/hooks.hpp"
#include "platform/clock.hpp"
#include "platform/signal.hpp"

namespace gmpkit::core {

[[noreturn]] void fatal(const char* msg) {
  char buf[512];
  int n = std::snprintf(buf, sizeof buf, "gmpkit: fatal error: %s\n", msg);
  rt::write_stderr(buf, static_cast<std::size_t>(n));
  observe::dump_on_fatal();  // Go prints the goroutines after "fatal error:"
  std::abort();
}

[[noreturn]] void throw_g(const char* msg, const G* gp) {
  char buf[4096];
  int n = std::snprintf(buf, sizeof buf,
                        "gmpkit: fatal error: %s\ngoroutine %" PRId64
                        " status=%s, last transitions (oldest first):\n",
                        msg, gp->goid, gstatus_name(gp->status()));
  std::uint32_t count = gp->history_n < G::kHistory ? gp->history_n : G::kHistory;
  for (std::uint32_t i = 0; i < count && n < static_cast<int>(sizeof buf) - 128; i++) {
    const GTransition& t = gp->history[(gp->history_n - count + i) % G::kHistory];
    n += std::snprintf(buf + n, sizeof buf - n, "  %s -> %s on M%d at %" PRId64 "ns\n",
                       gstatus_name(t.from), gstatus_name(t.to), t.m, t.when);
  }
  rt::write_stderr(buf, static_cast<std::size_t>(n));
  observe::dump_on_fatal();
  std::abort();
}

namespace {
// Go's casgstatus tracking (Go 1.17+, gTrackingPeriod = 8): sample the
// runnable -> running latency of every 8th run of each G, plus its first.
constexpr std::uint8_t kTrackingPeriod = 8;

inline void track_sched_latency(G* gp, GStatus from, GStatus to) {
  if (from == GStatus::running || from == GStatus::dead) {
    if (gp->trackingSeq % kTrackingPeriod == 0) gp->tracking = true;
    gp->trackingSeq++;
  }
  if (!gp->tracking) return;
  if (to == GStatus::runnable) {
    gp->runnableStamp = rt::nanotime();
  } else if (to == GStatus::running) {
    gp->tracking = false;
    if (from == GStatus::runnable && gp->runnableStamp != 0 && sched != nullptr)
      observe::record_sched_latency(rt::nanotime() - gp->runnableStamp);
    gp->runnableStamp = 0;
  }
}
}  // namespace

void casgstatus(G* gp, GStatus from, GStatus to) {
#if GMPKIT_CHECKED
  if (!gstatus_transition_legal(from, to)) {
    char msg[128];
    std::snprintf(msg, sizeof msg, "casgstatus: illegal transition %s -> %s", gstatus_name(from),
                  gstatus_name(to));
    throw_g(msg, gp);
  }
#endif
  // Before the CAS: the caller owns gp until the CAS publishes it (a G
  // made runnable may be running on another M right after).
  track_sched_latency(gp, from, to);
  // acq_rel: release publishes what the G's owner did before (e.g. a
  // parked G's wait state) to whoever observes the new status; acquire
  // orders our later accesses after the previous owner's.
  if (!gp->atomicstatus.cas(static_cast<std::uint32_t>(from), static_cast<std::uint32_t>(to),
                            rt::acq_rel)) {
    char msg[128];
    std::snprintf(msg, sizeof msg, "casgstatus: %s -> %s, but the G is %s", gstatus_name(from),
                  gstatus_name(to), gstatus_name(gp->status()));
    throw_g(msg, gp);
  }
#if GMPKIT_CHECKED
  M* mp = getm();
  GTransition& t = gp->history[gp->history_n % G::kHistory];
  t = GTransition{from, to, mp ? static_cast<std::int32_t>(mp->id) : -1, rt::nanotime()};
  gp->history_n++;
#endif
  // After the CAS, before the caller publishes gp (runq, wait queue): the
  // event's place in the trace order precedes the G's next transition.
  if (GMPKIT_UNLIKELY(observe::trace_enabled())) observe::traceTransition(gp, from, to);
}

}  // namespace gmpkit::core
