// gmpkit/detail/entry.hpp — type erasure for goroutine bodies.
//
// go(f) moves the callable straight into the top of the new goroutine's
// stack (as Go copies a closure's arguments onto the new stack), so spawning
// allocates nothing on the heap. EntryOps is the callable's vtable.
#pragma once

#include <cstddef>
#include <functional>
#include <new>
#include <type_traits>
#include <utility>

namespace gmpkit::detail {

struct EntryOps {
  void (*invoke)(void* obj);
  void (*destroy)(void* obj) noexcept;
  void (*move_to)(void* dst, void* src);  // placement-move *src into dst
  std::size_t size;
  std::size_t align;
};

template <class Fn>
struct EntryOpsFor {
  static void invoke(void* o) { std::invoke(*static_cast<Fn*>(o)); }
  static void destroy(void* o) noexcept { static_cast<Fn*>(o)->~Fn(); }
  static void move_to(void* dst, void* src) { ::new (dst) Fn(std::move(*static_cast<Fn*>(src))); }
  static constexpr EntryOps ops{&invoke, &destroy, &move_to, sizeof(Fn), alignof(Fn)};
};

// Calls `sink(ops, ptr)` with the callable materialised as an rvalue of its
// decayed type, moving at most once.
template <class F, class Sink>
decltype(auto) with_entry(F&& f, Sink&& sink) {
  using Fn = std::decay_t<F>;
  static_assert(std::is_invocable_v<Fn&>, "a goroutine body must be callable with no arguments");
  static_assert(std::is_move_constructible_v<Fn>, "a goroutine body must be move-constructible");
  if constexpr (std::is_same_v<F, Fn> || std::is_same_v<F, Fn&&>) {
    return sink(EntryOpsFor<Fn>::ops, static_cast<void*>(std::addressof(f)));
  } else {
    Fn tmp(std::forward<F>(f));
    return sink(EntryOpsFor<Fn>::ops, static_cast<void*>(std::addressof(tmp)));
  }
}

}  // namespace gmpkit::detail
