// observe/schedtrace.cpp — Go's schedtrace (proc.go) and
// gmpkit::debug::schedtrace. Design comment in schedtrace.hpp.
//
// Output, in Go's field order (Go 1.21's summary, which adds needspinning
// to 1.19's; gmpkit has no needspinning flag, so it is always 0):
//   SCHED 105ms: gomaxprocs=2 idleprocs=0 threads=4 spinningthreads=0 needspinning=0 idlethreads=1 runqueue=1 [0 0]
// detailed (scheddetail=1): the summary without the per-P list, then
//   ... runqueue=1 gcwaiting=0 nmidlelocked=0 stopwait=0 sysmonwait=0
//     P0: status=1 schedtick=12 syscalltick=0 m=3 runqsize=0 gfreecnt=2 timerslen=0
//     M3: p=0 curg=7 mallocing=0 throwing=0 preemptoff= locks=0 dying=0 spinning=false blocked=false lockedg=-1
//     G7: status=2() m=3 lockedm=-1
// Fields gmpkit does not have keep Go's name with Go's idle value
// (mallocing, throwing, dying, preemptoff, sysmonwait).
#include "observe/schedtrace.hpp"

#include <cinttypes>
#include <cstdarg>
#include <cstdio>
#include <ostream>

#include "core/m.hpp"
#include "core/p.hpp"
#include "core/sched.hpp"
#include "gmpkit/debug.hpp"
#include "gmpkit/error.hpp"
#include "platform/clock.hpp"
#include "platform/signal.hpp"
#include "sysmon/preempt.hpp"

#if GMPKIT_TSAN
#define GMPKIT_RACY_READER __attribute__((no_sanitize("thread")))
#else
#define GMPKIT_RACY_READER
#endif

namespace gmpkit::observe {

using namespace core;

namespace {

// Per-run settings: written by schedtrace_init (sysmon's start, before the
// loop) and read by the same thread, except g_starttime, which
// debug::schedtrace reads from goroutines. relaxed: a timestamp base; a
// stale 0 only makes one on-demand report count from "now".
std::int64_t g_interval_ns = 0;
bool g_detailed = false;
std::int64_t g_lasttrace = 0;
rt::Atomic<std::int64_t> g_starttime{0};

// One racy read of a field another thread writes without synchronisation
// (Go's schedtrace reads them the same way): a single load, never re-read,
// so a pointer checked for null stays the pointer that was checked.
template <class T>
GMPKIT_RACY_READER __attribute__((always_inline)) inline T read_once(const T& x) {
  return *static_cast<const volatile T*>(&x);
}

void appendf(std::string& out, const char* fmt, ...) __attribute__((format(printf, 2, 3)));
void appendf(std::string& out, const char* fmt, ...) {
  char buf[256];
  va_list ap;
  va_start(ap, fmt);
  int n = std::vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  if (n > 0)
    out.append(buf, static_cast<std::size_t>(n) < sizeof buf ? static_cast<std::size_t>(n)
                                                             : sizeof buf - 1);
}

const char* tf(bool b) { return b ? "true" : "false"; }

// The body of Go's schedtrace, sched.lock held by the caller.
GMPKIT_RACY_READER void schedtrace_locked(std::string& out, bool detailed,
                                          std::int64_t now) GMPKIT_NO_TSA {
  std::int64_t start = g_starttime.load(rt::relaxed);  // relaxed: see g_starttime
  if (start == 0) start = now;
  // relaxed loads below: a diagnostic snapshot, each value individually current.
  appendf(out,
          "SCHED %" PRId64 "ms: gomaxprocs=%d idleprocs=%d threads=%" PRId64
          " spinningthreads=%d needspinning=0 idlethreads=%d runqueue=%d",
          (now - start) / 1000000, sched->gomaxprocs.load(rt::relaxed),
          sched->npidle.load(rt::relaxed), static_cast<std::int64_t>(sched->mnext - sched->nmfreed),
          sched->nmspinning.load(rt::relaxed), sched->nmidle, sched->runq.size());
  if (detailed) {
    appendf(out, " gcwaiting=%d nmidlelocked=%d stopwait=%d sysmonwait=%d\n",
            sched->gcwaiting.load(rt::relaxed) ? 1 : 0, sched->nmidlelocked, sched->stopwait,
            sched->sysmonwait ? 1 : 0);
  }
  const std::size_t np = sched->allp.size();
  for (std::size_t i = 0; i < np; i++) {
    P* pp = sched->allp[i];
    const std::uint32_t h = pp->runq.head(), t = pp->runq.tail();
    // Go's runqsize is tail - head: runnext is not counted.
    if (detailed) {
      M* mp = read_once(pp->m);
      appendf(out,
              "  P%zu: status=%u schedtick=%u syscalltick=%u m=%" PRId64
              " runqsize=%u gfreecnt=%d timerslen=%u\n",
              i, static_cast<unsigned>(pp->pstatus()), pp->schedtick.load(rt::relaxed),
              pp->syscalltick.load(rt::relaxed),
              mp != nullptr ? read_once(mp->id) : std::int64_t{-1}, t - h,
              read_once(pp->gFreeCount), pp->timers.numTimers.load(rt::relaxed));
    } else {
      appendf(out, " %s%u%s", i == 0 ? "[" : "", t - h, i + 1 == np ? "]\n" : "");
    }
  }
  if (!detailed) {
    if (np == 0) out += " []\n";
    return;
  }
  for (M* mp = sched->allm.load(rt::acquire); mp != nullptr;
       mp = read_once(mp->alllink)) {  // acquire: see the M's fields
    if (mp->exited.load(rt::relaxed))
      continue;  // relaxed: a snapshot; Go unlinks exited Ms from allm
    P* pp = read_once(mp->p);
    G* gp = read_once(mp->curg);
    G* lg = read_once(mp->lockedg);
    appendf(out,
            "  M%" PRId64 ": p=%d curg=%" PRId64
            " mallocing=0 throwing=0 preemptoff= locks=%d dying=0 spinning=%s"
            " blocked=%s lockedg=%" PRId64 "\n",
            mp->id, pp != nullptr ? read_once(pp->id) : -1,
            gp != nullptr ? read_once(gp->goid) : std::int64_t{-1}, read_once(mp->locks),
            tf(read_once(mp->spinning)), tf(read_once(mp->blocked)),
            lg != nullptr ? read_once(lg->goid) : std::int64_t{-1});
  }
  rt::LockGuard g(sched->allglock);  // lock order: sched.lock > allglock
  for (G* gp : sched->allgs) {
    const GStatus st = gp->status();
    M* mp = read_once(gp->m);
    M* lm = read_once(gp->lockedm);
    const char* why =
        st == GStatus::waiting ? wait_reason_string(gp->waitreason.load(rt::relaxed)) : "";
    appendf(out, "  G%" PRId64 ": status=%u(%s) m=%" PRId64 " lockedm=%" PRId64 "\n",
            read_once(gp->goid), static_cast<unsigned>(st), why,
            mp != nullptr ? read_once(mp->id) : std::int64_t{-1},
            lm != nullptr ? read_once(lm->id) : std::int64_t{-1});
  }
}

}  // namespace

std::string schedtrace_text(bool detailed, std::int64_t now) GMPKIT_NO_TSA {
  std::string out;
  out.reserve(detailed ? 4096 : 256);
  rt::LockGuard g(sched->lock);
  schedtrace_locked(out, detailed, now);
  return out;
}

std::string schedtrace_text_frozen(bool detailed, std::int64_t now) {
  // A failure hook may run after run() returned (a program's result check).
  if (sched == nullptr) return "SCHED: the runtime is not running\n";
  std::string out;
  out.reserve(detailed ? 4096 : 256);
  schedtrace_locked(out, detailed, now);
  return out;
}

void schedtrace_init() {
  std::int64_t ms =
      sysmon::debug_setting("schedtrace", static_cast<int>(sched->cfg.schedtrace.count()));
  g_interval_ns = ms > 0 ? ms * 1000000 : 0;
  g_detailed = sysmon::debug_setting("scheddetail", sched->cfg.scheddetail ? 1 : 0) > 0;
  g_lasttrace = 0;
  g_starttime.store(rt::nanotime(), rt::relaxed);  // relaxed: see g_starttime
}

std::int64_t schedtrace_poll(std::int64_t now) {
  if (g_interval_ns == 0) return 0;
  // Go: lasttrace starts at 0, so the first report ("SCHED 0ms") comes at
  // sysmon's first round.
  if (g_lasttrace == 0 || g_lasttrace + g_interval_ns <= now) {
    g_lasttrace = now;
    std::string s = schedtrace_text(g_detailed, now);
    rt::write_stderr(s.data(), s.size());  // one write(2): reports never interleave
  }
  return g_lasttrace + g_interval_ns;
}

}  // namespace gmpkit::observe

namespace gmpkit::debug {

void schedtrace(std::ostream& os, bool detail) {
  rt::Published<core::Sched>::Pin pin(core::sched_pub);  // any thread: keeps it alive
  if (!pin) throw usage_error("gmpkit: debug::schedtrace() called with no runtime running");
  os << observe::schedtrace_text(detail, rt::nanotime());
}

}  // namespace gmpkit::debug
