// gmpkit/testing/goroutine_driver.hpp — TEST-ONLY (gmpkit::testing library):
// scripted goroutines that perform the next step when told, for the
// G-state-machine property suite (checks/property/gstate_property_test.cpp).
//
//   gmpkit::testing::GoroutineDriver d;          // on a goroutine (main)
//   int g = d.spawn();                           // go(): parks, waiting for a step
//   d.wait_idle(g);
//   d.step(g, GoStep::enter_syscall);            // returns once g is in its syscall
//   d.step(g, GoStep::exit_syscall);             // ... and once it is back, idle
//   GoSnapshot s = d.snapshot(g);                // status, queue, M, transitions
//
// A scripted goroutine is always in one place between steps (GoWhere):
// idle (parked on the driver, wait reason "debug call"), parked (a park
// step, with the reason given; ready() wakes it), in a blocking syscall
// (until exit_syscall), or done (exit / panic). step() hands it the step
// (goready) and returns once the goroutine has reached the step's end
// place; it waits with sleep_for/yield, bounded (10 s, then
// std::runtime_error): the runtime decides when the goroutine runs, the
// driver never asserts on time.
//
// Steps: yield (gmpkit::yield), park (core::gopark with a reason),
// enter_syscall / exit_syscall (gmpkit::syscall around a futex wait that
// exit_syscall releases), preempt (a cooperative preemption: the goroutine
// raises its P's preempt flag, the one sysmon and stop-the-world raise, and
// reaches a preemption point; it returns once it was descheduled and ran
// again), lock_os_thread / unlock_os_thread, exit (returns from its body),
// panic (throws; the frames unwind, destructors run, and the driver's
// frame recovers it, as Go's recover, then the goroutine exits).
//
// snapshot(g) stops the world (unless the caller holds it stopped) and
// reports g's status, wait reason, M, locked M, the run queue it is on
// (runnext / local ring position / global) and the transitions recorded
// since the last step was handed to it (checked builds record the last 16
// of every G, core/gstatus.hpp).
//
// Invariants: all calls from one goroutine (the driver's owner); the
// driver outlives its goroutines' use of it: its destructor tells every
// live one to exit (releasing syscalls and parks) and waits for them.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/gstatus.hpp"

namespace gmpkit::testing {

enum class GoStep : std::uint8_t {
  yield,
  park,
  enter_syscall,
  exit_syscall,
  preempt,
  lock_os_thread,
  unlock_os_thread,
  exit,
  panic,
};
const char* go_step_name(GoStep s);

enum class GoWhere : std::uint8_t { starting, running, idle, parked, syscall, done };
const char* go_where_name(GoWhere w);

// The wait reason of an idle scripted goroutine.
inline constexpr core::WaitReason kDriverIdleReason = core::WaitReason::debug_call;

struct GoTransition {
  core::GStatus from, to;
  std::int64_t m;  // the M that made it
};

struct GoSnapshot {
  bool found = false;  // false: the goroutine has exited (its G is dead or reused)
  core::GStatus status = core::GStatus::dead;
  core::WaitReason wait_reason = core::WaitReason::zero;
  std::int64_t m = -1;  // M it runs on / is in a syscall on (-1: none)
  bool m_has_p = false;  // that M holds a P
  std::int64_t locked_m = -1;  // LockOSThread: the M it is wired to (-1: none)
  bool lock_pair_ok = true;  // locked_m's lockedg points back at it
  enum class Queue { none, runnext, local, global } queue = Queue::none;
  std::int32_t queue_p = -1;  // P of runnext/local
  std::int32_t queue_pos = -1;  // position in the local ring (0 = head) or global queue
  std::vector<GoTransition> transitions;  // since the last step() or ready() (oldest first)
  bool history_overflow = false;  // more than 16: the oldest were overwritten
};

class GoroutineDriver {
 public:
  GoroutineDriver();
  ~GoroutineDriver();
  GoroutineDriver(const GoroutineDriver&) = delete;
  GoroutineDriver& operator=(const GoroutineDriver&) = delete;

  // Starts a scripted goroutine; returns its index (0, 1, ...). It starts
  // in `starting` and parks as `idle`.
  int spawn();
  // Waits until g is idle (e.g. after spawn()).
  void wait_idle(int g);
  // Hands g (which must be idle) the step and waits for its end place:
  // park -> parked, enter_syscall -> syscall, exit/panic -> done, the
  // others -> idle. exit_syscall needs g in syscall instead.
  void step(int g, GoStep s, core::WaitReason park_reason = core::WaitReason::zero);
  // goready of a goroutine in `parked`; with wait=false returns at once
  // (it is runnable; used while the world is stopped), else waits for idle.
  void ready(int g, bool wait = true);
  GoWhere where(int g) const;
  std::int64_t goid(int g) const;
  // The M that ran g's last step (-1 before its first).
  std::int64_t last_step_m(int g) const;
  // Whether a panic step's frames were unwound (their destructors ran).
  bool unwound(int g) const;
  int count() const;
  GoSnapshot snapshot(int g);

  struct Slot;

 private:
  void wait_for(int g, GoWhere w, const char* what);
  std::vector<std::shared_ptr<Slot>> slots_;
};

}  // namespace gmpkit::testing
