// gmpkit/config.hpp — runtime configuration (GOMAXPROCS and friends).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

namespace gmpkit {

struct Config {
  // Number of Ps (GOMAXPROCS). 0 = $GMPKIT_PROCS if set, else the number of
  // hardware threads.
  int procs = 0;
  // Address space reserved per goroutine stack (rounded up to whole pages,
  // at least 16 KiB). Pages are committed on first touch.
  std::size_t stack_size = 256 * 1024;
  // A goroutine that has run this long is asked to yield (sysmon's
  // preemption, Go's forcePreemptNS).
  std::chrono::nanoseconds time_slice = std::chrono::milliseconds(10);
  // Asynchronous (signal-based) preemption of goroutines that do not reach
  // a scheduling point (docs/RUNTIME.md "Preemption"). GMPKIT_DEBUG=asyncpreemptoff=1
  // also turns it off.
  bool async_preempt = true;
  // Wake-up preemption (beyond Go): when every P is busy and a timer is due
  // on a P, or a goroutine waits in a P's local run queue (readied or
  // spawned there), the goroutine running on that P is preempted as soon
  // as it has run this long, instead of at the end of its time_slice.
  // 0 = off.
  std::chrono::nanoseconds min_slice = std::chrono::milliseconds(1);
  // Upper bound on OS threads (Ms); exceeding it fails run() with
  // gmpkit::thread_exhaustion_error (Go's "thread exhaustion"; 10000 is
  // Go's sched.maxmcount).
  int max_threads = 10000;
  // How many stacks get a guard page (each costs two kernel mappings).
  // -1 = automatic: a quarter of vm.max_map_count. Stacks beyond the budget
  // are canary-checked instead (see docs/RUNTIME.md, "Stacks").
  std::int64_t guarded_stacks = -1;
  // GMPKIT_CHECKED builds: run gmpkit::debug::verify_invariants() (stop
  // the world, check the whole scheduler, abort on a violation) about this
  // often, from a runtime-owned goroutine that sysmon wakes (docs/OBSERVABILITY.md,
  // "Invariant checker"). 0 = off. Ignored in unchecked builds.
  std::chrono::milliseconds verify_every{0};
  // schedtrace (Go's GODEBUG=schedtrace=N): every this many milliseconds
  // sysmon prints a one-line scheduler summary ("SCHED 105ms: gomaxprocs=..")
  // to stderr. 0 = off. GMPKIT_DEBUG=schedtrace=N overrides it.
  std::chrono::milliseconds schedtrace{0};
  // scheddetail (GODEBUG=scheddetail=1): schedtrace prints every P, M and
  // G instead of the summary. GMPKIT_DEBUG=scheddetail=1 overrides it.
  bool scheddetail = false;
  // Where Ps run (gmpkit/placement.hpp, numa/README.md): "none" (Go's
  // behaviour: Ms run wherever the OS puts them), "compact", "scatter" or
  // "numa" (each P gets a NUMA node and a cpuset; an M binds its thread to
  // it when it acquires the P). Anything but "none" needs a placement
  // provider (gmpkit::numa::install()); without one run() throws usage_error.
  std::string placement = "none";
  // The topology placement works on: "" = the real machine (or
  // $HWLOC_XMLFILE), a file "name.xml" (hwloc XML) or a synthetic
  // description such as "numa:4 core:8 pu:2".
  std::string topology;
};

}  // namespace gmpkit
