// core/sched.hpp — the scheduler's global state (Go's schedt) and the
// internal API of the core. Read this first.
//
// Design (proc.go's, in C++):
//   G — goroutine, M — OS thread, P — processor (gomaxprocs of them).
//   An M runs Gs only while it holds a P. Each P has a local run queue
//   (256-slot ring + runnext); the global run queue, the idle-P list and the
//   idle-M list live here under sched.lock.
//
//   Spinning. An M with a P and nothing to run "spins": it steals from other
//   Ps. At most half of the busy Ps' worth of Ms spin (2*nmspinning <
//   gomaxprocs - npidle). When work is made ready (newproc, goready) and
//   there is an idle P but no spinning M, wakep() starts one. A spinning M
//   that finds work calls resetspinning(), which wakes another spinner if
//   needed, so parallelism ramps up one M at a time without thundering
//   herds. A spinning M that gives up performs the "delicate dance":
//   decrement nmspinning, full barrier, re-check every runq and every
//   timer heap. Any producer does "publish work, full barrier, check
//   nmspinning", so one of the two always sees the other: no lost wakeups.
//
//   Timers are per P; an M with nothing to do becomes the poller (takes
//   sched.lastpoll) and sleeps in netpoll until the earliest timer;
//   wakeNetPoller interrupts it when an earlier timer is added.
//
// Lock order: sched.lock > P timers lock > sched.gFree.lock > allglock >
// StackPool lock. rt::Mutex is a futex lock; none is held across a switch
// to a G.
#pragma once

#include <cstdint>
#include <exception>
#include <vector>

#include "core/g.hpp"
#include "core/m.hpp"
#include "core/p.hpp"
#include "core/stack.hpp"
#include "gmpkit/config.hpp"
#include "observe/histogram.hpp"
#include "platform/annotations.hpp"
#include "platform/atomic.hpp"
#include "platform/mutex.hpp"
#include "platform/published.hpp"

namespace gmpkit::core {

// Go's randomOrder: enumerate [0, count) starting anywhere, stepping by a
// random increment coprime with count, so every P is visited once.
struct RandomOrder {
  std::uint32_t count = 0;
  std::vector<std::uint32_t> coprimes;
  void reset(std::uint32_t n);
};

struct Sched {
  Config cfg;

  rt::Mutex lock;  // guards everything marked GUARDED_BY(lock)

  // Ms.
  M* midle GMPKIT_GUARDED_BY(lock) = nullptr;
  std::int32_t nmidle GMPKIT_GUARDED_BY(lock) = 0;
  std::int32_t nmidlelocked GMPKIT_GUARDED_BY(lock) = 0;
  std::int64_t mnext GMPKIT_GUARDED_BY(lock) = 0;  // number of Ms created, next M id
  std::int32_t maxmcount = 10000;
  std::int32_t nmsys GMPKIT_GUARDED_BY(lock) = 0;  // system Ms (sysmon), not counted for deadlock
  std::int32_t nmfreed GMPKIT_GUARDED_BY(lock) =
      0;  // Ms that exited (locked G exited) or m0 wedged
  rt::Atomic<M*> allm{nullptr};
  M* m0 = nullptr;

  // Ps.
  P* pidle GMPKIT_GUARDED_BY(lock) = nullptr;
  rt::Atomic<std::int32_t> npidle{0};
  rt::Atomic<std::int32_t> nmspinning{0};
  AllP allp;  // see p.hpp: Ps never move; the live count changes with the world stopped
  // Changed only by procresize (world stopped); read racily everywhere, as
  // Go reads its gomaxprocs.
  rt::Atomic<std::int32_t> gomaxprocs{0};
  rt::Atomic<std::uint32_t> idlepMask[AllP::kMax / 32];  // bit per P: on the idle list
  RandomOrder stealOrder;

  // Global run queue.
  GlobalRunQueue runq GMPKIT_GUARDED_BY(lock);

  // Global free G cache (Go's sched.gFree).
  struct {
    rt::Mutex lock;
    GList list;
    rt::Atomic<std::int32_t> n{0};  // written under gFree.lock, read racily as a hint
  } gFree;

  // All Gs ever made this run (never shrinks): for dumps and shutdown.
  rt::Mutex allglock;
  std::vector<G*> allgs GMPKIT_GUARDED_BY(allglock);
  G* main_g = nullptr;

  rt::Atomic<std::int64_t> goidgen{0};

  // Poller (netpoll) coordination, Go's sched.lastpoll / sched.pollUntil.
  // lastpoll == 0 means some M is blocked in netpoll right now.
  rt::Atomic<std::int64_t> lastpoll{0};
  rt::Atomic<std::int64_t> pollUntil{0};

  // Shutdown.
  rt::Atomic<bool> exiting{false};
  std::exception_ptr panic GMPKIT_GUARDED_BY(lock);
  std::int64_t exiting_since = 0;

  StackPool stacks;

  // sysmon.
  M* sysmon_m = nullptr;
  rt::Note sysmon_note;  // woken at shutdown, and by pidleget while sysmonwait
  // sysmon is parked because every P was idle (Go's sched.sysmonwait);
  // pidleget, taking a P off the idle list, wakes it.
  bool sysmonwait GMPKIT_GUARDED_BY(lock) = false;
  // When sysmon's current sleep ends (nanotime; 0 while it is awake or
  // parked): addtimer kicks it when a new timer is due before that and
  // wake-up preemption may have to act on it (sysmon_kick_for_timer).
  rt::Atomic<std::int64_t> sysmon_wake_by{0};

  // Counters (relaxed: statistics only).
  rt::Atomic<std::int64_t> nsteals{0}, nputslow{0}, npreemptreq{0}, npreempted{0}, nthreads{0};
  rt::Atomic<std::int64_t> nsyscalls{0}, nsyscallslow{0}, nhandoffs{0};
  rt::Atomic<std::int64_t> nsysmonpark{0};  // times sysmon parked with every P idle
  rt::Atomic<std::int64_t> nsysmonkick{0};  // times addtimer woke sysmon for wake-up preemption
  rt::Atomic<std::int64_t> nasyncpreempt{0};  // async preemptions (also counted in npreempted)
  rt::Atomic<std::int64_t> npreemptsig{0};  // preemption signals sent
  rt::Atomic<std::int64_t> nwakeuppreempt{0};  // wake-up preemption requests (Config::min_slice)

  // Stop-the-world (stw/stw.cpp; Go's sched.gcwaiting, stopwait, stopnote,
  // worldsema, newprocs).
  rt::Atomic<bool> gcwaiting{false};  // Ps must stop at their next scheduling point
  std::int32_t stopwait GMPKIT_GUARDED_BY(lock) = 0;  // Ps still to stop
  rt::Note stopnote;  // woken when stopwait reaches 0
  std::uint32_t worldsema = 1;  // semaphore serialising STW callers
  rt::Atomic<G*> stw_owner{nullptr};  // the G that holds the stopped world
  std::int32_t newprocs = 0;  // gomaxprocs to apply at the next start (owner only)
  std::int64_t stw_begin = 0;  // owner only
  observe::Histogram stw_stopping, stw_total;
  rt::Atomic<std::int64_t> nstw{0};
  // runnable -> running latency of every 8th G run (Go's sched.timeToRun,
  // /sched/latencies:seconds); recorded by casgstatus (core/g.cpp).
  observe::Histogram sched_latency;

  explicit Sched(const Config& c, std::size_t stack_size);
};

// The current run's scheduler (nullptr outside run()). Runtime threads and
// goroutines read it directly: it outlives them. A thread the runtime does
// not own (the any-thread API: metrics(), debug::stats(), ...) must pin it
// through sched_pub instead, and use `sched` only while the pin is held:
// shutdown unpublishes it and waits every pin out before freeing anything.
extern Sched* sched;
extern rt::Published<Sched> sched_pub;

// Thread-local current M. Never cached across a switch: a G may resume on a
// different thread, so these are out-of-line reads.
M* getm() noexcept;
void setm(M* mp) noexcept;
// The running G, or nullptr on g0 / outside the runtime.
G* getg() noexcept;

// ---- proc.cpp: G lifecycle ----
void newproc(const detail::EntryOps& ops, void* fn);  // go()
[[noreturn]] void goexit1();  // the G is done
void begin_shutdown();  // main returned / a G threw
void record_panic(std::exception_ptr e);
G* malg();  // new G with a stack

// ---- schedule.cpp ----
void schedule_loop(M* mp);  // g0's loop; returns when the runtime exits
void execute(M* mp, G* gp, bool inheritTime);  // run gp on mp until it mcalls
void runqput(P* pp, G* gp, bool next);
G* runqget(P* pp, bool* inheritTime);

// ---- m.cpp: M management ----
void mstart(M* mp);  // the body of every M's thread
M* allocm(P* pp, bool spinning);
void newm(P* pp, bool spinning);
void startm(P* pp, bool spinning);
bool stopm(M* mp);  // false: the runtime is exiting (no P acquired)
void wakep();
void handoffp(P* pp);
void resetspinning(M* mp);
bool mput(M* mp) GMPKIT_REQUIRES(sched->lock);  // true: checkdead found a deadlock
M* mget() GMPKIT_REQUIRES(sched->lock);
bool checkdead() GMPKIT_REQUIRES(sched->lock);
void report_deadlock();  // sched->lock not held

// ---- p.cpp: P management ----
// World stopped (or at start), sched.lock held. Returns the Ps that have
// local work (linked through P::link, each with P::m set to an idle M or
// nullptr) for startTheWorld to start; the caller's M keeps or gets a P.
P* procresize(std::int32_t nprocs) GMPKIT_REQUIRES(sched->lock);
void acquirep(M* mp, P* pp);
P* releasep(M* mp);
void pidleput(P* pp) GMPKIT_REQUIRES(sched->lock);
P* pidleget() GMPKIT_REQUIRES(sched->lock);
void gfput(P* pp, G* gp);
G* gfget(P* pp);

// ---- sysmon/preempt.cpp ----
// GMPKIT_DEBUG="name=value,..." (Go's GODEBUG): the integer value of name,
// or def if absent.
int debug_setting(const char* name, int def);

// ---- observe/metrics.cpp ----
// Keeps this run's final metrics for gmpkit::metrics() after run() returns.
void save_final_metrics();

// ---- stw/stw.cpp ----
// Go's gcstopm: the world is stopping; give up our P (to gcstop) and park
// until startTheWorld hands us one. Returns false if the runtime is exiting.
bool gcstopm(M* mp);
// pp (held by no M) goes straight to gcstop: handoffp and entersyscall when
// they find the world stopping.
void stw_stop_p_locked(P* pp) GMPKIT_REQUIRES(sched->lock);
// True if mp runs the G that holds the stopped world: the only M that keeps
// a P in gcstop (every other M gives its P up before it is stopped).
inline bool holds_stopped_world(const M* mp) noexcept {
  return mp->p != nullptr && mp->p->pstatus() == PStatus::gcstop;
}

// ---- core/lockosthread.cpp ----
// The locked M's G stopped running: hand off the P and park until its G is
// runnable again and handed to us (with a P). False: the runtime is exiting.
bool stoplockedm(M* mp);
// gp (found runnable by mp) is locked to another M: hand it our P, then
// stopm. Returns stopm's result.
bool startlockedm(M* mp, G* gp);
// A G exited while locked: mp gives up its P and its thread ends (m0 parks
// until shutdown instead).
void mexit(M* mp);
// begin_shutdown, sched.lock held: wake Ms parked in stoplockedm/mexit.
void wake_locked_ms_for_shutdown() GMPKIT_REQUIRES(sched->lock);
// sysmon.cpp: Go's incidlelocked.
void incidlelocked(std::int32_t v);

// ---- sync/park.cpp: switching ----
// Switch to g0 and run fn(m, g) there (Go's mcall). Returns when the G is
// resumed; throws forced_unwind if it is resumed only to be unwound.
void mcall(G* (*fn)(M*, G*));
[[noreturn]] void mcall_exit(G* (*fn)(M*, G*));  // goexit: never resumed
void dropg(M* mp);
void gogo(M* mp, G* gp);  // g0 -> gp
void gopark(bool (*unlockf)(G*, void*), void* lock, WaitReason reason);
void goparkunlock(rt::Mutex* lock, WaitReason reason);
void goready(G* gp);
void gosched();  // yield
void gopreempt();  // cooperative preemption (Go's gopreempt_m)

// ---- sysmon/syscall.cpp ----
void entersyscall();
void entersyscallblock();
void exitsyscall();

// ---- sysmon ----
void sysmon_start();
void sysmon_stop();
// Wake sysmon (sched.lock held). Every wakeup of sysmon_note goes through
// here and sysmon clears it under the same lock, so none is doubled.
void sysmon_wake_locked();
// addtimer, after the timer is published: if wake-up preemption is on,
// every P is busy and sysmon sleeps past `when`, wake it.
void sysmon_kick_for_timer(std::int64_t when);
// Cooperative preemption point: yields if this G's P was asked to.
void preempt_check();

// ---- sysmon/preempt.cpp (design comment there) ----
// Once per run(), before sysmon starts: GMPKIT_DEBUG, the SIGURG handler,
// the code-region table, the XSAVE geometry. Decides async_preempt_enabled().
void preempt_init();
bool async_preempt_enabled() noexcept;
// Go's preemptone: ask the G running on pp to stop (cooperative flag, plus
// the preemption signal when async preemption is on). Returns false if pp
// runs no G (or runs the caller). Callable from any thread.
bool preemptone(P* pp);
// Go's preemptall: preemptone every running P (stop-the-world). Returns
// true if at least one request was made.
bool preemptall();
// Wake-up preemption (Config::min_slice), called by sysmon each round after
// retake: if every P is busy and a P's earliest timer is due, preempt that
// P's G once it has run min_slice. Returns when sysmon should look again
// (nanotime; 0: nothing pending).
std::int64_t wakeup_preempt(std::int64_t now);

// ---- netpoll ----
bool netpollinited() noexcept;
void netpollinit();
void netpollclose();
GQueue netpoll(std::int64_t delay_ns);  // delay < 0: block; 0: poll
void netpollBreak();
void wakeNetPoller(std::int64_t when);
void injectglist(GQueue* q);
// Gs parked in wait_readable/wait_writable (Go's netpollWaiters).
extern rt::Atomic<std::uint32_t> netpollWaiters;
// netpoll.cpp -> fd_wait.cpp: an fd registered with data `pd` is ready
// for mode 'r', 'w' or 'r'+'w'; adds the woken Gs to *toRun.
void netpollready(GQueue* toRun, void* pd, int mode);
// fd_wait.cpp: register fd's poll descriptor (EPOLLET, in+out) for a wait.
bool netpollopen(int fd, void* pd);
void netpoll_free_descs();
// fd_wait.cpp, debug (observe/invariants.cpp): fn(g, fd, 'r'/'w') for every
// G parked on a poll descriptor.
void netpollForEachWaiter(void (*fn)(G* gp, int fd, char mode, void* arg), void* arg);

}  // namespace gmpkit::core
