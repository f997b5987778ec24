// core/proc.cpp — the life of the runtime and of each G: run() (schedinit,
// m0, the main goroutine, shutdown), newproc, the goroutine entry, goexit.
//
// Shutdown (run() returning) mirrors Go's process exit, minus the exit:
//   1. begin_shutdown() — called when the main G returns, a G throws, or
//      checkdead finds a deadlock — sets sched.exiting under sched.lock,
//      wakes every idle M and the poller, and asks running Gs to yield.
//   2. Every M leaves its schedule loop at its next scheduling decision and
//      its thread ends; m0 (the thread that called run()) joins them all.
//      sysmon reports goroutines that keep an M from stopping.
//   3. With no other thread left, m0 resumes every G that is not dead, once,
//      with G.unwinding set: a G that never started destroys its callable;
//      a parked G gets gmpkit::forced_unwind thrown from its park point, so
//      its destructors run. A G stopped where it must not be unwound (by
//      the preemption signal in user code, or in a no-throw yield) runs on
//      instead, to its end or its next scheduling point (where it is
//      unwound), retired only if still call-free after the exit grace
//      (sysmon::resume_at_exit). Each ends in goexit0 like any G.
//   4. Gs, Ps, Ms, stacks and the poller are freed; run() rethrows the first
//      exception a goroutine let escape (or the deadlock error).
#include "core/proc.hpp"

#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <utility>

#include "core/lockosthread.hpp"
#include "core/m.hpp"
#include "core/p.hpp"
#include "core/park.hpp"
#include "core/planted_bug.hpp"
#include "core/quiescence.hpp"
#include "core/sched.hpp"
#include "core/schedule.hpp"
#include "core/template_thread.hpp"
#include "gmpkit/runtime.hpp"
#include "netpoll/netpoll.hpp"
#include "observe/hooks.hpp"
#include "platform/clock.hpp"
#include "platform/futex.hpp"
#include "platform/placement.hpp"
#include "platform/quiescence.hpp"
#include "platform/signal.hpp"
#include "platform/thread.hpp"
#include "stw/procresize.hpp"
#include "sysmon/preempt.hpp"
#include "sysmon/sysmon.hpp"
#include "platform/diag_word.hpp"

#if GMPKIT_ASAN
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#endif
#if GMPKIT_TSAN
#include <sanitizer/tsan_interface.h>
#endif

namespace gmpkit::core {

Sched* sched = nullptr;
rt::Published<Sched> sched_pub;

namespace {
thread_local M* tls_m = nullptr;
rt::Atomic<bool> g_run_active{false};
}  // namespace

// Out of line and opaque to the optimizer: a G may resume on another thread
// after any switch, so a TLS address must never be cached across one.
__attribute__((noinline)) M* getm() noexcept {
  asm volatile("" ::: "memory");
  return tls_m;
}
__attribute__((noinline)) void setm(M* mp) noexcept { tls_m = mp; }
G* getg() noexcept {
  M* mp = getm();
  return mp ? mp->curg : nullptr;
}

Sched::Sched(const Config& c, std::size_t stack_size)
    : cfg(c), stacks(stack_size, c.guarded_stacks) {}

namespace {

// Reports a stack overflow from the SIGSEGV handler (on the sigaltstack).
// Async-signal-safe: formats by hand, writes with write(2).
[[maybe_unused]] bool on_fault(void* addr, void* sp) {
  M* mp = tls_m;
  if (!mp || !mp->curg) return false;
  G* gp = mp->curg;
  auto a = reinterpret_cast<std::uintptr_t>(addr);
  auto s = reinterpret_cast<std::uintptr_t>(sp);
  auto lo = reinterpret_cast<std::uintptr_t>(gp->stack.lo);
  // A guard-page hit, or the stack pointer below the G's stack (however far:
  // on an unguarded canary stack a runaway recursion first runs through the
  // unused stacks below it in the slab) with the fault at or below it.
  bool overflow = StackPool::in_guard(gp->stack, addr) || (s < lo + 256 && a < lo + 4096);
  if (!overflow) return false;
  char buf[160];
  char num[2][24];
  auto fmt = [](char* out, std::uint64_t v) {
    char tmp[24];
    int n = 0;
    do {
      tmp[n++] = static_cast<char>('0' + v % 10);
      v /= 10;
    } while (v);
    for (int i = 0; i < n; i++) out[i] = tmp[n - 1 - i];
    out[n] = 0;
  };
  fmt(num[0], static_cast<std::uint64_t>(gp->goid));
  fmt(num[1], gp->stack.size());
  int n = 0;
  for (const char* part : {"gmpkit: goroutine ", static_cast<const char*>(num[0]),
                           " stack overflow (stack size ", static_cast<const char*>(num[1]), ")\n"})
    for (const char* c = part; *c && n < static_cast<int>(sizeof buf); c++) buf[n++] = *c;
  rt::write_stderr(buf, static_cast<std::size_t>(n));
  return true;
}

void allgadd(G* gp) GMPKIT_NO_TSA {
  rt::LockGuard g(sched->allglock);
  sched->allgs.push_back(gp);
}

// Where a fresh G starts (via gmpkit_ctx_entry).
void run_body(G* gp) {
  gp->started = true;
  struct Destroy {
    G* gp;
    // Taken first: a G retired inside this destructor (async preemption at
    // exit, sysmon/preempt.cpp) must not destroy the callable twice.
    ~Destroy() {
      if (void* obj = std::exchange(gp->entry_obj, nullptr)) gp->entry_ops->destroy(obj);
    }
  } destroy{gp};
  try {
    if (!gp->unwinding) {
      if (gp == sched->main_g)
        observe::verifier_start();  // Config::verify_every (observe/invariants.hpp)
      gp->entry_ops->invoke(gp->entry_obj);
    }
  } catch (const forced_unwind&) {
    // Shutdown unwound us: expected.
  } catch (...) {
    record_panic(std::current_exception());
    begin_shutdown();
  }
  if (gp == sched->main_g) begin_shutdown();
}

[[noreturn]] GMPKIT_NO_TSAN_FRAME void gentry(void* arg) {
#if GMPKIT_ASAN
  __sanitizer_finish_switch_fiber(nullptr, nullptr, nullptr);
#endif
  run_body(static_cast<G*>(arg));
  goexit1();
}

G* goexit0(M* mp, G* gp) {
  casgstatus(gp, GStatus::running, GStatus::dead);
  // Exiting while locked: the thread may be in a state the goroutine set up
  // for itself; end it rather than reuse it (not at shutdown: m0 unwinds
  // every G and must not leave).
  const bool locked = gp->lockedm != nullptr;
  if (locked) rt::diag_store(gp->lockedm, nullptr);  // dumps read it from any thread
  mp->lockedg = nullptr;
  mp->lockedExt = 0;
  if (locked && !sched->exiting.load(rt::relaxed))
    mp->exit_thread = true;  // relaxed: a late exit only costs a thread
  gp->entry_ops = nullptr;
  gp->entry_obj = nullptr;
  gp->started = false;
  gp->unwinding = false;
  gp->resume_at_exit = G::StoppedAt::none;
  gp->exit_resume = false;
  gp->waitreason.store(WaitReason::zero, rt::relaxed);  // relaxed: diagnostics (g.hpp)
  dropg(mp);
  P* pp = mp->p;
  pp->ngexited.store(pp->ngexited.load(rt::relaxed) + 1,
                     rt::relaxed);  // relaxed: owner-only counter, summed racily
  gfput(pp, gp);
  return nullptr;
}

// Creates the runnable G for `ops`/`fn` on pp (Go's newproc1).
G* newproc1(M* mp, P* pp, const detail::EntryOps& ops, void* fn) {
  G* newg = gfget(pp);
  if (newg == nullptr) {
    newg = malg();
    casgstatus(newg, GStatus::idle, GStatus::dead);
    allgadd(newg);
  }
#if GMPKIT_ASAN
  else {
    // Frames of the previous owner of this stack may have left poison.
    __asan_unpoison_memory_region(newg->stack.lo, newg->stack.size());
  }
#endif
  // Move the callable into the top of the new stack.
  auto top = reinterpret_cast<std::uintptr_t>(newg->stack.hi);
  top = (top - ops.size) & ~(std::uintptr_t{ops.align > 16 ? ops.align : 16} - 1);
  if (top < reinterpret_cast<std::uintptr_t>(newg->stack.lo) + newg->stack.size() / 2) {
    gfput(pp, newg);
    throw usage_error("gmpkit: goroutine body of " + std::to_string(ops.size) +
                      " bytes does not fit in half of the goroutine stack (Config::stack_size)");
  }
  try {
    ops.move_to(reinterpret_cast<void*>(top), fn);
  } catch (...) {
    gfput(pp, newg);
    throw;
  }
  newg->entry_ops = &ops;
  newg->entry_obj = reinterpret_cast<void*>(top);
  newg->started = false;
  newg->unwinding = false;
  make_context(&newg->sched, reinterpret_cast<void*>(top), gentry, newg);
  if (pp->goidcache == pp->goidcacheend) {
    // relaxed: ids only need to be unique.
    pp->goidcache = sched->goidgen.fetch_add(kGoidCacheBatch, rt::relaxed) + 1;
    pp->goidcacheend = pp->goidcache + kGoidCacheBatch;
  }
  rt::diag_store(newg->goid, pp->goidcache++);  // a reused G: dumps may still read the old id
  // The birth moment: runnable and (next line) in a run queue.
  casgstatus(newg, GStatus::dead, GStatus::runnable);
  pp->ngcreated.store(pp->ngcreated.load(rt::relaxed) + 1,
                      rt::relaxed);  // relaxed: owner-only counter
  (void)mp;
  return newg;
}

void free_all_gs() GMPKIT_NO_TSA {
  for (G* gp : sched->allgs) {
#if GMPKIT_TSAN
    if (gp->tsan_fiber) __tsan_destroy_fiber(gp->tsan_fiber);
#endif
    delete gp;
  }
  sched->allgs.clear();
}

// Steps 2-4 of shutdown, on m0.
void shutdown(M* m0) GMPKIT_NO_TSA {
  // 2. Join every other M (sysmon last: it diagnoses stragglers meanwhile).
  // Ms still running may start new ones (handoffp from an exiting locked
  // M, say), and a new M's thread handle is valid only once its creator's
  // thread_create returned: sweep until every M is joined.
  // New Ms are pushed at the head of allm, possibly behind this sweep (an M
  // we join later in the list creates one): sweep again until a whole pass
  // starts and ends with the same head.
  for (bool pending = true; pending;) {
    pending = false;
    M* head = sched->allm.load(rt::acquire);  // acquire: pairs with allocm's publish
    for (M* mp = head; mp; mp = mp->alllink) {
      if (mp == m0 || mp == sched->sysmon_m || mp->joined) continue;
      std::uint32_t st = mp->thread_state.load(rt::acquire);  // acquire: pairs with newm's release
      if (st == M::kThreadCreating) {
        pending = true;
        continue;
      }
      if (st == M::kThreadRunning) rt::thread_join(mp->thread);
      mp->joined = true;
    }
    if (sched->allm.load(rt::acquire) != head) pending = true;  // acquire: as above
    if (pending) rt::osyield();
  }
  template_thread_stop();  // its queue is empty: every M it was asked for was swept above
  sysmon::sysmon_stop();

  // 3. The world is stopped for good: forget the queues, take a P, unwind.
  for (P* pp : sched->allp) {
    pp->link = nullptr;
    pp->runq.reset();
    pp->m = nullptr;
    pp->set_status(PStatus::idle);
  }
  sched->runq.reset();
  m0->lockedg = nullptr;
  m0->lockedExt = 0;
  m0->exit_thread = false;
  m0->p = nullptr;
  m0->spinning = false;
  acquirep(m0, sched->allp[0]);
  std::int64_t resume_deadline = 0;  // sysmon::resume_at_exit's shared grace
  for (bool any = true; any;) {
    any = false;
    std::vector<G*> gs;
    {
      rt::LockGuard g(sched->allglock);
      gs = sched->allgs;
    }
    for (G* gp : gs) {
      GStatus st = gp->status();
      if (st == GStatus::dead || st == GStatus::idle) continue;
      if (st != GStatus::runnable && st != GStatus::waiting && st != GStatus::preempted)
        throw_g("shutdown: goroutine still running after every M stopped", gp);
      any = true;
      if (gp->resume_at_exit != G::StoppedAt::none && st == GStatus::runnable) {
        // Stopped where it cannot be unwound: let it run on (to its end or
        // its next scheduling point) rather than retire it where it stands.
        // One grace for all of them, from the first.
        if (resume_deadline == 0) resume_deadline = rt::nanotime() + sysmon::kShutdownAsyncGraceNs;
        sysmon::resume_at_exit(m0, gp, resume_deadline);
      } else {
        gp->unwinding = true;
        if (st != GStatus::runnable) casgstatus(gp, st, GStatus::runnable);
        execute(m0, gp, true);
      }
      auto fn = m0->mcall_fn;
      m0->mcall_fn = nullptr;
      if (fn != goexit0) throw_g("shutdown: unwound goroutine did not exit", gp);
      fn(m0, gp);
    }
  }

  // 4. Free everything. Threads outside the runtime may be reading the
  // scheduler (metrics(), debug::goroutines(), ...): keep the final metrics for
  // them, unpublish, wait their pins out, then free.
  observe::save_final_metrics();
  sched_pub.unpublish_and_drain();
  for (P* pp : sched->allp) {
    rt::LockGuard g(pp->timers.lock);
    for (time::Timer* t : pp->timers.heap)
      t->pp.store(nullptr, rt::relaxed);  // relaxed: world stopped
    pp->timers.heap.clear();
  }
  free_all_gs();
  for (std::int32_t i = 0; i < sched->allp.allocated(); i++)
    delete sched->allp.slot(i);  // dead ones too
  sched->allp.set_size(0);
  netpoll::netpollclose();
  for (M* mp = sched->allm.load(rt::acquire); mp;) {  // acquire: as above
    M* next = mp->alllink;
    if (mp != m0) delete mp;
    mp = next;
  }
}

}  // namespace

G* malg() {
  G* gp = new G;
  if (!sched->stacks.alloc(&gp->stack)) {
    delete gp;
    fatal("out of memory allocating a goroutine stack");
  }
#if GMPKIT_TSAN
  gp->tsan_fiber = __tsan_create_fiber(0);
#endif
  return gp;
}

void newproc(const detail::EntryOps& ops, void* fn) {
  M* mp = getm();
  if (mp == nullptr || mp->curg == nullptr)
    throw usage_error(
        "gmpkit: go() called outside a goroutine (start the runtime with gmpkit::run)");
  mp->locks++;  // acquirem: stay on this P until the G is queued
  G* newg = newproc1(mp, mp->p, ops, fn);
  const std::uint64_t tr =
      GMPKIT_UNLIKELY(observe::trace_enabled()) ? observe::traceGoCreateReserve() : 0;
  runqput(mp->p, newg, true);
  if (GMPKIT_UNLIKELY(tr != 0))
    observe::traceGoCreate(tr, mp->p, newg, mp->curg);  // the birth moment
  if (!GMPKIT_PLANTED_BUG(newproc_no_wakep)) wakep();
  mp->locks--;
  preempt_check();
}

[[noreturn]] GMPKIT_NO_TSAN_FRAME void goexit1() { mcall_exit(goexit0); }

void record_panic(std::exception_ptr e) {
  rt::LockGuard g(sched->lock);
  if (!sched->panic) sched->panic = std::move(e);
}

void begin_shutdown() GMPKIT_NO_TSA {
  {
    rt::LockGuard g(sched->lock);
    if (sched->exiting.load(rt::relaxed)) return;  // relaxed: written only under this lock
    sched->exiting_since = rt::nanotime();
    sched->exiting.store(true,
                         rt::seq_cst);  // seq_cst: lock-free readers (findrunnable, preempt_check)
    while (M* mp = mget()) {
      mp->nextp = nullptr;
      mp->park.wakeup();
    }
    wake_locked_ms_for_shutdown();
  }
  for (P* pp : sched->allp)
    pp->preempt.store(true, rt::relaxed);  // relaxed: a request; exiting is the real signal
  netpoll::netpollBreak();
}

void preempt_check() {
  M* mp = getm();
  if (mp == nullptr || mp->p == nullptr) return;
  // relaxed: requests are hints; a missed one is seen at the next check.
  if (!mp->p->preempt.load(rt::relaxed) && !sched->exiting.load(rt::relaxed)) return;
  // Go's newstack: a G inside acquirem or holding a runtime lock keeps
  // running (a channel operation called from an element's move constructor
  // runs under the other channel's lock); the request stays set.
  if (mp->locks != 0 || rt::locks_held() != 0) return;
  gopreempt();
}

}  // namespace gmpkit::core

namespace gmpkit::detail {

using namespace gmpkit::core;

void run_main(const Config& cfg, const EntryOps& ops, void* fn) {
  if (getm() != nullptr) throw usage_error("gmpkit: run() called from inside a goroutine");
  if (g_run_active.exchange(true, rt::acq_rel))  // acq_rel: one run() at a time, ordered
    throw usage_error("gmpkit: run() is already active on another thread");
  struct Active {
    ~Active() { g_run_active.store(false, rt::release); }  // release: this run's teardown first
  } active;
  rt::register_thread_local(&tls_m, sizeof tls_m);  // the simulator keeps it per M
  rt::register_locks_held_thread_local();  // so is the runtime-lock count

  int procs = cfg.procs;
  if (procs <= 0) {
    if (const char* env = std::getenv("GMPKIT_PROCS")) procs = std::atoi(env);
    if (procs <= 0) procs = rt::cpu_count();
    if (procs <= 0) procs = 1;
  }
  if (procs > AllP::kMax) throw usage_error("gmpkit: Config::procs must be at most 1024");
  if (cfg.max_threads < 1) throw usage_error("gmpkit: Config::max_threads must be positive");
  if (cfg.time_slice.count() <= 0) throw usage_error("gmpkit: Config::time_slice must be positive");

  rt::placement_start(cfg);  // Config::placement/topology (throws usage_error)
  struct PlacementStop {
    ~PlacementStop() { rt::placement_stop(); }
  } placement_stop;

  observe::trace_run_begin();  // GMPKIT_TRACE=path: trace the whole run
  observe::metrics_run_begin();  // this run's latency histograms start empty
  sched = new Sched(cfg, cfg.stack_size);
  sched->maxmcount = cfg.max_threads;
  sched->lastpoll.store(rt::nanotime(), rt::relaxed);  // relaxed: no other thread yet

  M* m0 = allocm(nullptr, false);
  m0->is_m0 = true;
  m0->id = 0;
  sched->m0 = m0;
  {
    rt::LockGuard g(sched->lock);
    sched->mnext = 1;
  }
  sched->nthreads.store(1, rt::relaxed);  // relaxed: statistics
  setm(m0);
  m0->procid = rt::gettid();
  m0->sigstack = rt::signal_stack_enable();
  rt::thread_stack_bounds(&m0->g0_stack_lo, &m0->g0_stack_size);
#if GMPKIT_TSAN
  m0->g0.tsan_fiber = __tsan_get_current_fiber();
#endif
#if !GMPKIT_ASAN
  rt::install_fault_handler(on_fault);  // under ASan, ASan reports overflows itself
#endif
  netpoll::netpollinit();
  observe::sigquit_install();  // SIGQUIT: dump and exit(2) while run() is active
  {
    rt::LockGuard g(sched->lock);
    if (stw::procresize(procs) != nullptr) fatal("run: new Ps with work");
  }
  rt::set_quiescence_check(quiescence_check);  // the simulator's lost-wakeup check
  liveness_reset();
  rt::set_liveness_check(liveness_check, 256);  // and its progress bounds

  try {
    G* main_g = newproc1(m0, m0->p, ops, fn);
    sched->main_g = main_g;
    const std::uint64_t tr =
        GMPKIT_UNLIKELY(observe::trace_enabled()) ? observe::traceGoCreateReserve() : 0;
    // Into the ring, not runnext: executing it then starts a fresh slice and
    // bumps schedtick to 1. From runnext it would run with schedtick 0, and
    // the main G's first yield would hit the "every 61st tick" global-queue
    // check and take itself straight back, starving the Gs it just spawned.
    // (Go has the same quirk, hidden because runtime.main schedules many
    // times before user code starts.)
    runqput(m0->p, main_g, false);
    if (GMPKIT_UNLIKELY(tr != 0)) observe::traceGoCreate(tr, m0->p, main_g, nullptr);
  } catch (...) {
    record_panic(std::current_exception());
    begin_shutdown();
  }
  sched_pub.publish(sched);  // any-thread readers may pin it from now on
  if (!sched->exiting.load(rt::relaxed))
    sysmon::sysmon_start();  // relaxed: only this thread so far

  schedule_loop(m0);
  shutdown(m0);
  observe::trace_run_end();

  std::exception_ptr panic;
  {
    rt::LockGuard g(sched->lock);
    panic = sched->panic;
    sched->panic = nullptr;
  }
  observe::sigquit_restore();
  rt::set_quiescence_check(nullptr);
  rt::set_liveness_check(nullptr, 0);
  rt::signal_stack_disable(m0->sigstack);
  setm(nullptr);
  delete m0;
  delete sched;
  sched = nullptr;
  if (panic) std::rethrow_exception(panic);
}

void newproc(const EntryOps& ops, void* fn) { core::newproc(ops, fn); }

}  // namespace gmpkit::detail
