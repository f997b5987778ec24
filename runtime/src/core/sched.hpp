// core/sched.hpp — the scheduler's global state (Go's schedt) and its lock.
// Read this first; the core's functions are declared per subsystem:
//   core/proc.hpp         G lifecycle, run() and shutdown (newproc, goexit1)
//   core/schedule.hpp     finding and running Gs; starting/stopping Ms and Ps
//   core/park.hpp         switching stacks (mcall/gogo), gopark/goready
//   core/lockosthread.hpp locked G/M pairs
//   sysmon/*.hpp, stw/*.hpp, netpoll/netpoll.hpp, time/timer.hpp: the
//   subsystems around the scheduler (namespaces gmpkit::sysmon, ::stw, ...).
//   observe/hooks.hpp     the only part of observe/ the core calls.
//
// Owns: the idle-M list, the idle-P list and idle-P mask, the global run
// queue, the free-G cache, the list of all Gs, the poller token
// (lastpoll/pollUntil), the shutdown state, sysmon's and stop-the-world's
// shared fields and the scheduler's counters. One Sched exists per run()
// (`sched`, nullptr outside it).
//
// Lock order (a lock may be taken while holding only locks to its left):
//   sched.lock > P timers lock > sched.gFree.lock > allglock > StackPool lock
// (channel locks come before all of them: sync/chan.hpp; the complete ranked
// list is docs/ARCHITECTURE.md §5). rt::Mutex is a futex lock; none is held
// across a switch to a G.
//
// Invariants (checked by verify_invariants, docs/ARCHITECTURE.md §4):
// npidle == length of pidle == popcount(idlepMask); every P on pidle is
// idle; nmidle == length of midle; a G is in at most one run queue.
#pragma once

#include <cstdint>
#include <exception>
#include <vector>

#include "core/g.hpp"
#include "core/p.hpp"
#include "core/stack.hpp"
#include "gmpkit/config.hpp"
#include "platform/annotations.hpp"
#include "platform/atomic.hpp"
#include "platform/mutex.hpp"
#include "platform/published.hpp"

namespace gmpkit::core {

struct M;

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
  std::int32_t maxmcount = 10000;  // set from Config::max_threads
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

  // sysmon (sysmon/sysmon.hpp).
  M* sysmon_m = nullptr;
  rt::Note sysmon_note;  // woken at shutdown, and by pidleget while sysmonwait
  // sysmon is parked because every P was idle (Go's sched.sysmonwait);
  // pidleget, taking a P off the idle list, wakes it.
  bool sysmonwait GMPKIT_GUARDED_BY(lock) = false;
  // When sysmon's current sleep ends (nanotime; 0 while it is awake or
  // parked): addtimer kicks it when a new timer is due before that and
  // wake-up preemption may have to act on it (sysmon_kick_for_timer).
  rt::Atomic<std::int64_t> sysmon_wake_by{0};

  // Counters (relaxed: statistics only; read by gmpkit::metrics()).
  rt::Atomic<std::int64_t> nsteals{0}, nputslow{0}, npreemptreq{0}, npreempted{0}, nthreads{0};
  rt::Atomic<std::int64_t> nsyscallslow{0}, nhandoffs{0};  // syscalls: per P (P::nsyscall)
  rt::Atomic<std::int64_t> nsysmonpark{0};  // times sysmon parked with every P idle
  rt::Atomic<std::int64_t> nsysmonkick{0};  // times addtimer woke sysmon for wake-up preemption
  rt::Atomic<std::int64_t> nasyncpreempt{0};  // async preemptions (also counted in npreempted)
  rt::Atomic<std::int64_t> nretired{0};  // Gs shutdown retired without unwinding (async-preempted in user code)
  rt::Atomic<std::int64_t> npreemptsig{0};  // preemption signals sent
  rt::Atomic<std::int64_t> nwakeuppreempt{0};  // wake-up preemption requests (Config::min_slice)

  // Stop-the-world (stw/stw.hpp; Go's sched.gcwaiting, stopwait, stopnote,
  // worldsema, newprocs). Its latency histograms live in observe/
  // (observe/hooks.hpp: record_stw_*).
  rt::Atomic<bool> gcwaiting{false};  // Ps must stop at their next scheduling point
  std::int32_t stopwait GMPKIT_GUARDED_BY(lock) = 0;  // Ps still to stop
  rt::Note stopnote;  // woken when stopwait reaches 0
  std::uint32_t worldsema = 1;  // semaphore serialising STW callers
  rt::Atomic<G*> stw_owner{nullptr};  // the G that holds the stopped world
  std::int32_t newprocs = 0;  // gomaxprocs to apply at the next start (owner only)
  std::int64_t stw_begin = 0;  // owner only
  rt::Atomic<std::int64_t> nstw{0};

  explicit Sched(const Config& c, std::size_t stack_size);
};

// The current run's scheduler (nullptr outside run()). Runtime threads and
// goroutines read it directly: it outlives them. A thread the runtime does
// not own (the any-thread API: metrics(), debug::goroutines(), ...) must pin it
// through sched_pub instead, and use `sched` only while the pin is held:
// shutdown unpublishes it and waits every pin out before freeing anything.
extern Sched* sched;
extern rt::Published<Sched> sched_pub;

}  // namespace gmpkit::core
