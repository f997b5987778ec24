// platform/sim/atomic_sim.hpp — rt::Atomic for the simulation build.
//
// Same interface and layout as the production facade (platform/atomic.hpp),
// but every operation is first a scheduling point of the simulator. All
// simulated threads run on one OS thread, so the operation itself is a plain
// std::atomic access; the interleavings the strategy picks are sequentially
// consistent (weak memory orders are not modelled: see fuzz/README.md).
#pragma once

#include <atomic>
#include <cstdint>

#include "platform/sim/sched_point.hpp"

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

  T load(memory_order o) const noexcept {
    sim::sched_point(sim::Point::load);
    return v_.load(o);
  }
  void store(T v, memory_order o) noexcept {
    sim::sched_point(sim::Point::store);
    v_.store(v, o);
  }
  T exchange(T v, memory_order o) noexcept {
    sim::sched_point(sim::Point::rmw);
    return v_.exchange(v, o);
  }
  bool cas(T expected, T desired, memory_order o) noexcept {
    sim::sched_point(sim::Point::rmw);
    return v_.compare_exchange_strong(expected, desired, o, failure_order(o));
  }
  T fetch_add(T d, memory_order o) noexcept {
    sim::sched_point(sim::Point::rmw);
    return v_.fetch_add(d, o);
  }
  T fetch_sub(T d, memory_order o) noexcept {
    sim::sched_point(sim::Point::rmw);
    return v_.fetch_sub(d, o);
  }
  T fetch_or(T d, memory_order o) noexcept {
    sim::sched_point(sim::Point::rmw);
    return v_.fetch_or(d, o);
  }
  T fetch_and(T d, memory_order o) noexcept {
    sim::sched_point(sim::Point::rmw);
    return v_.fetch_and(d, o);
  }
  std::atomic<T>* raw() noexcept { return &v_; }

 private:
  static constexpr memory_order failure_order(memory_order o) noexcept {
    return o == acq_rel ? acquire : (o == release ? relaxed : o);
  }
  std::atomic<T> v_;
};

template <class T>
class AtomicRef {
 public:
  explicit AtomicRef(T& obj) noexcept : r_(obj) {}
  T load(memory_order o) const noexcept {
    sim::sched_point(sim::Point::load);
    return r_.load(o);
  }
  void store(T v, memory_order o) const noexcept {
    sim::sched_point(sim::Point::store);
    r_.store(v, o);
  }
  bool cas(T expected, T desired, memory_order o) const noexcept {
    sim::sched_point(sim::Point::rmw);
    return r_.compare_exchange_strong(expected, desired, o,
                                      o == acq_rel ? acquire : (o == release ? relaxed : o));
  }
  T fetch_add(T d, memory_order o) const noexcept {
    sim::sched_point(sim::Point::rmw);
    return r_.fetch_add(d, o);
  }

 private:
  std::atomic_ref<T> r_;
};

// One thread: a fence orders nothing, but it is still a point where the
// strategy may switch.
inline void fence_seq_cst() noexcept { sim::sched_point(sim::Point::fence); }

}  // namespace gmpkit::rt
