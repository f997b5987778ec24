// gmpkit/syscall.hpp — running blocking calls without blocking the runtime
// (Go's entersyscall / exitsyscall).
//
//   ssize_t n = gmpkit::syscall([&] { return ::read(fd, buf, len); });
//
// syscall(f) runs f on the current thread as a "system call": the G moves
// to the syscall state and its P to _Psyscall, loosely kept by the M. If f
// returns quickly the M takes the same P back with one CAS (the fast path);
// if f blocks, sysmon retakes the P after one of its ticks (20 µs–10 ms)
// when other goroutines need it and hands it to another M (handoffp), so
// the rest of the program keeps running. On return, the goroutine resumes on
// its old P, any idle P, or — if none is free — waits in the global run
// queue while its M parks.
//
// syscall_block(f) is for calls known to block (Go's entersyscallblock): the
// P is handed off immediately.
//
// Exceptions thrown by f propagate after the goroutine has a P again. f must
// not call back into the runtime (go, yield, channel operations, ...).
#pragma once

#include <exception>
#include <functional>
#include <optional>
#include <type_traits>
#include <utility>

namespace gmpkit {

namespace detail {
// entersyscall returns the calling thread's M (opaque): f runs on this
// thread, so exitsyscall takes it back instead of reading the thread-local
// again.
void* entersyscall(bool block);
void exitsyscall(void* m);

template <class R>
class SyscallResult {
 public:
  template <class F>
  void run(F&& f) {
    if constexpr (std::is_void_v<R>) {
      std::invoke(std::forward<F>(f));
    } else if constexpr (std::is_reference_v<R>) {
      ptr_ = std::addressof(std::invoke(std::forward<F>(f)));
    } else {
      value_.emplace(std::invoke(std::forward<F>(f)));
    }
  }
  R take() {
    if (error_) std::rethrow_exception(error_);
    if constexpr (std::is_void_v<R>) {
      return;
    } else if constexpr (std::is_reference_v<R>) {
      return static_cast<R>(*ptr_);
    } else {
      return std::move(*value_);
    }
  }
  std::exception_ptr error_;

 private:
  std::conditional_t<std::is_reference_v<R>, std::remove_reference_t<R>*, char> ptr_{};
  std::conditional_t<std::is_void_v<R> || std::is_reference_v<R>, char, std::optional<R>> value_{};
};

template <class F>
decltype(auto) syscall_impl(F&& f, bool block) {
  using R = std::invoke_result_t<F>;
  SyscallResult<R> res;
  void* m = entersyscall(block);
  try {
    res.run(std::forward<F>(f));
  } catch (...) {
    res.error_ = std::current_exception();
  }
  exitsyscall(m);  // at shutdown this throws gmpkit::forced_unwind instead
  return res.take();
}
}  // namespace detail

template <class F>
decltype(auto) syscall(F&& f) {
  return detail::syscall_impl(std::forward<F>(f), false);
}

template <class F>
decltype(auto) syscall_block(F&& f) {
  return detail::syscall_impl(std::forward<F>(f), true);
}

}  // namespace gmpkit
