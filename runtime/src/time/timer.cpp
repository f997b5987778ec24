// time/timer.cpp — per-P timer heaps (see timer.hpp) and sleep_for.
#include "time/timer.hpp"

#include <limits>

#include "core/m.hpp"
#include "core/p.hpp"
#include "core/park.hpp"
#include "core/planted_bug.hpp"
#include "core/proc.hpp"
#include "gmpkit/runtime.hpp"
#include "netpoll/netpoll.hpp"
#include "platform/clock.hpp"
#include "sysmon/sysmon.hpp"

namespace gmpkit::time {

using core::P;

namespace {

// A 4-ary heap, as Go's (shallower than binary: fewer cache misses).
void siftup(std::vector<Timer*>& h, std::size_t i) {
  Timer* t = h[i];
  while (i > 0) {
    std::size_t parent = (i - 1) / 4;
    if (t->when >= h[parent]->when) break;
    h[i] = h[parent];
    h[i]->index = static_cast<std::int32_t>(i);
    i = parent;
  }
  h[i] = t;
  t->index = static_cast<std::int32_t>(i);
}

void siftdown(std::vector<Timer*>& h, std::size_t i) {
  std::size_t n = h.size();
  Timer* t = h[i];
  for (;;) {
    std::size_t c = i * 4 + 1;
    if (c >= n) break;
    std::size_t best = c;
    for (std::size_t k = c + 1; k < c + 4 && k < n; k++)
      if (h[k]->when < h[best]->when) best = k;
    if (h[best]->when >= t->when) break;
    h[i] = h[best];
    h[i]->index = static_cast<std::int32_t>(i);
    i = best;
  }
  h[i] = t;
  t->index = static_cast<std::int32_t>(i);
}

// Remove h[i]. Caller holds the lock.
void remove_at(TimerHeap& th, std::size_t i) GMPKIT_NO_TSA {
  auto& h = th.heap;
  Timer* t = h[i];
  std::size_t last = h.size() - 1;
  if (i != last) {
    h[i] = h[last];
    h[i]->index = static_cast<std::int32_t>(i);
  }
  h.pop_back();
  if (i != last) {
    Timer* moved = h[i];
    if (!GMPKIT_PLANTED_BUG(deltimer_no_siftup)) siftup(h, i);
    siftdown(h, static_cast<std::size_t>(moved->index));
  }
  t->index = -1;
  t->pp.store(nullptr, rt::release);  // release: pairs with deltimer's acquire
  th.numTimers.store(static_cast<std::uint32_t>(h.size()),
                     rt::release);  // release: pairs with checkdead/stealWork
}

void update_timer0(TimerHeap& th) GMPKIT_NO_TSA {
  // release: readers of timer0When (nobarrierWakeTime) see the heap state it summarises.
  th.timer0When.store(th.heap.empty() ? 0 : th.heap.front()->when, rt::release);
}

}  // namespace

namespace {
// Go's doaddtimer: into pp's heap, no wake-up.
void doaddtimer(P* pp, Timer* t) GMPKIT_NO_TSA {
  rt::LockGuard g(pp->timers.lock);
  t->pp.store(pp, rt::release);  // release: t's fields visible to deltimer on another M
  pp->timers.heap.push_back(t);
  siftup(pp->timers.heap, pp->timers.heap.size() - 1);
  pp->timers.numTimers.store(static_cast<std::uint32_t>(pp->timers.heap.size()),
                             rt::release);  // release: as above
  update_timer0(pp->timers);
}
}  // namespace

void addtimer(P* pp, Timer* t) {
  if (t->when <= 0) t->when = std::numeric_limits<std::int64_t>::max();
  // Read before publishing: once t is in the heap a thief may fire it and
  // its goroutine re-arm it (write when) before we get to wakeNetPoller.
  const std::int64_t when = t->when;
  doaddtimer(pp, t);
  if (!GMPKIT_PLANTED_BUG(addtimer_no_wakenetpoller)) netpoll::wakeNetPoller(when);
  sysmon::sysmon_kick_for_timer(when);
}

bool deltimer(Timer* t) GMPKIT_NO_TSA {
  for (;;) {
    P* pp = t->pp.load(rt::acquire);  // acquire: pairs with addtimer's release
    if (pp == nullptr) return false;  // fired (or firing) already
    rt::LockGuard g(pp->timers.lock);
    if (t->pp.load(rt::relaxed) != pp) continue;  // relaxed: under the lock that guards it
    remove_at(pp->timers, static_cast<std::size_t>(t->index));
    update_timer0(pp->timers);
    return true;
  }
}

std::int64_t checkTimers(P* pp, std::int64_t* now, bool* ran) GMPKIT_NO_TSA {
  *ran = false;
  std::int64_t next = pp->timers.timer0When.load(rt::acquire);  // acquire: pairs with update_timer0
  if (next == 0) return 0;
  if (*now == 0) *now = rt::nanotime();
  if (*now < next) return next;
  pp->timers.lock.lock();
  while (!pp->timers.heap.empty()) {
    Timer* t = pp->timers.heap.front();
    if (t->when > *now) break;
    auto f = t->f;
    void* arg = t->arg;
    std::uintptr_t seq = t->seq;
    remove_at(pp->timers, 0);
    update_timer0(pp->timers);
    // From here on t belongs to whoever armed it; f may re-arm it.
    pp->timers.lock.unlock();
    f(arg, seq);
    *ran = true;
    pp->timers.lock.lock();
  }
  update_timer0(pp->timers);
  next = pp->timers.heap.empty() ? 0 : pp->timers.heap.front()->when;
  pp->timers.lock.unlock();
  return next;
}

void moveTimers(P* to, P* from) GMPKIT_NO_TSA {
  std::vector<Timer*> moved;
  {
    rt::LockGuard g(from->timers.lock);
    moved.swap(from->timers.heap);
    for (Timer* t : moved) t->pp.store(nullptr, rt::relaxed);  // relaxed: world stopped
    from->timers.numTimers.store(0, rt::release);  // release: as in remove_at
    update_timer0(from->timers);
  }
  // No wake-up from here: procresize holds sched.lock, and startTheWorld
  // wakes Ms for the Ps afterwards.
  for (Timer* t : moved) doaddtimer(to, t);
}

}  // namespace gmpkit::time

namespace gmpkit {

namespace {
void goroutine_ready(void* arg, std::uintptr_t) { core::goready(static_cast<core::G*>(arg)); }
// gopark's unlock function for sleep: arm the timer only once the G is
// parked, so it cannot fire before the G is waiting (Go's resetForSleep).
bool arm_sleep_timer(core::G* gp, void*) {
  time::addtimer(core::getm()->p, &gp->timer);
  return true;
}
}  // namespace

void sleep_for(std::chrono::nanoseconds d) {
  core::G* gp = core::getg();
  if (gp == nullptr) throw usage_error("gmpkit: sleep_for() called outside a goroutine");
  if (d.count() <= 0) return;
  if (gp->unwinding) return;
  std::int64_t now = rt::nanotime();
  // Clamp before adding: now + d may overflow (sleep "forever").
  std::int64_t when = d.count() > std::numeric_limits<std::int64_t>::max() - now
                          ? std::numeric_limits<std::int64_t>::max()
                          : now + d.count();
  gp->timer.when = when;
  gp->timer.f = goroutine_ready;
  gp->timer.arg = gp;
  try {
    core::gopark(arm_sleep_timer, nullptr, core::WaitReason::sleep);
  } catch (const forced_unwind&) {
    time::deltimer(&gp->timer);
    throw;
  }
}

}  // namespace gmpkit
