// sync/chan.hpp — the channel's runtime representation (Go's hchan, sudog,
// waitq in runtime2.go / chan.go), shared by chan.cpp and select.cpp.
//
// Ownership. An hchan is one allocation: the header, then the ring buffer of
// dataqsiz elements. It is reference counted: every Chan<T> handle holds a
// reference, and so does every goroutine parked on it (taken before it
// enqueues, dropped after it is dequeued), so a channel outlives the
// goroutines blocked on it even when the user's handle is gone. The last
// release destroys the buffered elements.
//
// Sudogs. A sudog is a goroutine waiting on one channel. It lives on the
// waiting goroutine's stack (in chansend/chanrecv's frame, or one per case
// in selectgo's frame): the G is parked until it has been dequeued, and it
// dequeues itself (pass 3 of select, or on forced unwind) before the frame
// goes away. gp.param and gp.selectDone of Go live in a WaitState beside the
// sudogs in that frame instead of in the G.
//
// Invariants (under c.lock):
//   * qcount <= dataqsiz; buffer slots [recvx, recvx+qcount) hold live
//     elements, the others are raw memory.
//   * recvq non-empty => the buffer is empty; sendq non-empty => it is full
//     (unbuffered: always "full"). Both non-empty only transiently for
//     select sudogs that lost the selectDone race.
//   * closed never goes 1 -> 0; after close both queues are empty.
//
// Lock order: channel locks are leaves, except that select holds several at
// once, always in address order (lockorder). A semaphore root lock or the
// scheduler's locks may be taken under a channel lock (goready), never the
// other way round.
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/g.hpp"
#include "gmpkit/detail/chan_core.hpp"
#include "platform/annotations.hpp"
#include "platform/atomic.hpp"
#include "platform/mutex.hpp"

namespace gmpkit::sync {

struct Sudog;

// The per-wait state of a blocked goroutine (Go keeps these in the g).
struct WaitState {
  // select only: 0 until some channel claims the select (Go's
  // gp.selectDone); exactly one waker wins the CAS to 1.
  rt::Atomic<std::uint32_t> selectDone{0};
  // The sudog that woke the goroutine (Go's gp.param). Written by the waker
  // under the channel lock before goready; goready/park order it before the
  // woken goroutine reads it.
  Sudog* param = nullptr;
};

struct Sudog {
  core::G* g = nullptr;
  Sudog* next = nullptr;  // waitq links
  Sudog* prev = nullptr;
  void* elem = nullptr;  // send: the value; recv: raw destination (nullptr once consumed)
  detail::hchan* c = nullptr;
  WaitState* ws = nullptr;
  bool isSelect = false;
  bool success = false;  // woken by a value exchange (false: by close)
};

// Go's waitq: a doubly linked FIFO of sudogs.
struct WaitQ {
  // first is read without the lock by the non-blocking fast paths (Go's
  // full()/empty()), hence atomic; it is written only under c.lock.
  rt::Atomic<Sudog*> first{nullptr};
  Sudog* last = nullptr;

  void enqueue(Sudog* sgp) noexcept;
  // Removes and returns the first sudog whose goroutine can be woken: a
  // select sudog whose select was already claimed by another channel is
  // skipped (and unlinked).
  Sudog* dequeue() noexcept;
  // Removes sgp if it is still linked (no-op otherwise).
  void dequeueSudoG(Sudog* sgp) noexcept;
  bool empty() const noexcept {
    return first.load(rt::relaxed) == nullptr;
  }  // relaxed: under c.lock
};

}  // namespace gmpkit::sync

namespace gmpkit::detail {

struct hchan {
  rt::Mutex lock;
  // qcount and closed are read without the lock (len(), the non-blocking
  // fast paths); written only under lock.
  rt::Atomic<std::size_t> qcount{0};
  rt::Atomic<std::uint32_t> closed{0};
  std::size_t dataqsiz = 0;
  unsigned char* buf = nullptr;  // dataqsiz * ops->size bytes, right after this header
  const ElemOps* ops = nullptr;
  std::size_t sendx = 0;
  std::size_t recvx = 0;
  sync::WaitQ recvq;
  sync::WaitQ sendq;
  rt::Atomic<std::int64_t> refs{1};
  // select's lock order under the simulator (platform/determinism.hpp).
  std::uint64_t id = 0;

  void* chanbuf(std::size_t i) noexcept { return buf + i * ops->size; }
};

}  // namespace gmpkit::detail

namespace gmpkit::sync {

using detail::hchan;

// Element transfers (under c.lock).
void elem_move(const hchan* c, void* dst, void* src) noexcept;  // construct dst from src
void elem_take(const hchan* c, void* dst,
               void* src) noexcept;  // construct dst from src, destroy src
void elem_destroy(const hchan* c, void* p) noexcept;

// Go's send/recv: complete an operation with a waiting partner sg found on
// c's queue. Both are called with c.lock (and, from select, every other
// case's lock) held; `unlock(arg)` releases them before the partner is
// readied.
void send(hchan* c, Sudog* sg, void* ep, void (*unlock)(void*), void* arg);
void recv(hchan* c, Sudog* sg, void* ep, void (*unlock)(void*), void* arg);

}  // namespace gmpkit::sync
