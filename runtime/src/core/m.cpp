// core/m.cpp — M management: thread start, idle Ms, spinning, wakep,
// startm/stopm/handoffp and checkdead (Go's proc.go functions of the same
// names).
#include <cinttypes>
#include <cstdio>
#include <sstream>
#include <string>
#include <vector>

#include "core/m.hpp"
#include "core/p.hpp"
#include "core/planted_bug.hpp"
#include "core/proc.hpp"
#include "core/sched.hpp"
#include "core/schedule.hpp"
#include "core/template_thread.hpp"
#include "gmpkit/debug.hpp"
#include "gmpkit/error.hpp"
#include "netpoll/netpoll.hpp"
#include "observe/hooks.hpp"
#include "platform/signal.hpp"
#include "stw/stw.hpp"

#if GMPKIT_TSAN
#include <sanitizer/tsan_interface.h>
#endif

namespace gmpkit::core {

namespace {
void mstart_thunk(void* arg) { mstart(static_cast<M*>(arg)); }
}  // namespace

void mstart(M* mp) {
  setm(mp);
  mp->procid = rt::gettid();
  mp->sigstack = rt::signal_stack_enable();
  rt::thread_stack_bounds(&mp->g0_stack_lo, &mp->g0_stack_size);
#if GMPKIT_TSAN
  mp->g0.tsan_fiber = __tsan_get_current_fiber();
#endif
  if (mp->nextp) {
    acquirep(mp, mp->nextp);
    mp->nextp = nullptr;
  }
  schedule_loop(mp);
  // The runtime is exiting. Leave our P (if any) where it is: shutdown runs
  // with the world stopped and reclaims everything.
  rt::signal_stack_disable(mp->sigstack);
  mp->sigstack = nullptr;
  setm(nullptr);
  mp->exited.store(true,
                   rt::release);  // release: everything this M did is visible to run()'s joiner
}

M* allocm(P* pp, bool spinning) {
  M* mp = new M;
  mp->nextp = pp;
  mp->spinning = spinning;
  mp->rand.state = rt::random_seed();
  mp->g0.goid = 0;
  mp->g0.atomicstatus.store(static_cast<std::uint32_t>(GStatus::running),
                            rt::relaxed);  // relaxed: not shared yet
  // Publish on allm (lock-free push; readers walk it with acquire loads).
  M* head = sched->allm.load(rt::relaxed);  // relaxed: the CAS below validates it
  do {
    mp->alllink = head;
  } while (!sched->allm.cas(head, mp, rt::release) &&
           ((head = sched->allm.load(rt::relaxed)), true));  // release: publish mp's fields
  return mp;
}

namespace {

// newm's failure path: give the P back (and the spinning count), then
// report thread exhaustion and shut down.
void newm_failed(P* pp, bool spinning, bool over) GMPKIT_NO_TSA {
  // Its run queue may hold Gs (a locked M handing off its P, a wakep with
  // work queued): they move to the global queue, where shutdown finds them
  // — pidleput of a P with work is an impossible state.
  {
    rt::LockGuard g(sched->lock);
    if (pp) {
      GQueue q = pp->runq.drain();
      std::int32_t n = 0;
      for (G* gp = q.head; gp; gp = gp->schedlink) n++;
      if (n) sched->runq.put_batch(q, n);
      pidleput(pp);
    }
  }
  if (spinning) sched->nmspinning.fetch_sub(1, rt::seq_cst);  // seq_cst: pairs with wakep's CAS
  char msg[160];
  std::snprintf(msg, sizeof msg,
                over ? "runtime: program exceeds %d-thread limit: thread exhaustion"
                     : "runtime: failed to create new OS thread (have %d): thread exhaustion",
                sched->maxmcount);
  record_panic(std::make_exception_ptr(thread_exhaustion_error(msg)));
  begin_shutdown();
}

// newm1: start mp's thread (Go's newm1).
void newm1(M* mp) {
  P* pp = mp->nextp;
  const bool spinning = mp->spinning;
  if (rt::thread_create(&mp->thread, mstart_thunk, mp, kG0StackSize)) {
    mp->thread_state.store(M::kThreadRunning,
                           rt::release);  // release: publishes mp->thread to the joiner
    return;
  }
  // The OS refused: treat like the limit (Go: "failed to create new OS thread").
  mp->exited.store(true, rt::release);  // release: nothing to join
  mp->thread.handle = 0;
  mp->thread_state.store(M::kNoThread, rt::release);  // release: as above
  newm_failed(pp, spinning, false);
}

// Go's newmHandoff / templateThread: a thread wired to a goroutine
// (lock_os_thread) may carry state the program changed (name, namespaces,
// signal mask, thread-locals), and a thread created from it would inherit
// it. Ms needed while such a thread runs are created by the template
// thread instead: a plain thread started from a clean one (the first
// lock_os_thread caller, before its lock takes effect) that does nothing
// but create Ms. Stopped and joined by shutdown.
struct TemplateThread {
  rt::Mutex lock;
  std::vector<M*> queue GMPKIT_GUARDED_BY(lock);
  bool started GMPKIT_GUARDED_BY(lock) = false;
  bool stop GMPKIT_GUARDED_BY(lock) = false;
  rt::Note wake;  // set when queue or stop changed
  rt::Thread thread;
};
TemplateThread g_template;

void template_thread_main(void*) GMPKIT_NO_TSA {
  for (;;) {
    std::vector<M*> work;
    bool stop;
    {
      rt::LockGuard g(g_template.lock);
      work.swap(g_template.queue);
      stop = g_template.stop;
      if (work.empty() && !stop) g_template.wake.clear();
    }
    for (M* mp : work) newm1(mp);
    if (stop && work.empty()) return;
    if (work.empty()) g_template.wake.sleep();
  }
}

}  // namespace

void template_thread_start() GMPKIT_NO_TSA {
  rt::LockGuard g(g_template.lock);
  if (g_template.started) return;
  g_template.stop = false;
  g_template.wake.clear();
  if (rt::thread_create(&g_template.thread, template_thread_main, nullptr, 256 * 1024))
    g_template.started = true;
  // If it cannot start, newm creates threads itself (the state may leak, as
  // before; thread creation would most likely fail there too).
}

void template_thread_stop() GMPKIT_NO_TSA {
  {
    rt::LockGuard g(g_template.lock);
    if (!g_template.started) return;
    g_template.stop = true;
    // The note may still be set from a newm the thread has not consumed
    // (or is creating an M for right now): a second wakeup would trap.
    if (!g_template.wake.is_set()) g_template.wake.wakeup();
  }
  rt::thread_join(g_template.thread);
  rt::LockGuard g(g_template.lock);
  g_template.started = false;
  g_template.stop = false;
}

// newm: a new M (OS thread) that starts with pp, or spinning. Checks the
// thread limit first (Go's checkmcount: "thread exhaustion"). Called on a
// thread wired to a goroutine (or one ending because its locked goroutine
// exited), it hands the creation to the template thread (Go's newm:
// lockedExt != 0 → newmHandoff; Go keeps lockedExt set while such an M exits).
void newm(P* pp, bool spinning) {
  std::int64_t id;
  bool over = false;
  {
    rt::LockGuard g(sched->lock);
    id = sched->mnext;
    if (id - sched->nmfreed + 1 > sched->maxmcount) {  // Go's checkmcount: live Ms
      over = true;
    } else {
      sched->mnext++;
    }
  }
  if (over) {
    newm_failed(pp, spinning, true);
    return;
  }
  M* mp = allocm(pp, spinning);
  mp->id = id;
  sched->nthreads.fetch_add(1, rt::relaxed);  // relaxed: statistics
  M* cur = getm();
  if (cur != nullptr && (cur->lockedExt != 0 || cur->exit_thread)) {
    rt::LockGuard g(g_template.lock);
    if (g_template.started && !g_template.stop) {
      g_template.queue.push_back(mp);  // thread_state stays kThreadCreating: the joiner waits
      if (!g_template.wake.is_set()) g_template.wake.wakeup();
      return;
    }
  }
  newm1(mp);
}

// startm: schedule some M to run pp (an idle P if pp is nullptr), creating
// an M if none is idle. spinning: the caller incremented nmspinning and the
// new M inherits it.
void startm(P* pp, bool spinning) GMPKIT_NO_TSA {
  sched->lock.lock();
  if (sched->exiting.load(rt::relaxed)) {  // relaxed: exiting is set under sched.lock
    // pp may still hold runnable Gs (handoffp from a locked M's stoplockedm
    // while the runtime exits): forget them, as shutdown resets every run
    // queue; it unwinds each G from allgs. (Found by fuzz_ops_sim:
    // fuzz/regressions/fuzz_ops_sim/startm-exiting-pidleput.)
    if (pp) {
      (void)pp->runq.drain();
      pidleput(pp);
    }
    sched->lock.unlock();
    if (spinning) sched->nmspinning.fetch_sub(1, rt::seq_cst);  // seq_cst: pairs with wakep's CAS
    return;
  }
  if (pp == nullptr) {
    pp = pidleget();
    if (pp == nullptr) {
      sched->lock.unlock();
      if (spinning) {
        if (sched->nmspinning.fetch_sub(1, rt::seq_cst) - 1 < 0)
          fatal("startm: negative nmspinning");  // seq_cst: as above
      }
      return;
    }
  }
  if (spinning) p_count(pp->nspinning);  // metrics: spinning transitions (pp is ours to hand over)
  M* nmp = mget();
  if (nmp == nullptr) {
    sched->lock.unlock();
    newm(pp, spinning);
    return;
  }
  sched->lock.unlock();
  if (nmp->spinning) fatal("startm: m is spinning");
  if (nmp->nextp) fatal("startm: m has p");
  if (spinning && !pp->runq.empty()) fatal("startm: p has runnable gs");
  nmp->spinning = spinning;
  nmp->nextp = pp;
  nmp->park.wakeup();
}

// stopm: park this M (no P) until startm hands it one. Returns false if it
// was woken because the runtime is exiting.
bool stopm(M* mp) GMPKIT_NO_TSA {
  if (mp->p) fatal("stopm holding p");
  if (mp->spinning) fatal("stopm spinning");
  bool dead;
  {
    rt::LockGuard g(sched->lock);
    if (sched->exiting.load(rt::relaxed)) return false;  // relaxed: set under sched.lock
    dead = mput(mp);
  }
  if (dead) report_deadlock();
  mp->blocked = true;
  mp->park.sleep();
  mp->park.clear();
  mp->blocked = false;
  if (mp->nextp == nullptr) {
    if (!sched->exiting.load(rt::acquire))
      fatal("stopm: woken without a P");  // acquire: pairs with begin_shutdown
    return false;
  }
  acquirep(mp, mp->nextp);
  mp->nextp = nullptr;
  return true;
}

// wakep: try to add one more spinning M if there is an idle P and nobody
// is spinning already (being conservative about spinning Ms).
void wakep() {
  if (sched->npidle.load(rt::seq_cst) == 0)
    return;  // seq_cst: the producer side of the spinning dance
  if (sched->nmspinning.load(rt::seq_cst) != 0 || !sched->nmspinning.cas(0, 1, rt::seq_cst))
    return;  // seq_cst: as above
  startm(nullptr, true);
}

void resetspinning(M* mp) {
  if (!mp->spinning) fatal("resetspinning: not a spinning m");
  mp->spinning = false;
  if (sched->nmspinning.fetch_sub(1, rt::seq_cst) - 1 < 0)
    fatal("resetspinning: negative nmspinning");  // seq_cst: dance
  // The M wakeup policy is deliberately conservative: the spinner that found
  // work wakes the next one.
  if (!GMPKIT_PLANTED_BUG(resetspinning_no_wakep)) wakep();
}

// handoffp: hand off pp from a syscall or a locked M (Go's handoffp).
void handoffp(P* pp) GMPKIT_NO_TSA {
  // Local work, or global work: start an M straight away.
  if (!pp->runq.empty() || sched->runq.size() != 0) {
    startm(pp, false);
    return;
  }
  // No local work: if nobody is spinning or idle, our help is needed.
  if (!GMPKIT_PLANTED_BUG(handoffp_no_spinning_m) &&
      sched->nmspinning.load(rt::seq_cst) + sched->npidle.load(rt::seq_cst) == 0 &&
      sched->nmspinning.cas(0, 1, rt::seq_cst)) {  // seq_cst: spinning dance
    startm(pp, true);
    return;
  }
  sched->lock.lock();
  if (!GMPKIT_PLANTED_BUG(handoffp_ignores_gcwaiting) &&
      sched->gcwaiting.load(rt::relaxed)) {  // relaxed: set under this lock
    stw::stw_stop_p_locked(pp);
    sched->lock.unlock();
    return;
  }
  if (sched->runq.size() != 0) {
    sched->lock.unlock();
    startm(pp, false);
    return;
  }
  // The last running P and nobody polling: someone must watch the timers.
  if (!GMPKIT_PLANTED_BUG(handoffp_last_p_no_poller) &&
      sched->npidle.load(rt::seq_cst) == sched->gomaxprocs.load(rt::relaxed) - 1 &&
      sched->lastpoll.load(rt::acquire) != 0) {  // acquire: pairs with the poller
    sched->lock.unlock();
    startm(pp, false);
    return;
  }
  std::int64_t when = time::nobarrierWakeTime(pp->timers);
  pidleput(pp);
  sched->lock.unlock();
  if (when != 0) netpoll::wakeNetPoller(when);
}

bool mput(M* mp) {
  mp->schedlink = sched->midle;
  sched->midle = mp;
  sched->nmidle++;
  return checkdead();
}

M* mget() {
  M* mp = sched->midle;
  if (mp) {
    sched->midle = mp->schedlink;
    mp->schedlink = nullptr;
    sched->nmidle--;
  }
  return mp;
}

// checkdead: called when an M goes idle. If no M is running (all idle, none
// polling, none in a syscall) and no P has a timer, no goroutine can ever be
// made runnable again: a deadlock.
bool checkdead() {
  if (sched->exiting.load(rt::relaxed))
    return false;  // relaxed: set under sched.lock, which we hold
  std::int64_t run =
      sched->mnext - sched->nmidle - sched->nmidlelocked - sched->nmsys - sched->nmfreed;
  if (run > 0) return false;
  if (run < 0) fatal("checkdead: inconsistent counts");
  for (P* pp : sched->allp)
    if (pp->timers.numTimers.load(rt::acquire) > 0) return false;  // acquire: pairs with addtimer
  return true;
}

void report_deadlock() {
  std::ostringstream os;
  os << "all goroutines are asleep - deadlock!\n\n";
  // Every G is parked and nothing can resume one: stacks are safe to walk.
  std::string dump;
  observe::write_goroutine_dump(&dump, observe::DumpStacks::parked);
  os << dump;
  record_panic(std::make_exception_ptr(deadlock_error(os.str())));
  begin_shutdown();
}

}  // namespace gmpkit::core
