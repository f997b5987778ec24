// sync/chan.cpp — channels: Go's chan.go (makechan, chansend, chanrecv,
// closechan, send/recv with direct handoff, waitq).
//
// See chan.hpp for the data structure, its invariants and the lock order.
// The shape of every function follows Go 1.19 so the two can be read side
// by side:
//   chansend: nil channel -> park forever; non-blocking fast path (closed,
//     then full(), read without the lock); lock; closed -> panic; a waiting
//     receiver -> send() directly into its stack slot; buffer space -> enqueue
//     the value; otherwise park on sendq and, once woken, panic if the wakeup
//     came from close.
//   chanrecv: symmetrical; a closed channel still yields its buffered values;
//     with a waiting sender and a full buffer, recv() takes the head of the
//     buffer and moves the sender's value to the tail (FIFO preserved).
//   closechan: mark closed, collect every waiter, unlock, ready them all.
//
// Shutdown: a goroutine parked here may be resumed with gmpkit::forced_unwind.
// It then re-takes c.lock, unlinks its sudog if still queued, destroys a
// value that was already handed to it, drops its channel reference and
// rethrows — so no queue ever points at a dead frame.
#include "sync/chan.hpp"

#include <cstdlib>
#include <cstring>
#include <limits>
#include <new>

#include "core/park.hpp"
#include "core/planted_bug.hpp"
#include "core/proc.hpp"
#include "gmpkit/error.hpp"
#include "platform/determinism.hpp"

namespace gmpkit::sync {

using core::G;

// ---- waitq ----

void WaitQ::enqueue(Sudog* sgp) noexcept {
  sgp->next = nullptr;
  Sudog* x = last;
  if (x == nullptr) {
    sgp->prev = nullptr;
    first.store(
        sgp,
        rt::relaxed);  // relaxed: under c.lock; lock-free readers only need a hint (see full())
    last = sgp;
    return;
  }
  sgp->prev = x;
  x->next = sgp;
  last = sgp;
}

Sudog* WaitQ::dequeue() noexcept {
  for (;;) {
    Sudog* sgp = first.load(rt::relaxed);  // relaxed: under c.lock
    if (sgp == nullptr) return nullptr;
    Sudog* y = sgp->next;
    if (y == nullptr) {
      first.store(nullptr, rt::relaxed);  // relaxed: under c.lock
      last = nullptr;
    } else {
      y->prev = nullptr;
      first.store(y, rt::relaxed);  // relaxed: under c.lock
      sgp->next = nullptr;
    }
    // A select goroutine is queued on several channels. Between being
    // claimed through one of them and re-locking all of them to dequeue
    // itself it is still linked here: whoever wins selectDone owns it.
    // acq_rel: the claim orders the winner's writes after every earlier
    // claim attempt; losers skip the sudog.
    if (sgp->isSelect && !sgp->ws->selectDone.cas(0, 1, rt::acq_rel)) continue;
    return sgp;
  }
}

void WaitQ::dequeueSudoG(Sudog* sgp) noexcept {
  Sudog* x = sgp->prev;
  Sudog* y = sgp->next;
  if (x != nullptr) {
    if (y != nullptr) {  // middle of the queue
      x->next = y;
      y->prev = x;
      sgp->next = nullptr;
      sgp->prev = nullptr;
      return;
    }
    x->next = nullptr;  // end of the queue
    last = x;
    sgp->prev = nullptr;
    return;
  }
  if (y != nullptr) {  // start of the queue
    y->prev = nullptr;
    first.store(y, rt::relaxed);  // relaxed: under c.lock
    sgp->next = nullptr;
    return;
  }
  // x == y == nullptr: sgp is the only element, or already removed.
  if (first.load(rt::relaxed) == sgp) {  // relaxed: under c.lock
    first.store(nullptr, rt::relaxed);  // relaxed: under c.lock
    last = nullptr;
  }
}

// ---- elements ----

void elem_move(const hchan* c, void* dst, void* src) noexcept {
  if (c->ops->trivial)
    std::memcpy(dst, src, c->ops->size);
  else
    c->ops->move(dst, src);
}

void elem_take(const hchan* c, void* dst, void* src) noexcept {
  if (c->ops->trivial) {
    std::memcpy(dst, src, c->ops->size);
    return;
  }
  c->ops->move(dst, src);
  c->ops->destroy(src);
}

void elem_destroy(const hchan* c, void* p) noexcept {
  if (!c->ops->trivial) c->ops->destroy(p);
}

// ---- send / recv with a waiting partner ----

void send(hchan* c, Sudog* sg, void* ep, void (*unlock)(void*), void* arg) {
  // Go's sendDirect: the receiver is parked, so writing into its stack slot
  // is safe; it reads the slot only after goready.
  if (sg->elem != nullptr) {
    elem_move(c, sg->elem, ep);
    sg->elem = nullptr;
  }
  G* gp = sg->g;
  sg->success = true;
  sg->ws->param = sg;
  unlock(arg);
  core::goready(gp);  // runnext: the receiver inherits our time slice
}

void recv(hchan* c, Sudog* sg, void* ep, void (*unlock)(void*), void* arg) {
  if (c->dataqsiz == 0) {
    // Go's recvDirect: straight from the parked sender's frame.
    if (ep != nullptr) elem_move(c, ep, sg->elem);
  } else {
    // The buffer is full (a sender waits). Take the head, and move the
    // sender's value into the freed slot, which becomes the new tail.
    void* qp = c->chanbuf(c->recvx);
    if (ep != nullptr)
      elem_take(c, ep, qp);
    else
      elem_destroy(c, qp);
    elem_move(c, qp, sg->elem);
    if (++c->recvx == c->dataqsiz) c->recvx = 0;
    if (!GMPKIT_PLANTED_BUG(chan_recv_full_no_sendx_update))
      c->sendx = c->recvx;  // c.sendx = (c.sendx+1) % c.dataqsiz
  }
  sg->elem = nullptr;
  G* gp = sg->g;
  sg->success = true;
  sg->ws->param = sg;
  unlock(arg);
  core::goready(gp);
}

}  // namespace gmpkit::sync

namespace gmpkit::detail {

using namespace gmpkit::sync;
using core::G;

namespace {

void unlock_chan(void* c) GMPKIT_NO_TSA { static_cast<hchan*>(c)->lock.unlock(); }

// gopark's unlock function (Go's chanparkcommit): runs on g0 once the G is
// waiting, so a waker that takes the lock sees a parked G.
bool chanparkcommit(G*, void* c) GMPKIT_NO_TSA {
  static_cast<hchan*>(c)->lock.unlock();
  return true;
}

G* require_g() {
  G* gp = core::getg();
  if (gp == nullptr) throw usage_error("gmpkit: blocking channel operation outside a goroutine");
  return gp;
}

// Go's full(): would a send block? Read without the lock.
bool full(const hchan* c) {
  if (c->dataqsiz == 0)
    return c->recvq.first.load(rt::relaxed) ==
           nullptr;  // relaxed: ordered by the caller's acquire on closed
  return c->qcount.load(rt::relaxed) == c->dataqsiz;  // relaxed: as above
}

// Go's empty(): would a receive block? Read without the lock.
bool empty(const hchan* c) {
  // acquire: the caller's next load (closed) must not be hoisted above this
  // one (Go's "observations" must happen in program order).
  if (c->dataqsiz == 0) return c->sendq.first.load(rt::acquire) == nullptr;
  return c->qcount.load(rt::acquire) == 0;
}

void free_hchan(hchan* c) noexcept {
  // Destroy what is still buffered.
  std::size_t n = c->qcount.load(rt::relaxed);  // relaxed: last reference, nobody else can look
  for (std::size_t i = 0, x = c->recvx; i < n; i++) {
    elem_destroy(c, c->chanbuf(x));
    if (++x == c->dataqsiz) x = 0;
  }
  std::size_t align = c->ops->align > alignof(hchan) ? c->ops->align : alignof(hchan);
  c->~hchan();
  ::operator delete (static_cast<void*>(c), std::align_val_t{align});
}

}  // namespace

hchan* makechan(const ElemOps* ops, std::size_t size) {
  std::size_t align = ops->align > alignof(hchan) ? ops->align : alignof(hchan);
  std::size_t header = (sizeof(hchan) + ops->align - 1) / ops->align * ops->align;
  if (ops->size != 0 && size > (std::numeric_limits<std::size_t>::max() / 2 - header) / ops->size)
    throw chan_error("makechan: size out of range");
  std::size_t bytes = header + size * ops->size;
  void* mem = ::operator new (bytes, std::align_val_t{align});
  auto* c = ::new (mem) hchan;
  c->ops = ops;
  c->dataqsiz = size;
  c->buf = static_cast<unsigned char*>(mem) + header;
  if constexpr (rt::kReplayable) c->id = rt::next_object_id();
  return c;
}

void chanretain(hchan* c) noexcept {
  c->refs.fetch_add(1,
                    rt::relaxed);  // relaxed: the caller already holds a reference (as shared_ptr)
}

void chanrelease(hchan* c) noexcept {
  // acq_rel: every use of the channel by other holders happens before the
  // last release frees it (as shared_ptr).
  if (c->refs.fetch_sub(1, rt::acq_rel) == 1) free_hchan(c);
}

std::size_t chanlen(const hchan* c) noexcept {
  return c ? c->qcount.load(rt::relaxed) : 0;  // relaxed: len() is a racy snapshot, as Go's
}

std::size_t chancap(const hchan* c) noexcept { return c ? c->dataqsiz : 0; }

void block_forever() {
  require_g();
  core::gopark(nullptr, nullptr, core::WaitReason::select_no_cases);
  core::fatal("select (no cases): goroutine resumed");
}

bool chansend(hchan* c, void* ep, bool block) GMPKIT_NO_TSA {
  core::preempt_check_at_entry();  // Go's prologue check (core/proc.hpp)
  if (c == nullptr) {
    if (!block) return false;
    require_g();
    core::gopark(nullptr, nullptr, core::WaitReason::chan_send_nil);
    core::fatal("chansend: nil channel: goroutine resumed");
  }

  // Fast path: a failed non-blocking send without taking the lock. closed
  // is read first; a closed channel never becomes "not ready for sending"
  // again, so "not closed, then full" means there was a moment when it was
  // both. acquire: the full() loads below stay after this one.
  if (!block && c->closed.load(rt::acquire) == 0 && full(c)) return false;

  c->lock.lock();
  if (c->closed.load(rt::relaxed) != 0) {  // relaxed: under c.lock
    c->lock.unlock();
    throw chan_error("send on closed channel");
  }
  if (Sudog* sg = c->recvq.dequeue()) {
    send(c, sg, ep, unlock_chan, c);
    return true;
  }
  std::size_t q = c->qcount.load(rt::relaxed);  // relaxed: under c.lock
  if (q < c->dataqsiz) {
    elem_move(c, c->chanbuf(c->sendx), ep);
    if (++c->sendx == c->dataqsiz) c->sendx = 0;
    c->qcount.store(q + 1, rt::relaxed);  // relaxed: lock-free readers only need a snapshot
    c->lock.unlock();
    return true;
  }
  if (!block) {
    c->lock.unlock();
    return false;
  }

  // Block on sendq. The sudog lives in this frame.
  G* gp = core::getg();
  if (gp == nullptr) {
    c->lock.unlock();
    require_g();
  }
  WaitState ws;
  Sudog mysg;
  mysg.g = gp;
  mysg.elem = ep;
  mysg.c = c;
  mysg.ws = &ws;
  c->sendq.enqueue(&mysg);
  chanretain(c);  // the channel outlives our wait even if every handle goes away
  try {
    core::gopark(chanparkcommit, c, core::WaitReason::chan_send);
  } catch (const forced_unwind&) {
    {
      rt::LockGuard g(c->lock);
      c->sendq.dequeueSudoG(&mysg);
    }
    chanrelease(c);
    throw;
  }
  if (ws.param != &mysg) core::throw_g("chansend: woken by a foreign sudog", gp);
  bool closed = !mysg.success;
  if (closed && c->closed.load(rt::relaxed) == 0)
    core::throw_g("chansend: spurious wakeup",
                  gp);  // relaxed: closed only goes 0 -> 1, and close readied us
  chanrelease(c);
  if (closed) throw chan_error("send on closed channel");
  return true;
}

bool chanrecv(hchan* c, void* ep, bool block, bool* received) GMPKIT_NO_TSA {
  core::preempt_check_at_entry();  // Go's prologue check (core/proc.hpp)
  *received = false;
  if (c == nullptr) {
    if (!block) return false;
    require_g();
    core::gopark(nullptr, nullptr, core::WaitReason::chan_receive_nil);
    core::fatal("chanrecv: nil channel: goroutine resumed");
  }

  // Fast path: a failed non-blocking receive without the lock (see Go's
  // comments in chanrecv). empty() then closed, in this order: a channel
  // that was empty and, later, still not closed was both at the first
  // observation (channels are never reopened).
  if (!block && empty(c)) {
    if (c->closed.load(rt::acquire) == 0)
      return false;  // acquire: the re-check below sees values sent before close
    // Closed. It may have received values between the two loads: check again.
    if (GMPKIT_PLANTED_BUG(chanrecv_fastpath_no_recheck) || empty(c))
      return true;  // closed and drained: selected, not received
  }

  c->lock.lock();
  if (c->closed.load(rt::relaxed) != 0) {  // relaxed: under c.lock
    // relaxed: under c.lock
    if (c->qcount.load(rt::relaxed) == 0 || GMPKIT_PLANTED_BUG(chanrecv_closed_drops_buffer)) {
      c->lock.unlock();
      return true;
    }
    // Closed but values remain: fall through to the buffer.
  } else if (Sudog* sg = c->sendq.dequeue()) {
    // A waiting sender: unbuffered -> take its value directly; full buffer
    // -> take the head and move the sender's value to the tail.
    recv(c, sg, ep, unlock_chan, c);
    *received = true;
    return true;
  }
  std::size_t q = c->qcount.load(rt::relaxed);  // relaxed: under c.lock
  if (q > 0) {
    void* qp = c->chanbuf(c->recvx);
    if (ep != nullptr)
      elem_take(c, ep, qp);
    else
      elem_destroy(c, qp);
    if (++c->recvx == c->dataqsiz) c->recvx = 0;
    c->qcount.store(q - 1, rt::relaxed);  // relaxed: lock-free readers only need a snapshot
    c->lock.unlock();
    *received = true;
    return true;
  }
  if (!block) {
    c->lock.unlock();
    return false;
  }

  // Block on recvq.
  G* gp = core::getg();
  if (gp == nullptr) {
    c->lock.unlock();
    require_g();
  }
  WaitState ws;
  Sudog mysg;
  mysg.g = gp;
  mysg.elem = ep;
  mysg.c = c;
  mysg.ws = &ws;
  c->recvq.enqueue(&mysg);
  chanretain(c);
  try {
    core::gopark(chanparkcommit, c, core::WaitReason::chan_receive);
  } catch (const forced_unwind&) {
    {
      rt::LockGuard g(c->lock);
      c->recvq.dequeueSudoG(&mysg);
      // Readied with a value but unwound before we could return it.
      if (ws.param == &mysg && mysg.success && ep != nullptr) elem_destroy(c, ep);
    }
    chanrelease(c);
    throw;
  }
  if (ws.param != &mysg) core::throw_g("chanrecv: woken by a foreign sudog", gp);
  bool success = mysg.success;
  chanrelease(c);
  *received = success;
  return true;
}

void closechan(hchan* c) GMPKIT_NO_TSA {
  if (c == nullptr) throw chan_error("close of nil channel");
  c->lock.lock();
  if (c->closed.load(rt::relaxed) != 0) {  // relaxed: under c.lock
    c->lock.unlock();
    throw chan_error("close of closed channel");
  }
  // release: a lock-free reader that sees closed == 1 also sees every value
  // buffered before the close (chanrecv's fast path re-check).
  c->closed.store(1, rt::release);

  core::GList glist;
  // Release all readers: they get "closed" (no value).
  while (Sudog* sg = c->recvq.dequeue()) {
    sg->elem = nullptr;
    sg->success = false;
    sg->ws->param = sg;
    glist.push(sg->g);
    if (GMPKIT_PLANTED_BUG(closechan_wakes_one_receiver)) break;
  }
  // Release all writers: they will panic.
  while (Sudog* sg = c->sendq.dequeue()) {
    sg->elem = nullptr;
    sg->success = false;
    sg->ws->param = sg;
    glist.push(sg->g);
  }
  c->lock.unlock();
  // Ready them all now that the lock is dropped. A woken G touches only its
  // own frame until it re-takes a channel lock, so the schedlink chain is
  // ours until each goready.
  while (G* gp = glist.pop()) core::goready(gp);
}

}  // namespace gmpkit::detail
