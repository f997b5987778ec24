// sync/rwmutex.cpp — sync.RWMutex (Go 1.19's sync/rwmutex.go).
//
// readerCount_ counts readers holding or wanting the lock; a writer
// subtracts rwmutexMaxReaders, so a negative count tells arriving readers
// to wait on readerSem_. readerWait_ is how many of the readers that were
// inside when the writer arrived have yet to leave; the last one releases
// writerSem_. Writers are serialised by w_.
#include "gmpkit/rwmutex.hpp"
#include "core/planted_bug.hpp"
#include "gmpkit/error.hpp"
#include "platform/atomic.hpp"
#include "sync/sema.hpp"

namespace gmpkit {

namespace {
constexpr std::int32_t rwmutexMaxReaders = 1 << 30;
}  // namespace

void RWMutex::rlock() {
  // acq_rel: a reader acquires the last writer's critical section.
  if (rt::AtomicRef<std::int32_t>(readerCount_).fetch_add(1, rt::acq_rel) + 1 < 0 &&
      !(GMPKIT_PLANTED_BUG(rwmutex_rlock_ignores_pending_writer) &&
        rt::AtomicRef<std::int32_t>(readerWait_).load(rt::acquire) > 0)) {  // acquire: a hint
    // A writer is pending, wait for it.
    sync::semacquire(&readerSem_, core::WaitReason::sync_rwmutex_rlock, false);
  }
}

bool RWMutex::try_rlock() {
  rt::AtomicRef<std::int32_t> rc(readerCount_);
  for (;;) {
    std::int32_t c = rc.load(rt::relaxed);  // relaxed: validated by the CAS
    if (c < 0) return false;
    if (rc.cas(c, c + 1, rt::acq_rel)) return true;  // acq_rel: as rlock()
  }
}

void RWMutex::runlock() {
  // acq_rel: a departing reader's reads happen before the writer's section.
  std::int32_t r = rt::AtomicRef<std::int32_t>(readerCount_).fetch_add(-1, rt::acq_rel) - 1;
  if (r < 0) rUnlockSlow(r);  // outlined slow path
}

void RWMutex::rUnlockSlow(std::int32_t r) {
  if (r + 1 == 0 || r + 1 == -rwmutexMaxReaders) {
    rt::AtomicRef<std::int32_t>(readerCount_)
        .fetch_add(1, rt::acq_rel);  // acq_rel: undo, as it was
    throw usage_error("sync: RUnlock of unlocked RWMutex");
  }
  // A writer is pending. The last departing reader unblocks it.
  if (rt::AtomicRef<std::int32_t>(readerWait_).fetch_add(-1, rt::acq_rel) - 1 ==
      0)  // acq_rel: as runlock()
    sync::semrelease(&writerSem_, false);
}

void RWMutex::lock() {
  // First, resolve competition with other writers.
  w_.lock();
  // Announce to readers there is a pending writer. acq_rel: see runlock().
  std::int32_t r =
      rt::AtomicRef<std::int32_t>(readerCount_).fetch_add(-rwmutexMaxReaders, rt::acq_rel) -
      rwmutexMaxReaders + rwmutexMaxReaders;
  // Wait for active readers.
  if (r != 0 && rt::AtomicRef<std::int32_t>(readerWait_).fetch_add(r, rt::acq_rel) + r !=
                    0)  // acq_rel: as above
    sync::semacquire(&writerSem_, core::WaitReason::sync_rwmutex_lock, false);
}

bool RWMutex::try_lock() {
  if (!w_.try_lock()) return false;
  if (!rt::AtomicRef<std::int32_t>(readerCount_)
           .cas(0, -rwmutexMaxReaders, rt::acq_rel)) {  // acq_rel: as lock()
    w_.unlock();
    return false;
  }
  return true;
}

void RWMutex::unlock() {
  // Announce to readers there is no active writer. acq_rel: readers
  // acquire our critical section.
  std::int32_t r =
      rt::AtomicRef<std::int32_t>(readerCount_).fetch_add(rwmutexMaxReaders, rt::acq_rel) +
      rwmutexMaxReaders;
  if (r >= rwmutexMaxReaders) {
    rt::AtomicRef<std::int32_t>(readerCount_)
        .fetch_add(-rwmutexMaxReaders, rt::acq_rel);  // acq_rel: undo
    throw usage_error("sync: Unlock of unlocked RWMutex");
  }
  // Unblock blocked readers, if any.
  for (std::int32_t i = 0; i < r; i++) sync::semrelease(&readerSem_, false);
  // Allow other writers to proceed.
  w_.unlock();
}

}  // namespace gmpkit
