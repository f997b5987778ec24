// sync/notify_list.hpp — the runtime's ticket-based notification list
// (Go's notifyList in sema.go), under sync.Cond.
//
// wait is the ticket of the next waiter, notify the ticket of the next one
// to be notified; both only grow (with wrap-around compared as Go's less()).
// notifyListAdd takes a ticket while the caller still holds the Cond's
// lock; notifyListWait parks unless the ticket was already notified. A
// waiter is a node in the waiting goroutine's own frame, linked into
// head/tail under lock, and unlinked by the notifier before goready (or by
// itself when unwound at shutdown).
#pragma once

#include <cstdint>

#include "core/g.hpp"
#include "platform/annotations.hpp"
#include "platform/atomic.hpp"
#include "platform/mutex.hpp"

namespace gmpkit::sync {

struct NotifyWaiter {
  core::G* g = nullptr;
  std::uint32_t ticket = 0;
  NotifyWaiter* next = nullptr;
};

struct NotifyList {
  rt::Atomic<std::uint32_t> wait{0};  // ticket of the next waiter
  rt::Atomic<std::uint32_t> notify{0};  // ticket of the next waiter to notify (written under lock)
  rt::Mutex lock;
  NotifyWaiter* head GMPKIT_GUARDED_BY(lock) = nullptr;
  NotifyWaiter* tail GMPKIT_GUARDED_BY(lock) = nullptr;
};

std::uint32_t notifyListAdd(NotifyList* l);
void notifyListWait(NotifyList* l, std::uint32_t t);
void notifyListNotifyAll(NotifyList* l);
void notifyListNotifyOne(NotifyList* l);

}  // namespace gmpkit::sync
