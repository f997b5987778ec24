// sync/cond.cpp — sync.Cond (Go's sync/cond.go) over the notifyList.
#include "gmpkit/cond.hpp"
#include "core/proc.hpp"
#include "gmpkit/error.hpp"
#include "sync/notify_list.hpp"

namespace gmpkit {

void Cond::init() { notify_ = new sync::NotifyList; }

Cond::~Cond() { delete static_cast<sync::NotifyList*>(notify_); }

void Cond::wait() {
  if (core::getg() == nullptr) throw usage_error("gmpkit: Cond::wait called outside a goroutine");
  auto* l = static_cast<sync::NotifyList*>(notify_);
  std::uint32_t t = sync::notifyListAdd(l);
  unlock_(l_);
  try {
    sync::notifyListWait(l, t);
  } catch (const forced_unwind&) {
    // Shutdown. The caller's guard expects L held; an unwinding goroutine
    // must not park, so re-lock only if that cannot block.
    if (try_lock_ != nullptr) (void)try_lock_(l_);
    throw;
  }
  lock_(l_);
}

void Cond::signal() { sync::notifyListNotifyOne(static_cast<sync::NotifyList*>(notify_)); }

void Cond::broadcast() { sync::notifyListNotifyAll(static_cast<sync::NotifyList*>(notify_)); }

}  // namespace gmpkit
