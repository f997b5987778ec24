// platform/atomic.hpp — the sync facade for atomics (ARCHITECTURE.md seam 2).
//
// Every atomic on scheduler state is an rt::Atomic<T>. Each operation names
// its memory order explicitly (there is no default), and the call site carries
// a one-line comment saying why that order is enough. In the production build
// this is a zero-cost wrapper over std::atomic; the deterministic simulator
// replaces this header with one whose operations are scheduling points.
#pragma once

#if GMPKIT_PLATFORM_SIM
#include "platform/sim/atomic_sim.hpp"  // every operation a scheduling point
#else

#include <atomic>
#include <cstdint>

namespace gmpkit::rt {

using std::memory_order;
inline constexpr memory_order relaxed = std::memory_order_relaxed;
inline constexpr memory_order acquire = std::memory_order_acquire;
inline constexpr memory_order release = std::memory_order_release;
inline constexpr memory_order acq_rel = std::memory_order_acq_rel;
inline constexpr memory_order seq_cst = std::memory_order_seq_cst;

template <class T>
class Atomic {
 public:
  constexpr Atomic() noexcept : v_{} {}
  constexpr explicit Atomic(T v) noexcept : v_(v) {}
  Atomic(const Atomic&) = delete;
  Atomic& operator=(const Atomic&) = delete;

  T load(memory_order o) const noexcept { return v_.load(o); }
  void store(T v, memory_order o) noexcept { v_.store(v, o); }
  T exchange(T v, memory_order o) noexcept { return v_.exchange(v, o); }
  // Strong CAS; `expected` is taken by value (Go's Cas style), the result
  // says whether it succeeded.
  bool cas(T expected, T desired, memory_order o) noexcept {
    return v_.compare_exchange_strong(expected, desired, o, failure_order(o));
  }
  T fetch_add(T d, memory_order o) noexcept { return v_.fetch_add(d, o); }
  T fetch_sub(T d, memory_order o) noexcept { return v_.fetch_sub(d, o); }
  T fetch_or(T d, memory_order o) noexcept { return v_.fetch_or(d, o); }
  T fetch_and(T d, memory_order o) noexcept { return v_.fetch_and(d, o); }
  // For futex: the address of the underlying word.
  std::atomic<T>* raw() noexcept { return &v_; }

 private:
  static constexpr memory_order failure_order(memory_order o) noexcept {
    return o == acq_rel ? acquire : (o == release ? relaxed : o);
  }
  std::atomic<T> v_;
};

// The facade over a plain integer that lives in a public (user-visible)
// object, e.g. WaitGroup's state word: std::atomic_ref underneath.
template <class T>
class AtomicRef {
 public:
  explicit AtomicRef(T& obj) noexcept : r_(obj) {}
  T load(memory_order o) const noexcept { return r_.load(o); }
  void store(T v, memory_order o) const noexcept { r_.store(v, o); }
  bool cas(T expected, T desired, memory_order o) const noexcept {
    return r_.compare_exchange_strong(expected, desired, o,
                                      o == acq_rel ? acquire : (o == release ? relaxed : o));
  }
  T fetch_add(T d, memory_order o) const noexcept { return r_.fetch_add(d, o); }

 private:
  std::atomic_ref<T> r_;
};

// A full barrier (Go's "StoreLoad" fences in the spinning dance). TSan does
// not model standalone fences, so under TSan it is a seq_cst RMW on a
// private word, which TSan understands and which is at least as strong.
inline void fence_seq_cst() noexcept {
#if defined(__SANITIZE_THREAD__)
  static std::atomic<int> word{0};
  word.fetch_add(0, seq_cst);
#else
  std::atomic_thread_fence(seq_cst);
#endif
}

}  // namespace gmpkit::rt

#endif  // GMPKIT_PLATFORM_SIM
