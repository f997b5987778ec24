// sync/select.cpp — Go's select statement (select.go: selectgo, sellock,
// selunlock, selparkcommit).
//
// selectgo, as Go 1.19:
//   0. pollorder: the cases with a channel, shuffled (per-M fastrand), so no
//      ready case is favoured; lockorder: the same cases heap-sorted by hchan
//      address, so concurrent selects lock overlapping channel sets in one
//      global order and cannot deadlock. A channel that appears in several
//      cases is locked once (equal addresses are adjacent in lockorder).
//   1. Lock every channel. Pass 1 walks pollorder and takes the first case
//      that can proceed now (waiting partner, buffer, closed). Because all
//      locks are held, the select sees an atomic snapshot of its channels.
//   2. No case ready and a default: unlock, return -1. Otherwise enqueue one
//      sudog per case (in this frame) on its channel, all sharing one
//      WaitState, and park ("select"); selparkcommit unlocks on g0.
//   3. The first waker claims the select (WaitState::selectDone CAS in
//      WaitQ::dequeue), completes the exchange, records its sudog in
//      WaitState::param and readies us. We re-lock everything and dequeue
//      the other sudogs (pass 3).
//
// Invariants: while this goroutine is parked, each of its sudogs is on
// exactly one channel queue or has been unlinked by a waker; this frame
// (holding the sudogs, the case array and the orders) stays alive until pass
// 3 has run under all the locks. selunlock never reads the frame after its
// last unlock (the goroutine may already be running elsewhere by then).
//
// Lock order: channel locks in hchan address order; nothing else is taken
// while they are held except inside goready (after they are released).
#include <memory>

#include "core/m.hpp"
#include "core/park.hpp"
#include "core/planted_bug.hpp"
#include "core/proc.hpp"
#include "gmpkit/error.hpp"
#include "platform/determinism.hpp"
#include "platform/random.hpp"
#include "sync/chan.hpp"

namespace gmpkit::detail {

using namespace gmpkit::sync;
using core::G;

namespace {

struct SelectFrame {
  scase* cases;
  std::uint16_t* lockorder;
  int n;  // cases with a channel (length of lockorder)
};

void sellock(const SelectFrame& f) GMPKIT_NO_TSA {
  hchan* c = nullptr;
  for (int i = 0; i < f.n; i++) {
    hchan* c0 = f.cases[f.lockorder[i]].c;
    if (c0 != c) {
      c = c0;
      c->lock.lock();
    }
  }
}

// Must not touch the frame after the last unlock: once it is dropped the
// goroutine owning the frame may be woken and return.
void selunlock(const SelectFrame& f) GMPKIT_NO_TSA {
  scase* cases = f.cases;
  std::uint16_t* lockorder = f.lockorder;
  for (int i = f.n - 1; i >= 0; i--) {
    hchan* c = cases[lockorder[i]].c;
    if (i > 0 && c == cases[lockorder[i - 1]].c) continue;  // unlocked on the next iteration
    c->lock.unlock();
  }
}

void selunlock_thunk(void* f) { selunlock(*static_cast<const SelectFrame*>(f)); }

// gopark's unlock function: the G is waiting now, so wakers may proceed.
bool selparkcommit(G*, void* f) {
  selunlock(*static_cast<const SelectFrame*>(f));
  return true;
}

std::uint32_t fastrandn(std::uint32_t n) {
  if (core::M* mp = core::getm()) return mp->rand.next_n(n);
  // Not on a runtime thread (a non-blocking select from plain code).
  thread_local rt::FastRand r{rt::random_seed()};
  return r.next_n(n);
}

// Under the simulator by creation order instead: a run must not depend on
// where the heap put its channels (platform/determinism.hpp).
std::uintptr_t sortkey(const hchan* c) {
  if constexpr (rt::kReplayable) return static_cast<std::uintptr_t>(c->id);
  return reinterpret_cast<std::uintptr_t>(c);
}

// Heap sort of pollorder into lockorder by channel address (Go's: n log n,
// constant stack, and starting from pollorder permutes equal channels).
void sort_lockorder(const scase* cases, const std::uint16_t* pollorder, std::uint16_t* lockorder,
                    int n) {
  for (int i = 0; i < n; i++) {
    int j = i;
    const hchan* c = cases[pollorder[i]].c;
    while (j > 0 && sortkey(cases[lockorder[(j - 1) / 2]].c) < sortkey(c)) {
      int k = (j - 1) / 2;
      lockorder[j] = lockorder[k];
      j = k;
    }
    lockorder[j] = pollorder[i];
  }
  for (int i = n - 1; i >= 0; i--) {
    std::uint16_t o = lockorder[i];
    const hchan* c = cases[o].c;
    lockorder[i] = lockorder[0];
    int j = 0;
    for (;;) {
      int k = j * 2 + 1;
      if (k >= i) break;
      if (k + 1 < i && sortkey(cases[lockorder[k]].c) < sortkey(cases[lockorder[k + 1]].c)) k++;
      if (sortkey(c) < sortkey(cases[lockorder[k]].c)) {
        lockorder[j] = lockorder[k];
        j = k;
        continue;
      }
      break;
    }
    lockorder[j] = o;
  }
#if GMPKIT_CHECKED
  for (int i = 0; i + 1 < n; i++)
    if (sortkey(cases[lockorder[i]].c) > sortkey(cases[lockorder[i + 1]].c))
      core::fatal("select: broken sort");
#endif
}

}  // namespace

int selectgo(scase* cases, int ncases, bool block, bool* recvOK) GMPKIT_NO_TSA {
  core::preempt_check_at_entry();  // Go's prologue check (core/proc.hpp)
  *recvOK = false;
  if (ncases < 0 || ncases > 65535) throw usage_error("gmpkit: select with more than 65535 cases");

  // pollorder and lockorder share one array, as Go's order0.
  constexpr int kSmall = 8;
  std::uint16_t order_small[2 * kSmall];
  std::unique_ptr<std::uint16_t[]> order_big;
  std::uint16_t* order = order_small;
  if (ncases > kSmall) {
    order_big.reset(new std::uint16_t[2 * static_cast<std::size_t>(ncases)]);
    order = order_big.get();
  }
  std::uint16_t* pollorder = order;
  std::uint16_t* lockorder = order + ncases;

  // Generate the permuted order, omitting nil channels.
  int norder = 0;
  for (int i = 0; i < ncases; i++) {
    if (cases[i].c == nullptr) continue;
    if (GMPKIT_PLANTED_BUG(select_no_shuffle)) {
      pollorder[norder++] = static_cast<std::uint16_t>(i);  // source order
      continue;
    }
    std::uint32_t j = fastrandn(static_cast<std::uint32_t>(norder + 1));
    pollorder[norder] = pollorder[j];
    pollorder[j] = static_cast<std::uint16_t>(i);
    norder++;
  }
  if (norder == 0) {
    // Only nil channels: never ready. (No cases at all is block_forever.)
    if (!block) return -1;
    if (ncases == 0) block_forever();
    if (core::getg() == nullptr) throw usage_error("gmpkit: blocking select outside a goroutine");
    core::gopark(nullptr, nullptr, core::WaitReason::select);
    core::fatal("select on nil channels: goroutine resumed");
  }
  if (GMPKIT_PLANTED_BUG(select_lockorder_unsorted)) {
    for (int i = 0; i < norder; i++) lockorder[i] = pollorder[i];  // poll order, not address order
  } else {
    sort_lockorder(cases, pollorder, lockorder, norder);
  }
  SelectFrame frame{cases, lockorder, norder};

  sellock(frame);

  // Pass 1: look for something already waiting.
  for (int k = 0; k < norder; k++) {
    int casi = pollorder[k];
    scase* cas = &cases[casi];
    hchan* c = cas->c;
    if (!cas->send) {
      if (Sudog* sg = c->sendq.dequeue()) {
        // Receive from a sleeping sender.
        recv(c, sg, cas->elem, selunlock_thunk, &frame);
        *recvOK = true;
        return casi;
      }
      std::size_t q = c->qcount.load(rt::relaxed);  // relaxed: under c.lock
      if (q > 0) {
        // Receive from the buffer.
        void* qp = c->chanbuf(c->recvx);
        if (cas->elem != nullptr)
          elem_take(c, cas->elem, qp);
        else
          elem_destroy(c, qp);
        if (++c->recvx == c->dataqsiz) c->recvx = 0;
        c->qcount.store(q - 1, rt::relaxed);  // relaxed: lock-free readers take a snapshot
        selunlock(frame);
        *recvOK = true;
        return casi;
      }
      if (c->closed.load(rt::relaxed) != 0) {  // relaxed: under c.lock
        // Read at the end of a closed channel.
        selunlock(frame);
        return casi;
      }
    } else {
      if (c->closed.load(rt::relaxed) != 0) {  // relaxed: under c.lock
        selunlock(frame);
        throw chan_error("send on closed channel");
      }
      if (Sudog* sg = c->recvq.dequeue()) {
        // Send to a sleeping receiver.
        send(c, sg, cas->elem, selunlock_thunk, &frame);
        return casi;
      }
      std::size_t q = c->qcount.load(rt::relaxed);  // relaxed: under c.lock
      if (q < c->dataqsiz) {
        // Send into the buffer.
        elem_move(c, c->chanbuf(c->sendx), cas->elem);
        if (++c->sendx == c->dataqsiz) c->sendx = 0;
        c->qcount.store(q + 1, rt::relaxed);  // relaxed: as above
        selunlock(frame);
        return casi;
      }
    }
  }

  if (!block) {
    selunlock(frame);
    return -1;
  }

  // Pass 2: enqueue on all channels, one sudog per case, in lock order.
  G* gp = core::getg();
  if (gp == nullptr) {
    selunlock(frame);
    throw usage_error("gmpkit: blocking select outside a goroutine");
  }
  Sudog sg_small[kSmall];
  std::unique_ptr<Sudog[]> sg_big;
  Sudog* sgs = sg_small;
  if (norder > kSmall) {
    sg_big.reset(new Sudog[static_cast<std::size_t>(norder)]);
    sgs = sg_big.get();
  }
  WaitState ws;
  for (int k = 0; k < norder; k++) {
    scase* cas = &cases[lockorder[k]];
    Sudog* sg = &sgs[k];
    sg->g = gp;
    sg->isSelect = true;
    sg->elem = cas->elem;
    sg->c = cas->c;
    sg->ws = &ws;
    if (cas->send)
      cas->c->sendq.enqueue(sg);
    else
      cas->c->recvq.enqueue(sg);
    chanretain(cas->c);  // each case keeps its channel alive while we wait
  }

  // Pass 3 (also run when unwound): dequeue from the unsuccessful channels,
  // otherwise they stack up on quiet ones. Returns the winning case.
  auto pass3 = [&]() -> int {
    int casi = -1;
    for (int k = 0; k < norder; k++) {
      scase* cas = &cases[lockorder[k]];
      if (&sgs[k] == ws.param) {
        casi = lockorder[k];  // already dequeued by the goroutine that woke us
      } else if (cas->send) {
        cas->c->sendq.dequeueSudoG(&sgs[k]);
      } else {
        cas->c->recvq.dequeueSudoG(&sgs[k]);
      }
    }
    return casi;
  };
  auto release_all = [&] {
    for (int k = 0; k < norder; k++) chanrelease(cases[lockorder[k]].c);
  };

  try {
    core::gopark(selparkcommit, &frame, core::WaitReason::select);
  } catch (const forced_unwind&) {
    sellock(frame);
    int casi = pass3();
    Sudog* won = ws.param;
    // A value handed to us before we could take it.
    if (casi >= 0 && !cases[casi].send && won->success && cases[casi].elem != nullptr)
      elem_destroy(cases[casi].c, cases[casi].elem);
    selunlock(frame);
    release_all();
    throw;
  }

  sellock(frame);
  Sudog* won = ws.param;
  int casi = pass3();
  if (casi < 0 || won == nullptr) core::throw_g("selectgo: bad wakeup", gp);
  bool caseSuccess = won->success;
  selunlock(frame);
  release_all();
  if (cases[casi].send) {
    if (!caseSuccess) throw chan_error("send on closed channel");
  } else {
    *recvOK = caseSuccess;
  }
  return casi;
}

}  // namespace gmpkit::detail
