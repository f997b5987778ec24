// platform/thread.hpp — OS thread creation for Ms, thread ids, per-thread
// signal stacks.
#pragma once
#include <cstddef>
#include <cstdint>

namespace gmpkit::rt {

struct Thread {
  unsigned long handle = 0;  // pthread_t
};

// Start fn(arg) on a new OS thread with the given stack size. Returns false
// (and sets errno) when the OS refuses to create a thread.
bool thread_create(Thread* t, void (*fn)(void*), void* arg, std::size_t stack_size) noexcept;
void thread_join(Thread t) noexcept;
std::int64_t gettid() noexcept;

// Bounds of the calling thread's stack [lo, hi).
void thread_stack_bounds(void** lo, std::size_t* size) noexcept;

// The number of CPUs the runtime sizes GOMAXPROCS by (0 if unknown).
int cpu_count() noexcept;

// A thread_local the runtime relies on per M (the current M pointer). The
// simulator runs every M on one OS thread and saves/restores registered
// thread-locals on each switch; on Linux this is nothing.
#if GMPKIT_PLATFORM_SIM
void register_thread_local(void* addr, std::size_t size) noexcept;
#else
inline void register_thread_local(void*, std::size_t) noexcept {}
#endif

}  // namespace gmpkit::rt
