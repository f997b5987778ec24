// Go's lock_futex.go, with the same spin constants.
#include "platform/mutex.hpp"

#include <atomic>

#include "platform/clock.hpp"
#include "platform/futex.hpp"
#include "platform/signal.hpp"
#include "platform/thread.hpp"

namespace gmpkit::rt {

namespace {
// Per thread, not per M: a runtime lock is taken and released on one thread
// (never held across a switch to another G). A compiler barrier orders the
// count against the critical section for the signal handler on this thread.
__attribute__((tls_model("initial-exec"))) thread_local int t_locks = 0;
constexpr int kActiveSpin = 4;
constexpr std::uint32_t kActiveSpinCnt = 30;
constexpr int kPassiveSpin = 1;
}  // namespace

int locks_held() noexcept { return t_locks; }

void register_locks_held_thread_local() noexcept { register_thread_local(&t_locks, sizeof t_locks); }

void Mutex::lock() {
  t_locks++;
  std::atomic_signal_fence(std::memory_order_seq_cst);  // the count is up before the lock is ours
  // Speculative grab. acquire: the critical section must not float above.
  std::uint32_t v = key_.exchange(kLocked, acquire);
  if (v == kUnlocked) return;
  // wait is kLocked or kSleeping: if anyone may be sleeping we must keep
  // "sleeping" when we take the lock so our unlock wakes them.
  std::uint32_t wait = v;
  for (;;) {
    for (int i = 0; i < kActiveSpin; i++) {
      for (;;) {
        if (key_.load(relaxed) != kUnlocked) break;  // relaxed: only a hint; the CAS below decides
        if (key_.cas(kUnlocked, wait, acquire)) return;  // acquire: as above
      }
      procyield(kActiveSpinCnt);
    }
    for (int i = 0; i < kPassiveSpin; i++) {
      for (;;) {
        if (key_.load(relaxed) != kUnlocked) break;  // relaxed: hint only
        if (key_.cas(kUnlocked, wait, acquire)) return;  // acquire: as above
      }
      osyield();
    }
    // Sleep. acquire: if this exchange takes the lock it is a lock acquire.
    v = key_.exchange(kSleeping, acquire);
    if (v == kUnlocked) return;
    wait = kSleeping;
    futexsleep(key_.raw(), kSleeping, -1);
  }
}

bool Mutex::try_lock() {
  t_locks++;
  std::atomic_signal_fence(std::memory_order_seq_cst);
  if (key_.cas(kUnlocked, kLocked, acquire))
    return true;  // acquire: a successful try_lock is a lock acquire
  t_locks--;
  return false;
}

void Mutex::unlock() {
  // release: publishes the critical section to the next owner.
  std::uint32_t v = key_.exchange(kUnlocked, release);
  if (v == kUnlocked) {
    write_stderr("gmpkit: fatal: unlock of unlocked runtime lock\n", 47);
    __builtin_trap();
  }
  if (v == kSleeping) futexwakeup(key_.raw(), 1);
  std::atomic_signal_fence(std::memory_order_seq_cst);  // the lock is free before the count drops
  t_locks--;
}

void Note::wakeup() noexcept {
  // release: everything written before wakeup is visible to the sleeper.
  std::uint32_t old = key_.exchange(1, release);
  if (old != 0) {
    write_stderr("gmpkit: fatal: notewakeup - double wakeup\n", 42);
    __builtin_trap();
  }
  futexwakeup(key_.raw(), 1);
}

void Note::sleep() noexcept {
  while (key_.load(acquire) == 0) futexsleep(key_.raw(), 0, -1);  // acquire: pairs with wakeup
}

bool Note::tsleep(std::int64_t ns) noexcept {
  if (ns < 0) {
    sleep();
    return true;
  }
  std::int64_t deadline = nanotime() + ns;
  while (key_.load(acquire) == 0) {  // acquire: pairs with wakeup
    std::int64_t left = deadline - nanotime();
    if (left <= 0) return false;
    futexsleep(key_.raw(), 0, left);
  }
  return true;
}

}  // namespace gmpkit::rt
