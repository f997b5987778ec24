// gmpkit/chan.hpp — Go channels.
//
//   gmpkit::Chan<int> ch;               // make(chan int): unbuffered (also ch(0))
//   gmpkit::Chan<int> q(10);            // make(chan int, 10): buffered
//   auto n = gmpkit::Chan<int>::nil();  // var n chan int: Go's nil channel
//   ch.send(1);                         // ch <- 1
//   std::optional<int> v = ch.recv();   // v, ok := <-ch (nullopt: closed and drained)
//   ch.close();                         // close(ch)
//
// A Chan<T> is a shared handle: copies refer to the same channel (as Go's
// chan values do); the channel lives until the last handle is gone and no
// goroutine is blocked on it. A default-constructed Chan is a new unbuffered
// channel (Go's make(chan T)). Go's nil channel is explicit: Chan<T>::nil()
// and a moved-from handle are nil: send and recv block forever (wait reasons
// "chan send (nil chan)" / "chan receive (nil chan)"), a select case on it
// is never ready, close throws "close of nil channel".
//
// Semantics are Go's (runtime/chan.go): FIFO for values and for blocked
// senders/receivers; a send to a blocked receiver hands the value over
// directly and readies the receiver in the sender's runnext (so ping-pong
// pairs stay on one P); close wakes every blocked goroutine; buffered values
// can still be received after close.
//
// Errors (gmpkit::chan_error, Go's panic messages):
//   "send on closed channel"   send on a closed channel, also a sender that
//                              was blocked when the channel was closed
//   "close of closed channel"  second close
//   "close of nil channel"     close of a nil handle
//
// T may be move-only. T's move constructor runs under the channel lock and
// must not throw (if it does, std::terminate).
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <type_traits>
#include <utility>

#include "gmpkit/detail/chan_core.hpp"
#include "gmpkit/error.hpp"

namespace gmpkit {

template <class T>
class Chan;

namespace detail {
struct ChanAccess {
  template <class T>
  static hchan* get(const Chan<T>& ch) noexcept {
    return ch.c_;
  }
};
}  // namespace detail

template <class T>
class Chan {
  static_assert(std::is_move_constructible_v<T>, "Chan<T>: T must be move-constructible");
  static_assert(std::is_destructible_v<T>, "Chan<T>: T must be destructible");

 public:
  using value_type = T;

  // make(chan T, capacity); make(chan T) (unbuffered) by default.
  explicit Chan(std::size_t capacity = 0)
      : c_(detail::makechan(&detail::ElemOpsFor<T>::ops, capacity)) {}

  // var c chan T: Go's nil channel (no allocation).
  [[nodiscard]] static Chan nil() noexcept { return Chan(NilTag{}); }

  Chan(const Chan& o) noexcept : c_(o.c_) {
    if (c_) detail::chanretain(c_);
  }
  Chan(Chan&& o) noexcept : c_(std::exchange(o.c_, nullptr)) {}
  Chan& operator=(const Chan& o) noexcept {
    Chan(o).swap(*this);
    return *this;
  }
  Chan& operator=(Chan&& o) noexcept {
    Chan(std::move(o)).swap(*this);
    return *this;
  }
  ~Chan() {
    if (c_) detail::chanrelease(c_);
  }
  void swap(Chan& o) noexcept { std::swap(c_, o.c_); }

  // ch <- v. Blocks until a receiver takes it or there is buffer space.
  void send(T v) { detail::chansend(c_, static_cast<void*>(std::addressof(v)), true); }

  // v, ok := <-ch. Blocks until a value arrives; std::nullopt once the
  // channel is closed and its buffer drained.
  std::optional<T> recv() {
    detail::ElemSlot<T> slot;
    bool received = false;
    detail::chanrecv(c_, slot.raw(), true, &received);
    if (!received) return std::nullopt;
    std::optional<T> out(std::move(*slot.ptr()));
    slot.ptr()->~T();
    return out;
  }

  // close(ch).
  void close() { detail::closechan(c_); }

  // len(ch) (a racy snapshot, as Go's) and cap(ch). Both 0 for nil.
  std::size_t size() const noexcept { return detail::chanlen(c_); }
  std::size_t capacity() const noexcept { return detail::chancap(c_); }

  // Whether this handle is the nil channel.
  bool is_nil() const noexcept { return c_ == nullptr; }

  // Channel identity (Go's ==).
  friend bool operator==(const Chan& a, const Chan& b) noexcept { return a.c_ == b.c_; }

 private:
  friend struct detail::ChanAccess;
  struct NilTag {};
  explicit Chan(NilTag) noexcept {}
  detail::hchan* c_ = nullptr;
};

}  // namespace gmpkit
