// observe/invariant_verifier.cpp — Config::verify_every: run the invariant
// checker periodically (GMPKIT_CHECKED builds only).
//
// Stopping the world needs a goroutine, and sysmon has none (nor a P). So
// the main goroutine, before user code, starts one runtime-owned "verifier"
// goroutine. It parks with no timer (wait reason "debug call") and sysmon
// readies it once verify_every has passed since the last check; it then
// calls verify_invariants() (abort mode) and parks again.
//
// Why not sleep_for: a pending timer tells checkdead that some goroutine
// may still wake up, so a sleeping verifier would hide every deadlock. A
// parked verifier with no timer is invisible to checkdead: when every user
// goroutine blocks, the last M to go idle reports the deadlock as usual.
// It is a system goroutine (Go's isSystemGoroutine): num_goroutine() does
// not count it; dumps and debug::goroutines() do show it.
//
// Handshake (like netpoll's rg/wg word): the park commit publishes the G in
// g_parked only once it is parked; sysmon exchanges it out and readies it,
// so each park is readied exactly once. At shutdown sysmon is stopped
// before parked goroutines are unwound; the verifier's forced_unwind ends
// its loop.
#include "core/park.hpp"
#include "core/proc.hpp"
#include "core/sched.hpp"
#include "gmpkit/debug.hpp"
#include "gmpkit/runtime.hpp"
#include "observe/invariants.hpp"
#include "platform/clock.hpp"

namespace gmpkit::observe {

using namespace core;

namespace {

rt::Atomic<G*> g_parked{nullptr};  // the parked verifier, or nullptr
rt::Atomic<const G*> g_verifier{nullptr};  // the verifier while it lives
rt::Atomic<std::int64_t> g_next_due{0};  // nanotime of the next check (0: no verifier)
rt::Atomic<std::int64_t> g_nsystem{0};  // live system goroutines
std::int64_t g_period_ns = 0;  // written before the verifier exists

bool publish_parked(G* gp, void*) {
  g_parked.store(gp, rt::release);  // release: sysmon's goready sees a parked G
  return true;
}

void verifier_loop() {
  struct Exit {
    ~Exit() {
      g_next_due.store(0, rt::relaxed);  // relaxed: sysmon only stops readying us
      g_parked.store(nullptr, rt::relaxed);  // relaxed: sysmon is stopped or sees next_due == 0
      g_verifier.store(nullptr, rt::relaxed);  // relaxed: the checker runs in a stopped world
      g_nsystem.fetch_sub(1, rt::relaxed);  // relaxed: a count summed racily, as gcount
    }
  } exit;
  for (;;) {
    gopark(publish_parked, nullptr, WaitReason::debug_call);  // throws forced_unwind at shutdown
    if (sched->exiting.load(rt::acquire)) return;  // acquire: pairs with begin_shutdown
    debug::verify_invariants();
    g_next_due.store(rt::nanotime() + g_period_ns, rt::relaxed);  // relaxed: sysmon polls it
  }
}

}  // namespace

void verifier_start() {
  // A new run: forget a verifier of the previous one that never started.
  g_next_due.store(0, rt::relaxed);  // relaxed: sysmon of this run starts later
  g_parked.store(nullptr, rt::relaxed);  // relaxed: as above
  g_verifier.store(nullptr, rt::relaxed);
  g_nsystem.store(0, rt::relaxed);
#if GMPKIT_CHECKED
  const auto every = sched->cfg.verify_every;
  if (every.count() <= 0) return;
  g_period_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(every).count();
  g_nsystem.fetch_add(1, rt::relaxed);  // relaxed: as above
  gmpkit::go([] {
    g_verifier.store(getg(), rt::relaxed);  // relaxed: read with the world stopped
    verifier_loop();
  });
  g_next_due.store(rt::nanotime() + g_period_ns, rt::relaxed);  // relaxed: sysmon polls it
#endif
}

void verifier_tick(std::int64_t now) {
  const std::int64_t due =
      g_next_due.load(rt::relaxed);  // relaxed: a poll; the handshake is g_parked
  if (due == 0 || now < due) return;
  if (G* gp = g_parked.exchange(nullptr, rt::acq_rel)) {  // acq_rel: exactly one readier per park
    g_next_due.store(now + g_period_ns,
                     rt::relaxed);  // relaxed: the verifier re-arms it after its check
    goready(gp);
  }
}

std::int64_t system_goroutines() noexcept {
  return g_nsystem.load(rt::relaxed);
}  // relaxed: a racy count

const G* verifier_g() noexcept { return g_verifier.load(rt::relaxed); }  // relaxed: world stopped

}  // namespace gmpkit::observe
