// sync/waitgroup.cpp — sync.WaitGroup (Go 1.19's waitgroup.go): a 64-bit
// state word (counter << 32 | waiters) and a runtime semaphore.
#include "gmpkit/waitgroup.hpp"
#include "core/planted_bug.hpp"
#include "core/proc.hpp"
#include "gmpkit/error.hpp"
#include "sync/sema.hpp"

namespace gmpkit {

void WaitGroup::add(int delta) {
  rt::AtomicRef<std::uint64_t> state(state_);
  // seq_cst: Go's atomic.AddUint64; orders the counter against Wait's CAS.
  std::uint64_t s =
      state.fetch_add(static_cast<std::uint64_t>(static_cast<std::int64_t>(delta)) << 32,
                      rt::seq_cst) +
      (static_cast<std::uint64_t>(static_cast<std::int64_t>(delta)) << 32);
  auto v = static_cast<std::int32_t>(s >> 32);
  auto w = static_cast<std::uint32_t>(s);
  if (v < 0) {
    // Undo, so a caller that catches this still has a usable WaitGroup.
    state.fetch_add(static_cast<std::uint64_t>(-static_cast<std::int64_t>(delta)) << 32,
                    rt::seq_cst);
    throw usage_error("sync: negative WaitGroup counter");
  }
  if (w != 0 && delta > 0 && v == delta)
    throw usage_error("sync: WaitGroup misuse: Add called concurrently with Wait");
  if (v > 0 || w == 0) return;
  // We set the counter to 0 with waiters present: nobody may touch the
  // state now but us.
  if (state.load(rt::seq_cst) != s)
    throw usage_error("sync: WaitGroup misuse: Add called concurrently with Wait");
  state.store(0, rt::seq_cst);  // seq_cst: reset before the waiters wake and check it
  for (; w != 0; w--) {
    sync::semrelease(&sema_, false);
    if (GMPKIT_PLANTED_BUG(waitgroup_wakes_one_waiter)) break;
  }
}

void WaitGroup::wait() {
  rt::AtomicRef<std::uint64_t> state(state_);
  for (;;) {
    std::uint64_t s = state.load(rt::seq_cst);  // seq_cst: pairs with add
    if (static_cast<std::int32_t>(s >> 32) == 0) return;
    // Check before registering as a waiter, or the rejected call would
    // leave a phantom waiter behind.
    if (core::getg() == nullptr) throw usage_error("gmpkit: blocking call outside a goroutine");
    if (state.cas(s, s + 1, rt::seq_cst)) {  // seq_cst: register as a waiter
      sync::semacquire(&sema_, core::WaitReason::sync_waitgroup_wait);
      if (state.load(rt::seq_cst) != 0)
        throw usage_error("sync: WaitGroup is reused before previous Wait has returned");
      return;
    }
  }
}

}  // namespace gmpkit
