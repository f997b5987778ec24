// sync/notify_list.cpp — Go's notifyListAdd / notifyListWait /
// notifyListNotifyAll / notifyListNotifyOne (sema.go). See notify_list.hpp.
#include "sync/notify_list.hpp"

#include "core/park.hpp"
#include "core/planted_bug.hpp"
#include "core/proc.hpp"
#include "gmpkit/error.hpp"

namespace gmpkit::sync {

namespace {
// a < b with wrap-around (Go's less).
bool less(std::uint32_t a, std::uint32_t b) { return static_cast<std::int32_t>(a - b) < 0; }
}  // namespace

std::uint32_t notifyListAdd(NotifyList* l) {
  // seq_cst: the ticket must be ordered before the caller's unlock of L
  // and against the notifiers' loads (Go's atomic.Xadd).
  return l->wait.fetch_add(1, rt::seq_cst);
}

void notifyListWait(NotifyList* l, std::uint32_t t) GMPKIT_NO_TSA {
  l->lock.lock();
  // Return right away if this ticket has already been notified.
  // relaxed: written under l->lock, which we hold
  if (!GMPKIT_PLANTED_BUG(cond_wait_no_notified_check) && less(t, l->notify.load(rt::relaxed))) {
    l->lock.unlock();
    return;
  }
  core::G* gp = core::getg();
  if (gp == nullptr) {
    l->lock.unlock();
    throw usage_error("gmpkit: Cond::wait called outside a goroutine");
  }
  NotifyWaiter s;
  s.g = gp;
  s.ticket = t;
  if (l->tail == nullptr)
    l->head = &s;
  else
    l->tail->next = &s;
  l->tail = &s;
  try {
    core::goparkunlock(&l->lock, core::WaitReason::sync_cond_wait);
  } catch (const forced_unwind&) {
    // Shutdown: unlink our node if nobody took it.
    rt::LockGuard g(l->lock);
    for (NotifyWaiter *p = nullptr, *x = l->head; x != nullptr; p = x, x = x->next) {
      if (x != &s) continue;
      if (p)
        p->next = x->next;
      else
        l->head = x->next;
      if (l->tail == x) l->tail = p;
      break;
    }
    throw;
  }
}

void notifyListNotifyAll(NotifyList* l) GMPKIT_NO_TSA {
  // Fast path: no new waiters since the last notification. seq_cst: pairs
  // with notifyListAdd (a waiter that took a ticket is seen).
  if (l->wait.load(rt::seq_cst) == l->notify.load(rt::seq_cst)) return;
  l->lock.lock();
  NotifyWaiter* s = l->head;
  l->head = nullptr;
  l->tail = nullptr;
  // Every ticket taken so far is notified. seq_cst: as above.
  l->notify.store(l->wait.load(rt::seq_cst), rt::seq_cst);
  l->lock.unlock();
  // Ready them all. A node lives in its waiter's frame: read next before
  // the goready that lets that frame go away.
  while (s != nullptr) {
    NotifyWaiter* next = s->next;
    core::G* gp = s->g;
    s->next = nullptr;
    core::goready(gp);
    s = next;
  }
}

void notifyListNotifyOne(NotifyList* l) GMPKIT_NO_TSA {
  if (l->wait.load(rt::seq_cst) == l->notify.load(rt::seq_cst)) return;  // seq_cst: as NotifyAll
  l->lock.lock();
  // Re-check under the lock.
  std::uint32_t t = l->notify.load(rt::relaxed);  // relaxed: written under l->lock
  if (t == l->wait.load(rt::seq_cst)) {  // seq_cst: as NotifyAll
    l->lock.unlock();
    return;
  }
  // Update the next notify ticket number.
  l->notify.store(t + 1, rt::seq_cst);  // seq_cst: as NotifyAll
  // Find the goroutine with ticket t: it may not be queued yet (it took
  // the ticket but has not parked); then it sees notify > t in
  // notifyListWait and returns at once.
  const std::uint32_t want = GMPKIT_PLANTED_BUG(cond_notify_one_wrong_ticket) ? t + 1 : t;
  for (NotifyWaiter *p = nullptr, *s = l->head; s != nullptr; p = s, s = s->next) {
    if (s->ticket != want) continue;
    NotifyWaiter* n = s->next;
    if (p)
      p->next = n;
    else
      l->head = n;
    if (n == nullptr) l->tail = p;
    core::G* gp = s->g;
    l->lock.unlock();
    s->next = nullptr;  // still parked: its frame is alive until goready
    core::goready(gp);
    return;
  }
  l->lock.unlock();
}

}  // namespace gmpkit::sync
