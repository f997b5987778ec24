// gmpkit/error.hpp — the exceptions gmpkit throws.
//
//   gmpkit::error                  base of every error a user can cause
//   ├─ gmpkit::usage_error         API misuse: go()/yield() outside a running
//   │                              runtime, run() inside a goroutine, a second
//   │                              concurrent run(), negative WaitGroup counter,
//   │                              sync misuse ("sync: unlock of unlocked mutex",
//   │                              "sync: RUnlock of unlocked RWMutex", ...)
//   ├─ gmpkit::chan_error          Go's channel panics: "send on closed channel",
//   │                              "close of closed channel", "close of nil channel"
//   ├─ gmpkit::thread_exhaustion_error  more than Config::max_threads Ms needed
//   └─ gmpkit::deadlock_error      every goroutine is blocked forever (checkdead)
//
// gmpkit::forced_unwind is NOT an error: when run() returns, goroutines still
// parked mid-execution are resumed once with this exception so their
// destructors run. It deliberately does not derive from std::exception; a
// `catch (...)` inside a goroutine must rethrow it (`throw;`). Swallowing it
// is a fatal runtime error.
#pragma once

#include <stdexcept>
#include <string>

namespace gmpkit {

class error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class usage_error : public error {
 public:
  using error::error;
};

// A channel operation Go would panic on (runtime.plainError in chan.go).
// The channel stays usable: the failed operation had no effect.
class chan_error : public error {
 public:
  using error::error;
};

class thread_exhaustion_error : public error {
 public:
  using error::error;
};

class deadlock_error : public error {
 public:
  using error::error;
};

struct forced_unwind {
  forced_unwind() = default;
};

}  // namespace gmpkit
