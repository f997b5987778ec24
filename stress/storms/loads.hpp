// stress/storms/loads.hpp — workloads the storms combine. Each starts its
// goroutines with ctx.go(&wg, ...); they run while ctx.running() and then
// end by themselves (channels closed, loops left), so wg.wait() after the
// storm's time is up joins them all.
#pragma once

#include <atomic>

#include "storm.hpp"

namespace gmpkit::stress {

// n producer/consumer pairs, each on its own channel (even: unbuffered,
// odd: capacity 4); the consumer checks the exact sequence 0,1,2,...
void start_pairs(StormContext& ctx, WaitGroup& wg, int n);
// Producers and consumers on one channel of capacity 16; every value must
// be received exactly once.
void start_mpmc(StormContext& ctx, WaitGroup& wg, int producers, int consumers);
// Workers locking nmutex gmpkit::Mutex at random (sometimes yielding while
// holding one); mutual exclusion and the per-mutex counters are checked.
void start_mutexes(StormContext& ctx, WaitGroup& wg, int nmutex, int workers);
// Whether the runtime preempts call-free code by signal: not under TSan,
// which defers asynchronous signals (docs/RUNTIME.md "Preemption"). There
// the hogs and allocators below add a cooperative preemption point per
// round, or they would hold every P forever and wedge the storm.
#if defined(__SANITIZE_THREAD__)
inline constexpr bool kAsyncPreemption = false;
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
inline constexpr bool kAsyncPreemption = false;
#else
inline constexpr bool kAsyncPreemption = true;
#endif
#else
inline constexpr bool kAsyncPreemption = true;
#endif

// Call-free CPU hogs (preemptible only by signal). With `forbidden`, a hog
// that ever sees it set reports a violation (the stw storm sets it while
// the world is stopped).
void start_hogs(StormContext& ctx, WaitGroup& wg, int n, const std::atomic<bool>* forbidden);
// Allocation-heavy goroutines (malloc/free of 8 B..16 KiB vectors).
void start_allocators(StormContext& ctx, WaitGroup& wg, int n);
// Goroutines that spawn batches of 32 short-lived Gs and wait for them.
void start_spawners(StormContext& ctx, WaitGroup& wg, int n);

}  // namespace gmpkit::stress
