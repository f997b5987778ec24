// gmpkit/stw.hpp — stopping the world (Go's stopTheWorld/startTheWorld).
// GOMAXPROCS (which stops the world to change) is in gmpkit/runtime.hpp.
//
//   {
//     gmpkit::WorldStopped stw("snapshot");   // every other goroutine is off-CPU
//     ...                                      // look at shared state, no locks
//   }                                          // world restarts
//
// stop_the_world returns once every P is stopped: goroutines that were
// running are preempted (cooperatively at their next runtime call or
// preempt_point(), or asynchronously by signal when Config::async_preempt is
// on), Ps in syscalls and idle Ps are taken directly. Only the calling
// goroutine runs until start_the_world(). Goroutines it creates meanwhile
// wait in its run queue until the world restarts; a syscall it makes runs
// inline. It must not block (channel, mutex, sleep, wait_*): with every P
// stopped nothing could wake it, so that aborts with a diagnosis instead of
// hanging. Concurrent callers are serialised (Go's worldsema): the second
// parks until the first restarts the world. Pause times are recorded in
// gmpkit::metrics() (stw_stopping, stw_total).
#pragma once

namespace gmpkit {

// Throws usage_error outside a goroutine or when the caller already holds
// the stopped world.
void stop_the_world(const char* reason);
// Throws usage_error unless the caller stopped the world.
void start_the_world();

class WorldStopped {
 public:
  explicit WorldStopped(const char* reason) { stop_the_world(reason); }
  ~WorldStopped() { start_the_world(); }
  WorldStopped(const WorldStopped&) = delete;
  WorldStopped& operator=(const WorldStopped&) = delete;
};

// gomaxprocs() and gomaxprocs(n): gmpkit/runtime.hpp.

}  // namespace gmpkit
