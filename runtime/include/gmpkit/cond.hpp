// gmpkit/cond.hpp — sync.Cond.
//
//   gmpkit::Mutex mu;
//   gmpkit::Cond cond(mu);
//   mu.lock();
//   while (!ready) cond.wait();          // unlocks mu, parks, re-locks mu
//   mu.unlock();
//   ...  cond.signal();  /  cond.broadcast();
//
// Go's sync.Cond over the runtime's notifyList (sema.go): wait() takes a
// ticket, unlocks L, parks until its ticket is notified ("sync.Cond.Wait"),
// then re-locks L. signal() wakes the oldest waiter's ticket, broadcast()
// all tickets taken so far; a notification is never lost between the
// ticket and the park, and never reaches a later waiter. L may be any
// BasicLockable (gmpkit::Mutex, gmpkit::RWMutex, ...); the Cond keeps a
// reference to it. Not copyable (Go panics "sync.Cond is copied").
//
// Lifetime: the Cond and L must outlive every goroutine waiting on them
// (including goroutines still parked in wait() when run() returns: their
// unwinding touches both). Shutdown: such a goroutine is unwound
// (gmpkit::forced_unwind) with L re-locked if L has try_lock() and is free,
// so a std::unique_lock around the wait unlocks it as usual.
#pragma once

#include <cstdint>

namespace gmpkit {

class Cond {
 public:
  template <class L>
  explicit Cond(L& l)
      : l_(&l),
        lock_([](void* p) { static_cast<L*>(p)->lock(); }),
        unlock_([](void* p) { static_cast<L*>(p)->unlock(); }) {
    if constexpr (requires(L & x) { x.try_lock(); })
      try_lock_ = [](void* p) -> bool { return static_cast<L*>(p)->try_lock(); };
    init();
  }
  ~Cond();
  Cond(const Cond&) = delete;
  Cond& operator=(const Cond&) = delete;

  // Atomically unlocks L and suspends the goroutine; re-locks L before
  // returning. As in Go, callers re-check their condition in a loop.
  void wait();
  // Wakes one waiting goroutine, if any (L need not be held).
  void signal();
  // Wakes every waiting goroutine (L need not be held).
  void broadcast();

 private:
  void init();

  void* l_;
  void (*lock_)(void*);
  void (*unlock_)(void*);
  bool (*try_lock_)(void*) = nullptr;  // L is Lockable: used when unwound at shutdown
  void* notify_ = nullptr;  // the runtime's notifyList
};

}  // namespace gmpkit
