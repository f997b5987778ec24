// core/gstatus.hpp — G states, wait reasons, and the legal-transition table
// (docs/ARCHITECTURE.md §3, seam 4).
//
// The states are Go's (runtime2.go) with Go's numeric values, minus
// _Gcopystack and the _Gscan bit: C++ stacks never move and there is no
// garbage collector, so nothing ever needs to scan or copy a stack.
//
// Every status change goes through casgstatus(). It CASes the status word,
// aborts loudly if the G was not in `from` (an impossible state), and in
// checked builds (GMPKIT_CHECKED) also checks the pair against the table and
// records it in the G's ring of its last 16 transitions, which the abort
// message prints.
#pragma once

#include <cstdint>

namespace gmpkit::core {

enum class GStatus : std::uint32_t {
  idle = 0,  // _Gidle: just allocated, not yet initialised
  runnable = 1,  // _Grunnable: on a run queue, not executing
  running = 2,  // _Grunning: executing user code, owns an M and a P
  syscall = 3,  // _Gsyscall: in a blocking call, owns an M but no P
  waiting = 4,  // _Gwaiting: parked (gopark), on some wait structure
  dead = 6,  // _Gdead: unused, on a free list (or exiting)
  preempted = 9,  // _Gpreempted: suspended by a debug/STW stop; not on a runq
};

const char* gstatus_name(GStatus s) noexcept;
// Whether `from -> to` is in the table.
bool gstatus_transition_legal(GStatus from, GStatus to) noexcept;

// Go's waitReason strings (runtime2.go), plus gmpkit's own.
enum class WaitReason : std::uint8_t {
  zero = 0,
  gc_assist_marking_unused,
  io_wait,
  chan_receive_nil,
  chan_send_nil,
  dumping_heap_unused,
  garbage_collection_unused,
  garbage_collection_scan_unused,
  panic_wait,
  select,
  select_no_cases,
  gc_assist_wait_unused,
  gc_sweep_wait_unused,
  gc_scavenge_wait_unused,
  chan_receive,
  chan_send,
  finalizer_wait_unused,
  force_gc_idle_unused,
  semacquire,
  sleep,
  sync_cond_wait,
  sync_mutex_lock,
  sync_rwmutex_rlock,
  sync_rwmutex_lock,
  sync_waitgroup_wait,
  timer_goroutine_idle,
  trace_reader_blocked,
  wait_for_gc_cycle_unused,
  gc_worker_idle_unused,
  preempted,
  debug_call,
  stopping_the_world,
  gomaxprocs,
  count_
};

const char* wait_reason_string(WaitReason r) noexcept;

}  // namespace gmpkit::core
