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

void casgstatus_track(G* gp, GStatus from, GStatus to) {
  if (to == GStatus::runnable) {
    gp->runnableStamp = rt::nanotime();
  } else if (to == GStatus::running) {
    gp->tracking = false;
    if (from == GStatus::runnable && gp->runnableStamp != 0 && sched != nullptr)
      observe::record_sched_latency(rt::nanotime() - gp->runnableStamp);
    gp->runnableStamp = 0;
  }
}

void casgstatus_failed(const G* gp, GStatus from, GStatus to) {
  char msg[128];
  std::snprintf(msg, sizeof msg, "casgstatus: %s -> %s, but the G is %s", gstatus_name(from),
                gstatus_name(to), gstatus_name(gp->status()));
  throw_g(msg, gp);
}

void casgstatus_checked(G* gp, GStatus from, GStatus to) {
  if (!gstatus_transition_legal(from, to)) {
    char msg[128];
    std::snprintf(msg, sizeof msg, "casgstatus: illegal transition %s -> %s", gstatus_name(from),
                  gstatus_name(to));
    throw_g(msg, gp);
  }
  casgstatus_nocheck(gp, from, to);
  // History after the CAS, still before the caller publishes gp.
  M* mp = getm();
  GTransition& t = gp->history[gp->history_n % G::kHistory];
  t = GTransition{from, to, mp ? static_cast<std::int32_t>(mp->id) : -1, rt::nanotime()};
  gp->history_n++;
}

}  // namespace gmpkit::core
