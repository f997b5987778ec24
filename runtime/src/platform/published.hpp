// platform/published.hpp — a pointer that threads outside the runtime may
// dereference safely while its owner frees the object (a reader count).
//
// The owner publishes an object; any thread pins it (Pin), uses it, unpins.
// Before freeing, the owner unpublishes it and waits until every pin taken
// before is released (drain). It is the epoch scheme of Go's "world stopped"
// for threads the runtime does not control: they cannot be stopped, so the
// runtime waits them out instead.
//
// Correctness (Dekker): a reader increments `readers_` then loads `ptr_`; the
// owner stores nullptr to `ptr_` then loads `readers_`; all four are seq_cst,
// so either the reader sees nullptr (and never touches the object) or the
// owner sees its count and waits. A reader that drops the count to zero while
// the pointer is unpublished wakes the owner's futex sleep.
#pragma once

#include <cstdint>

#include "platform/atomic.hpp"
#include "platform/futex.hpp"

namespace gmpkit::rt {

template <class T>
class Published {
 public:
  Published() = default;
  Published(const Published&) = delete;
  Published& operator=(const Published&) = delete;

  // The owner: make p reachable to readers (p fully constructed before).
  void publish(T* p) noexcept {
    ptr_.store(p, seq_cst);  // seq_cst: the Dekker pair with pin() (top comment)
  }

  // The owner: make the object unreachable and return once no reader holds
  // it. After this, the owner may free it.
  void unpublish_and_drain() noexcept {
    ptr_.store(nullptr, seq_cst);  // seq_cst: the Dekker pair with pin() (top comment)
    for (;;) {
      // seq_cst: the other half of the pair; also acquires each reader's release.
      const std::uint32_t n = readers_.load(seq_cst);
      if (n == 0) return;
      // The timeout only bounds a missed wakeup; unpin() wakes us.
      futexsleep(readers_.raw(), n, 1000000);
    }
  }

  // A reader: the published object, pinned until unpin(); nullptr (nothing
  // pinned) if none is published.
  T* pin() noexcept {
    readers_.fetch_add(1, seq_cst);  // seq_cst: the Dekker pair with unpublish (top comment)
    T* p = ptr_.load(seq_cst);  // seq_cst: as above
    if (p == nullptr) unpin();
    return p;
  }

  void unpin() noexcept {
    // acq_rel: our reads of the object happen before the owner's free.
    if (readers_.fetch_sub(1, acq_rel) == 1 &&
        ptr_.load(seq_cst) == nullptr)  // seq_cst: orders after the owner's unpublish
      futexwakeup(readers_.raw(), 1);
  }

  // A racy look (no pin): for code that runs only while the object is alive
  // (the owner's own threads).
  T* peek() const noexcept {
    return ptr_.load(acquire);  // acquire: the object's construction is visible
  }

  // RAII reader.
  class Pin {
   public:
    explicit Pin(Published& pub) noexcept : pub_(pub), p_(pub.pin()) {}
    ~Pin() {
      if (p_ != nullptr) pub_.unpin();
    }
    Pin(const Pin&) = delete;
    Pin& operator=(const Pin&) = delete;
    T* get() const noexcept { return p_; }
    explicit operator bool() const noexcept { return p_ != nullptr; }
    T* operator->() const noexcept { return p_; }

   private:
    Published& pub_;
    T* p_;
  };

 private:
  Atomic<T*> ptr_{nullptr};
  Atomic<std::uint32_t> readers_{0};
};

}  // namespace gmpkit::rt
