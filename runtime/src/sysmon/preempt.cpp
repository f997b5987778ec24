// sysmon/preempt.cpp — preemption requests (Go's preemptone/preemptall) and
// asynchronous preemption by signal (Go's preempt.go + signal_unix.go:
// preemptM, doSigPreempt, wantAsyncPreempt, isAsyncSafePoint, asyncPreempt2).
//
// Cooperative part. A request sets pp->preempt; the running G honours it at
// preempt_point(), go() and the entry of every channel, select and
// semaphore operation (core::preempt_check -> gopreempt: the G goes to the
// global runq). execute() clears the flag when a new time slice starts, not
// when runnext inherits the current one (core/schedule.cpp).
//
// Asynchronous part (Config::async_preempt, on by default;
// GMPKIT_DEBUG=asyncpreemptoff=1 turns it off). preemptone also sends SIGURG
// to the M's thread (at most one in flight per M: m.signalPending). The
// handler runs on that thread, on its sigaltstack, and asks
// wantAsyncPreempt/isAsyncSafePoint below whether the interrupted point is an
// *async safe point*. THE RULE — all of these must hold:
//   1. the thread is an M of the running runtime, async preemption is on;
//   2. it runs a user G: mp->curg != nullptr, curg->m == mp, status
//      _Grunning (not _Gsyscall), not being unwound at shutdown;
//   3. the G's P still asks for preemption (pp->preempt, or shutdown);
//   4. no preemption-disabling state: mp->locks == 0 (acquirem) and the
//      thread holds no runtime lock (rt::locks_held() == 0 — runtime locks
//      can be held while user code runs, e.g. an element's move constructor
//      under a channel lock);
//   5. the interrupted sp lies on the G's own stack with room for the
//      injected frame (this excludes g0, the signal stack, and a G about to
//      overflow);
//   6. the interrupted pc is in *user text*: the main program's executable
//      segments minus the runtime's own text (libgmpkit's code, bracketed
//      by the gmpkit_text section, or its DSO in a shared build). Code in
//      libc, libstdc++, the dynamic loader and every other shared object is
//      never interrupted, so malloc, stdio and friends keep their locks and
//      invariants; neither is the runtime itself (context switches, gopark's
//      set-up, code that caches its M or P);
//   7. the interrupted code is not a signal handler, nor anything called
//      from one: no signal frame lies between sp and the top of the G's
//      stack (rt::in_signal_handler). A user's handler installed without
//      SA_ONSTACK runs on the G's stack and is user text, but it may have
//      interrupted malloc (or any lock holder); switching away inside it
//      stranded the G with glibc's arena lock while every M blocked on that
//      lock in the kernel — the runtime wedged (gmpkit-stress run preempt).
//      And a handler resumed on another M returns through rt_sigreturn
//      there, which re-installs the *first* M's sigaltstack (uc_stack) and
//      signal mask on the second: two threads then share one signal stack
//      and corrupt each other's handler frames (SIGSEGV in on_preempt).
//      Go gets this by construction: its handlers run with every signal
//      blocked (sa_mask = sigset_all), so sigPreempt never nests in one.
// If any fails the handler returns without touching the thread: the flag
// stays set and sysmon's next round (every 20 µs - 10 ms) sends another
// signal. Otherwise it injects a call to gmpkit_async_preempt
// (core/asyncpreempt_x86_64.S) below the red zone; that saves every
// register and the full XSAVE state and calls gmpkit_async_preempt2, which
// counts the preemption and does what gopreempt does (mcall to g0, G ->
// _Grunnable on the global runq). When the G is scheduled again, possibly on
// another M, the assembly restores everything and returns into the
// interrupted instruction. errno is carried across too: it is per thread,
// and the G may wake up on another one.
//
// Consequences users must know (docs/RUNTIME.md "Preemption"): with async preemption
// a goroutine may move to another thread between any two instructions of
// user code, so thread_local state and OS locks (std::mutex, static-local
// initialisation) held across long call-free stretches behave as across any
// scheduling point. A G that was stopped asynchronously when run() returns
// is resumed once by shutdown (resume_at_exit below): it may
// finish, or reach a scheduling point, where it is unwound normally. Only
// if it is still in a call-free stretch after the exit grace is it stopped
// by signal again and retired without unwinding (its frames have no
// landing pads at an arbitrary pc), as at Go's process exit.
//
// Sanitizers: under TSan async preemption is off (TSan delays asynchronous
// signals to its own safe points and hands the handler a copy of the
// context, so an injected call cannot take effect). Under ASan it is on: the
// injected frames live on the G's stack like any call and the switch is an
// ordinary annotated mcall.
#include "sysmon/preempt.hpp"

#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <utility>

#include "core/m.hpp"
#include "core/p.hpp"
#include "core/park.hpp"
#include "core/proc.hpp"
#include "core/sched.hpp"
#include "core/schedule.hpp"
#include "gmpkit/error.hpp"
#include "observe/hooks.hpp"
#include "platform/clock.hpp"
#include "platform/diag_word.hpp"
#include "platform/mutex.hpp"
#include "platform/signal.hpp"
#include "platform/thread.hpp"

extern "C" {
void gmpkit_async_preempt();  // core/asyncpreempt_x86_64.S
void gmpkit_async_preempt2() noexcept;  // below; called by the assembly
}

namespace gmpkit::sysmon {

using namespace core;

// The frame gmpkit_async_preempt builds (offsets below the interrupted sp),
// mirrored here so a change on one side breaks the build, not the program.
struct AsyncPreemptFrame {
  std::uint64_t r15, r14, r13, r12, r11, r10, r9, r8, rbp, rdi, rsi, rdx, rcx, rbx, rax, rflags, pc;
  std::uint8_t red_zone[128];
};
static_assert(sizeof(AsyncPreemptFrame) == 264,
              "FRAME_REGS (pushes + pc + red zone) in asyncpreempt_x86_64.S");
static_assert(offsetof(AsyncPreemptFrame, pc) == 264 - 136, "FRAME_PC in asyncpreempt_x86_64.S");
static_assert(offsetof(AsyncPreemptFrame, rflags) == 264 - 144, "rflags slot");
static_assert(offsetof(AsyncPreemptFrame, rax) == 264 - 152, "rax slot");

// GMPKIT_DEBUG="name=value,name=value" (Go's GODEBUG). Returns the integer
// value of `name`, or `def` if absent.
int debug_setting(const char* name, int def) {
  const char* env = std::getenv("GMPKIT_DEBUG");
  if (env == nullptr) return def;
  const std::size_t n = std::strlen(name);
  for (const char* p = env; *p;) {
    const char* end = std::strchr(p, ',');
    if (end == nullptr) end = p + std::strlen(p);
    if (static_cast<std::size_t>(end - p) > n && std::strncmp(p, name, n) == 0 && p[n] == '=')
      return std::atoi(p + n + 1);
    p = *end ? end + 1 : end;
  }
  return def;
}

namespace {

rt::Atomic<bool> g_async{false};  // effective switch for this run()
std::size_t g_stack_margin = 0;  // bytes the injected call needs below sp

// Go's wantAsyncPreempt + isAsyncSafePoint (rule in the header comment).
// Runs in the signal handler: async-signal-safe, no locks, no allocation.
bool isAsyncSafePoint(M* mp, std::uintptr_t pc, std::uintptr_t sp) GMPKIT_NO_TSA {
  if (sched == nullptr || !g_async.load(rt::relaxed))
    return false;  // relaxed: set before sysmon starts
  G* gp = mp->curg;  // rule 2
  if (gp == nullptr || gp->m != mp || gp->unwinding) return false;
  if (gp->status() != GStatus::running) return false;
  P* pp = mp->p;  // rule 3
  // relaxed: a request flag; a stale read only delays or advances one preemption.
  if (pp == nullptr || !(pp->preempt.load(rt::relaxed) || sched->exiting.load(rt::relaxed)))
    return false;
  if (mp->locks != 0 || rt::locks_held() != 0) return false;  // rule 4
  auto lo = reinterpret_cast<std::uintptr_t>(gp->stack.lo);  // rule 5
  auto hi = reinterpret_cast<std::uintptr_t>(gp->stack.hi);
  if (sp > hi || sp < lo + g_stack_margin) return false;
  if (!rt::pc_in_user_text(pc)) return false;  // rule 6
  return !rt::in_signal_handler(sp, hi);  // rule 7 (last: it reads the used stack)
}

// The SIGURG handler's decision (Go's doSigPreempt).
void* sigpreempt(std::uintptr_t pc, std::uintptr_t sp) {
  M* mp = getm();
  if (mp == nullptr) return nullptr;  // not an M (a stray SIGURG)
  void* target =
      isAsyncSafePoint(mp, pc, sp) ? reinterpret_cast<void*>(&gmpkit_async_preempt) : nullptr;
  // Acknowledge: preemptone may signal this M again. relaxed: a resend
  // throttle, nothing is published through it.
  mp->signalPending.store(0, rt::relaxed);
  return target;
}

// Go's preemptM.
void preemptM(M* mp) {
  // relaxed: only throttles signals; the request itself is pp->preempt.
  if (mp->procid != 0 && mp->signalPending.cas(0, 1, rt::relaxed)) {
    sched->npreemptsig.fetch_add(1, rt::relaxed);  // relaxed: statistics
    if (!rt::signal_preempt(mp->procid))
      mp->signalPending.store(0, rt::relaxed);  // relaxed: as above
  }
}

}  // namespace

bool async_preempt_enabled() noexcept {
  return g_async.load(rt::relaxed);
}  // relaxed: fixed during a run

void preempt_init() {
  bool on = sched->cfg.async_preempt && debug_setting("asyncpreemptoff", 0) == 0;
#if GMPKIT_TSAN
  on = false;  // see the header comment: TSan defers asynchronous signals
#endif
#if !defined(__x86_64__)
  on = false;  // the injected call is x86-64 only
#endif
  if (on) on = rt::code_regions_init();
  if (on) {
    std::size_t xsave = rt::xstate_init();
    // The injected frame (red zone + registers + XSAVE + alignment), the C++
    // frames of the switch, and slack for the canary and the fault handler.
    g_stack_margin = sizeof(AsyncPreemptFrame) + xsave + 64 + 4096;
#if GMPKIT_ASAN
    g_stack_margin += 8192;  // instrumented frames are larger
#endif
    on = rt::install_preempt_handler(sigpreempt);
  }
  g_async.store(on, rt::relaxed);  // relaxed: sysmon (the only sender) starts after this
}

// Go's preemptone. Callable from sysmon, a STW caller, or a test thread.
bool preemptone(P* pp, bool async) GMPKIT_NO_TSA {
  // Never our own P (Go: mp == getg().m): stopTheWorld calls preemptall
  // while it still holds its P in _Prunning.
  if (M* self = getm(); self != nullptr && self->p == pp) return false;
  // relaxed: a request, re-sent every sysmon round until honoured.
  if (!pp->preempt.exchange(true, rt::relaxed)) sched->npreemptreq.fetch_add(1, rt::relaxed);
  if (!async || !g_async.load(rt::relaxed)) return true;  // relaxed: fixed during a run
  // Racy reads of another thread's M and G (Go reads pp.m and mp.curg the
  // same way): M structs live until run() ends, and the handler re-checks
  // everything on the target thread. (Never reached under TSan.)
  M* mp = pp->m;
  // acquire: pairs with mstart's release; an M that left its loop at
  // shutdown keeps its P and gets no more signals.
  if (mp == nullptr || mp->exited.load(rt::acquire)) return false;
  G* gp = mp->curg;
  if (gp == nullptr) return false;
  preemptM(mp);
  return true;
}

// Go's preemptall.
bool preemptall(bool async) {
  bool res = false;
  for (P* pp : sched->allp) {
    if (pp->pstatus() != PStatus::running) continue;
    if (preemptone(pp, async)) res = true;
  }
  return res;
}

// Wake-up preemption (beyond Go; Config::min_slice). A due timer is run by
// the M that holds the timer's P, at its next scheduling point; when every P
// runs a goroutine that never reaches one for a whole time slice (10 ms),
// a sleep_for(1ms) wakes 10+ ms late (Go 1.19 behaves so). So: if no P is
// idle (an idle P's M would be the poller and run the timer) and P's
// earliest timer is due, or a G readied/spawned on P waits in P's runq,
// preempt P's goroutine once sysmon has seen it run for min_slice — that P
// then runs its timers first thing in findrunnable.
// Preempting another P would not help: a preempted G sits on the global
// runq, which findrunnable serves before it steals timers.
std::int64_t wakeup_preempt(std::int64_t now) GMPKIT_NO_TSA {
  const std::int64_t min_slice = sched->cfg.min_slice.count();
  if (min_slice <= 0) return 0;
  if (sched->npidle.load(rt::seq_cst) != 0) return 0;  // seq_cst: as wakep reads it
  std::int64_t next = 0;
  auto want = [&next](std::int64_t t) {
    if (next == 0 || t < next) next = t;
  };
  for (P* pp : sched->allp) {
    if (pp->pstatus() != PStatus::running) continue;
    // A G made runnable on this P (a goready into runnext, a fired timer's
    // goroutine, a spawn) waits behind the running one: as urgent as a due
    // timer. Without this, a sleeper whose timer fired just as the P took a
    // preempted G from the global runq (every 61st schedtick) waited a whole
    // time slice (preempt_bench: every 60th sample 10.5 ms late). The
    // global runq itself is not a reason: it holds preempted Gs, and
    // preempting for them would shrink every slice to min_slice. Nor is the
    // ring: globrunqget moves preempted Gs there too, and then a pair of
    // goroutines handing the P back and forth (Go's TestPingPongHog) got 1
    // ms against the other pair's 10 (the test failed about 1 run in 2 on
    // an idle machine: 2-3 M hog counts against 50 M light ones). A G
    // readied or spawned here is in runnext.
    const bool queued = pp->runq.runnext_peek() != nullptr;
    std::int64_t when = time::nobarrierWakeTime(pp->timers);
    if (when == 0 && !queued) continue;
    if (!queued && when > now) {
      want(when);
      continue;
    }
    // Due. retake (just before us, same round) keeps sysmon_schedwhen: the
    // first round that saw this P's current schedtick.
    std::int64_t ran_since = pp->sysmon_schedwhen;
    if (ran_since + min_slice <= now) {
      if (!pp->preempt.load(rt::relaxed))
        sched->nwakeuppreempt.fetch_add(1, rt::relaxed);  // relaxed: statistics
      preemptone(pp);
      want(now + kWakeupResendNs);  // re-send soon if it was not at a safe point
    } else {
      want(ran_since + min_slice);
    }
  }
  return next;
}

namespace {

// Watches a G that shutdown resumed after an asynchronous stop: after the
// exit grace it signals m0 until the G stops (asyncPreempt2 then retires
// it) or ends.
struct ExitResumeWatch {
  rt::Note done;  // woken by m0 once the G is back on g0
  std::int64_t tid = 0;  // m0's thread
  std::int64_t deadline = 0;  // nanotime
};

void exit_resume_watch_main(void* arg) {
  auto* w = static_cast<ExitResumeWatch*>(arg);
  const std::int64_t left = w->deadline - rt::nanotime();
  if (left > 0 && w->done.tsleep(left)) return;
  // The signal takes effect only in user text: resend until it does.
  while (!w->done.tsleep(kExitResumeResendNs)) (void)rt::signal_preempt(w->tid);
}

}  // namespace

void resume_at_exit(M* m0, G* gp, std::int64_t deadline) {
  const G::StoppedAt at = gp->resume_at_exit;
  if (at == G::StoppedAt::none || gp->status() != GStatus::runnable)
    fatal("resume_at_exit: not a goroutine stopped in place");
  // Only the signal can stop a call-free stretch again; without it (or
  // without a thread to send it) a goroutine stopped by signal is retired
  // where it stands, one stopped in a yield runs on unwatched (it is in
  // runtime code, on its way back to a call site).
  bool watched = false;
  ExitResumeWatch w;
  w.tid = m0->procid;
  w.deadline = deadline;
  rt::Thread watcher;
  if (async_preempt_enabled())
    watched = rt::thread_create(&watcher, exit_resume_watch_main, &w, 64 * 1024);
  if (watched || at == G::StoppedAt::yield)
    gp->exit_resume = true;  // asyncPreempt2 / semrelease return into the user code
  else
    gp->unwinding = true;  // asyncPreempt2 retires it at once
  execute(m0, gp, true);  // until it exits: returned, unwound or retired
  if (watched) {
    w.done.wakeup();
    rt::thread_join(watcher);
  }
  gp->exit_resume = false;
}

}  // namespace gmpkit::sysmon

using namespace gmpkit::core;

namespace {

// A G stopped by signal at exit whose frames cannot be unwound (no landing
// pad at the interrupted pc): it ends here, uncounted as "exited". Its
// callable can still be destroyed (nothing will run those frames again),
// so its captures are freed (ASan reported them as leaks); only the
// frames' own locals are lost.
[[noreturn]] void retire_async_stopped(G* gp) {
  sched->nretired.fetch_add(1, gmpkit::rt::relaxed);  // relaxed: statistics (metrics())
  gp->exit_resume = false;
  if (void* obj = std::exchange(gp->entry_obj, nullptr)) gp->entry_ops->destroy(obj);
  goexit1();
}

}  // namespace

// Called by gmpkit_async_preempt on the preempted G's stack, with every
// register of the interrupted code saved below us. Go's asyncPreempt2.
extern "C" void gmpkit_async_preempt2() noexcept {
  const int saved_errno = gmpkit::rt::thread_errno();
  sched->nasyncpreempt.fetch_add(1, gmpkit::rt::relaxed);  // relaxed: statistics
  if (GMPKIT_UNLIKELY(gmpkit::observe::trace_enabled()))
    gmpkit::observe::traceNotePreempt(gmpkit::observe::TraceStopReason::preempt_async);
  G* gp = getg();
  // Resumed by shutdown and still in a call-free stretch after the grace
  // (resume_at_exit): no scheduler left to queue it on.
  if (gp->exit_resume) retire_async_stopped(gp);
  bool unwind = false;
  // Shutdown resumes it rather than unwinding it, unless this stop is the
  // exit's own signal (sent only after the exit grace): that loop had its
  // chance, and is retired. A G locked to its thread would run on m0: no.
  // relaxed: a stale read only gives one goroutine one more grace.
  if (!sched->exiting.load(gmpkit::rt::relaxed) && gmpkit::rt::diag_load(gp->lockedm) == nullptr)
    gp->resume_at_exit = G::StoppedAt::signal;
  try {
    gopreempt();  // mcall: G -> runnable on the global runq; returns when rescheduled
  } catch (const gmpkit::forced_unwind&) {
    // Shutdown resumed us only to unwind (no grace for this stop, or no way
    // to stop a resumed G again),
    // but the interrupted user frames have no landing pad at this pc
    // (outside the catch block, so the exception object is freed).
    unwind = true;
  }
  gp->resume_at_exit = G::StoppedAt::none;
  if (unwind) retire_async_stopped(gp);
  gmpkit::rt::set_thread_errno(saved_errno);  // out of line: the G may be on another thread now
}
