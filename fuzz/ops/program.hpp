// fuzz/ops/program.hpp — a small goroutine program decoded from fuzz input.
//
// The shape makes the expected behaviour known by construction:
//   - sink channels: workers send (producer id, sequence number); one
//     drainer goroutine per sink receives until main closes it after every
//     worker ended. Every value must arrive exactly once, in each
//     producer's order (FIFO per channel).
//   - source channels: one feeder sends 1..N then closes; workers receive
//     (possibly "closed"); main drains the rest. Every value exactly once,
//     increasing as each receiver sees them.
//   - a broadcast channel that a closer goroutine closes after a sleep:
//     waiters must all wake (close wakes every blocked receiver).
//   - Mutex/RWMutex critical sections check mutual exclusion.
// Nothing in it can block forever, so the runtime's deadlock error is a bug
// unless the program ends with `deadlock_end` (main blocks on a channel no
// one can send to after everything else ended: the error is required).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace gmpkit::fuzz::ops {

enum class Op : std::uint8_t {
  yield,
  sleep,  // a: virtual/real duration
  preempt_point,
  busy,  // a: call-free loop length
  send,  // a: sink
  recv,  // a: source
  select,  // a, b: sinks; a&0x80: default case; b&0x80: a source recv case
  lock,  // a: mutex; b&1: yield inside
  rlock,  // RWMutex read side
  wlock,  // RWMutex write side
  wg_children,  // a: how many children, each sleeps/yields then done()
  spawn,  // a: child's sink
  syscall,  // a: duration of the blocking call
  wait_fd,  // a: timeout
  fd_ready,
  gomaxprocs,  // a: 1 + a % 4
  stw,
  lock_thread,
  checkpoint,  // debug::verify_invariants
  bcast_wait,
  cond_wait,  // wait on a Cond for a flag a cond_signal op or main sets
  cond_signal,
  throw_exc,  // let an exception escape the goroutine
  count_
};

struct Instr {
  Op op;
  std::uint8_t a = 0, b = 0;
};

struct ChanSpec {
  int cap = 0;
  int count = 0;  // source channels: values the feeder sends
};

struct Program {
  // Simulation parameters (used by fuzz_ops_sim only).
  bool pct = false;
  int depth = 3;
  std::uint64_t seed = 1;
  int procs = 2;
  std::vector<ChanSpec> sinks, sources;
  bool bcast = false;
  int bcast_delay = 0;
  std::vector<std::vector<Instr>> workers;
  bool deadlock_end = false;
  bool throws() const;
  std::size_t ops() const;
  std::string describe() const;
};

// Up to 64 operations in all; any byte string decodes to a valid program.
Program decode(const std::uint8_t* data, std::size_t size);

}  // namespace gmpkit::fuzz::ops
