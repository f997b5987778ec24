// gmpkit/runtime.hpp — starting the runtime and the goroutine API.
//
//   gmpkit::run([] { ... });              // blocks until the main goroutine returns
//   gmpkit::go([] { ... });               // newproc: start a goroutine
//
// run() turns the calling thread into m0, creates gomaxprocs Ps, runs `main`
// as the main goroutine and returns when it returns. Other goroutines never
// run user code again after that (as at Go's process exit): the ones that
// never started have their callables destroyed; the ones parked mid-execution
// are unwound with gmpkit::forced_unwind so their destructors run. An
// exception escaping any goroutine stops the runtime the same way and is
// rethrown from run(). run() may be called again afterwards.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <type_traits>
#include <utility>

#include "gmpkit/config.hpp"
#include "gmpkit/detail/entry.hpp"
#include "gmpkit/error.hpp"

namespace gmpkit {

namespace detail {
// The callables that can be Go's nil func value: an empty std::function
// (a null function pointer is checked as a pointer).
template <class T>
struct is_std_function : std::false_type {};
template <class S>
struct is_std_function<std::function<S>> : std::true_type {};

void run_main(const Config& cfg, const EntryOps& ops, void* fn);
void newproc(const EntryOps& ops, void* fn);
}  // namespace detail

// Runs `main` as the main goroutine of a fresh runtime. Throws usage_error if
// called from inside a goroutine or while another run() is active.
template <class F>
void run(const Config& cfg, F&& main) {
  detail::with_entry(std::forward<F>(main),
                     [&](const detail::EntryOps& ops, void* p) { detail::run_main(cfg, ops, p); });
}
template <class F>
void run(F&& main) {
  run(Config{}, std::forward<F>(main));
}

// Go's `go fn()`: newproc. The new G goes to the current P's runnext (so it
// runs soon, inheriting the time slice) and an idle P is woken to steal work.
// Throws usage_error outside a running goroutine, and usage_error("go of nil
// func value") in the caller for an empty std::function or a null function
// pointer (Go panics there too).
template <class F>
void go(F&& fn) {
  using D = std::remove_cvref_t<F>;
  if constexpr (std::is_pointer_v<D> || detail::is_std_function<D>::value) {
    if (!fn) throw usage_error("go of nil func value");
  }
  detail::with_entry(std::forward<F>(fn),
                     [](const detail::EntryOps& ops, void* p) { detail::newproc(ops, p); });
}

// runtime.Gosched: put the current goroutine on the global run queue and
// schedule another.
void yield();
// time.Sleep: park the current goroutine for at least d (d <= 0: yield-free
// no-op, as Go).
void sleep_for(std::chrono::nanoseconds d);
// A cheap cooperative safe point for long loops: yields if the scheduler
// asked this goroutine to (its time slice is used up, the world is stopping
// or the runtime is shutting down).
void preempt_point();
// runtime.GOMAXPROCS(0). Any thread; throws usage_error with no run active.
int gomaxprocs();
// runtime.GOMAXPROCS(n): sets the number of Ps to n (under stop-the-world,
// Go's procresize: run queues and timers of removed Ps move to the
// remaining ones) and returns the previous setting. n <= 0 only queries.
// Throws usage_error if n > 1024 or outside a goroutine (when n > 0).
int gomaxprocs(int n);
// runtime.NumGoroutine: live (not dead) goroutines. Any thread, also while
// run() ends (the scheduler is pinned for the call, README "Errors"); 0 with
// no run active.
std::int64_t num_goroutine();
// Current goroutine's id (the main goroutine is 1). Throws usage_error
// outside a goroutine.
std::int64_t goroutine_id();
// True when called on a goroutine of a running runtime.
bool in_goroutine() noexcept;

}  // namespace gmpkit
