// platform/diag_word.hpp — diagnostic words: a plain field that its owner
// reads and writes as usual, but that any-thread diagnostics
// (debug::goroutines(), goroutine dumps, trace::start's snapshot) read
// while the owner may change it. The foreign read and every owner write
// that can overlap it go through these relaxed atomic accesses, so the
// overlap is defined behaviour (and not a TSan report); the owner's own
// reads stay plain (ordered by the status CAS and the queues, as before).
//
// Relaxed is enough: a diagnostic needs one untorn value, old or new; what
// it prints is a snapshot. Deliberately not a scheduling point in the
// simulator (a diagnostic takes no part in the schedule), unlike
// rt::Atomic.
#pragma once

#include <type_traits>

namespace gmpkit::rt {

template <class T>
inline T diag_load(const T& word) noexcept {
  static_assert(std::is_trivially_copyable_v<T> && sizeof(T) <= 8, "a machine word");
  return __atomic_load_n(&word, __ATOMIC_RELAXED);
}

template <class T, class U>
inline void diag_store(T& word, U value) noexcept {
  static_assert(std::is_trivially_copyable_v<T> && sizeof(T) <= 8, "a machine word");
  __atomic_store_n(&word, static_cast<T>(value), __ATOMIC_RELAXED);
}

}  // namespace gmpkit::rt
