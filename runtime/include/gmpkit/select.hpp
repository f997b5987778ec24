// gmpkit/select.hpp — Go's select statement.
//
//   std::size_t i = gmpkit::select(
//       gmpkit::recv_case(a, [](std::optional<int> v) { ... }),   // case v, ok := <-a
//       gmpkit::send_case(b, 42, [] { ... }),                     // case b <- 42
//       gmpkit::default_case([] { ... }));                        // default
//
// Returns the index (in argument order) of the case that proceeded, after
// running its callback. Semantics are Go's selectgo: if several cases are
// ready one is chosen uniformly at random; otherwise the default case runs,
// or, without one, the goroutine blocks (wait reason "select") until one
// case can proceed. The select sees an atomic snapshot of its channels (all
// are locked at once). A case on a nil channel never proceeds; a select with
// no cases (gmpkit::select()) blocks forever ("select (no cases)"). The same
// channel may appear in several cases. A send case whose channel is closed
// throws chan_error("send on closed channel"), as Go panics.
//
// Callbacks: recv_case's takes std::optional<T> (nullopt: the channel is
// closed) or nothing; send_case's and default_case's take nothing. Each is
// optional. A send case owns its value: if another case is chosen the value
// is destroyed with the case, never sent.
//
// As Go's compiler does, a select with one channel case is a plain
// (blocking) channel operation, and one with one channel case and a default
// is a non-blocking one.
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <type_traits>
#include <utility>

#include "gmpkit/chan.hpp"
#include "gmpkit/detail/chan_core.hpp"

namespace gmpkit {

namespace detail {

struct NoCallback {
  template <class... A>
  void operator()(A&&...) const noexcept {}
};

template <class T, class F>
struct RecvCase {
  hchan* c;
  F f;
  ElemSlot<T> slot;
};

template <class T, class F>
struct SendCase {
  hchan* c;
  T v;
  F f;
};

template <class F>
struct DefaultCase {
  F f;
};

template <class C>
struct CaseKind {
  static constexpr int value = -1;
};
template <class T, class F>
struct CaseKind<RecvCase<T, F>> {
  static constexpr int value = 0;
};
template <class T, class F>
struct CaseKind<SendCase<T, F>> {
  static constexpr int value = 1;
};
template <class F>
struct CaseKind<DefaultCase<F>> {
  static constexpr int value = 2;
};
template <class C>
inline constexpr int case_kind_v = CaseKind<std::remove_cvref_t<C>>::value;

template <class T, class F>
void run_case(RecvCase<T, F>& rc, bool recvOK) {
  if constexpr (std::is_invocable_v<F&, std::optional<T>>) {
    std::optional<T> v;
    if (recvOK) {
      v.emplace(std::move(*rc.slot.ptr()));
      rc.slot.ptr()->~T();
    }
    rc.f(std::move(v));
  } else {
    static_assert(std::is_invocable_v<F&>,
                  "recv_case callback must take std::optional<T> or nothing");
    if (recvOK) rc.slot.ptr()->~T();
    rc.f();
  }
}
template <class T, class F>
void run_case(SendCase<T, F>& sc, bool) {
  static_assert(std::is_invocable_v<F&>, "send_case callback must take no arguments");
  sc.f();
}
template <class F>
void run_case(DefaultCase<F>& dc, bool) {
  static_assert(std::is_invocable_v<F&>, "default_case callback must take no arguments");
  dc.f();
}

}  // namespace detail

template <class T, class F>
detail::RecvCase<T, std::decay_t<F>> recv_case(const Chan<T>& ch, F&& f) {
  return {detail::ChanAccess::get(ch), std::forward<F>(f), {}};
}
template <class T>
detail::RecvCase<T, detail::NoCallback> recv_case(const Chan<T>& ch) {
  return {detail::ChanAccess::get(ch), {}, {}};
}

template <class T, class F>
detail::SendCase<T, std::decay_t<F>> send_case(const Chan<T>& ch, std::type_identity_t<T> v,
                                               F&& f) {
  return {detail::ChanAccess::get(ch), std::move(v), std::forward<F>(f)};
}
template <class T>
detail::SendCase<T, detail::NoCallback> send_case(const Chan<T>& ch, std::type_identity_t<T> v) {
  return {detail::ChanAccess::get(ch), std::move(v), {}};
}

template <class F>
detail::DefaultCase<std::decay_t<F>> default_case(F&& f) {
  return {std::forward<F>(f)};
}
inline detail::DefaultCase<detail::NoCallback> default_case() { return {{}}; }

template <class... Cases>
std::size_t select(Cases&&... cs) {
  static_assert(((detail::case_kind_v<Cases> >= 0) && ...),
                "select() takes recv_case(...), send_case(...) and default_case(...) arguments");
  constexpr std::size_t N = sizeof...(Cases);
  constexpr std::size_t ndef = ((detail::case_kind_v<Cases> == 2 ? 1 : 0) + ... + 0);
  static_assert(ndef <= 1, "select: at most one default_case");
  constexpr std::size_t nch = N - ndef;

  std::array<detail::scase, (nch ? nch : 1)> sc{};
  std::array<std::size_t, (nch ? nch : 1)> argidx{};
  std::size_t defidx = N;
  {
    std::size_t i = 0, k = 0;
    auto fill = [&](auto& c) {
      constexpr int kind = detail::case_kind_v<decltype(c)>;
      if constexpr (kind == 0) {
        sc[k] = detail::scase{c.c, c.slot.raw(), false};
        argidx[k++] = i;
      } else if constexpr (kind == 1) {
        sc[k] = detail::scase{c.c, static_cast<void*>(std::addressof(c.v)), true};
        argidx[k++] = i;
      } else {
        defidx = i;
      }
      i++;
    };
    (fill(cs), ...);
    (void)fill;  // unused for select() with no cases
  }

  int chosen = -1;
  bool recvOK = false;
  if constexpr (nch == 0) {
    if constexpr (ndef == 0) detail::block_forever();
  } else if constexpr (nch == 1) {
    // Go's compiler: a one-case select is a channel operation.
    constexpr bool block = ndef == 0;
    bool selected = sc[0].send ? detail::chansend(sc[0].c, sc[0].elem, block)
                               : detail::chanrecv(sc[0].c, sc[0].elem, block, &recvOK);
    chosen = selected ? 0 : -1;
  } else {
    chosen = detail::selectgo(sc.data(), static_cast<int>(nch), ndef == 0, &recvOK);
  }

  std::size_t taken = chosen < 0 ? defidx : argidx[static_cast<std::size_t>(chosen)];
  {
    std::size_t i = 0;
    auto dispatch = [&](auto& c) {
      if (i++ == taken) detail::run_case(c, recvOK);
    };
    (dispatch(cs), ...);
    (void)dispatch;
  }
  return taken;
}

}  // namespace gmpkit
