// netpoll/netpoll.cpp — the poller (Go's netpoll_epoll.go + the scheduler
// glue in proc.go: wakeNetPoller).
//
// An M with nothing to run and a timer pending becomes "the poller": it
// takes the token sched.lastpoll (0 while someone polls) and blocks in
// epoll_wait until the earliest timer (sched.pollUntil). netpollBreak
// writes an eventfd to interrupt it when an earlier timer is added or the
// runtime shuts down; netpollWakeSig coalesces breaks as in Go.
//
// File-descriptor readiness (wait_readable/wait_writable, fd_wait.cpp)
// plugs into the same epoll instance, edge-triggered; the break eventfd is
// level-triggered so a break that lands before the poller blocks is never
// lost.
#include "netpoll/netpoll.hpp"

#include "core/m.hpp"
#include "core/p.hpp"
#include "core/planted_bug.hpp"
#include "core/proc.hpp"
#include "core/sched.hpp"
#include "core/schedule.hpp"
#include "platform/epoll.hpp"

namespace gmpkit::netpoll {

using namespace core;

namespace {
int g_epfd = -1;
int g_breakfd = -1;
rt::Atomic<std::uint32_t> g_wakesig{0};  // Go's netpollWakeSig
int g_breaktag;  // address used as the break fd's epoll data
}  // namespace

rt::Atomic<std::uint32_t> netpollWaiters{0};

bool netpollinited() noexcept { return g_epfd >= 0; }

bool netpollopen(int fd, void* pd) {
  // Re-arm on every wait: EPOLL_CTL_MOD re-evaluates readiness (so an edge
  // that happened before the wait is not lost) and fails with ENOENT if the
  // fd was closed and its number reused since, in which case we add it anew.
  constexpr std::uint32_t ev = rt::kPollIn | rt::kPollOut | rt::kPollRdHup | rt::kPollEt;
  return rt::epoll_mod(g_epfd, fd, ev, pd) || rt::epoll_add(g_epfd, fd, ev, pd);
}

void netpollinit() {
  g_epfd = rt::epoll_create();
  g_breakfd = rt::eventfd_create();
  if (g_epfd < 0 || g_breakfd < 0 || !rt::epoll_add(g_epfd, g_breakfd, rt::kPollIn, &g_breaktag))
    fatal("netpollinit: epoll/eventfd setup failed");
  g_wakesig.store(0, rt::relaxed);  // relaxed: no poller yet
}

void netpollclose() {
  netpoll_free_descs();
  netpollWaiters.store(0, rt::relaxed);  // relaxed: world stopped
  if (g_breakfd >= 0) rt::close_fd(g_breakfd);
  if (g_epfd >= 0) rt::close_fd(g_epfd);
  g_breakfd = g_epfd = -1;
}

void netpollBreak() {
  // Only one break in flight. acq_rel: orders with the poller's reset.
  if (!g_wakesig.cas(0, 1, rt::acq_rel)) return;
  rt::eventfd_signal(g_breakfd);
}

GQueue netpoll(std::int64_t delay_ns) {
  GQueue list;
  if (g_epfd < 0) return list;
  int waitms;
  if (delay_ns < 0)
    waitms = -1;
  else if (delay_ns == 0)
    waitms = 0;
  else if (delay_ns < 1000000)
    waitms = 1;  // sub-millisecond: round up (Go does the same)
  else if (delay_ns < 1000000LL * 1000000)
    waitms = static_cast<int>(delay_ns / 1000000);
  else
    waitms = 1000000 * 1000;  // about 11.5 days
  rt::PollEvent evs[kMaxEvents];
  int n = rt::epoll_wait(g_epfd, evs, kMaxEvents, waitms);
  for (int i = 0; i < n; i++) {
    if (evs[i].data == &g_breaktag) {
      if (delay_ns != 0 || GMPKIT_PLANTED_BUG(netpoll_nonblocking_eats_break)) {
        // Drain and re-arm only from a blocking poll (Go's rule), so a
        // non-blocking poll does not eat a break meant for the poller.
        rt::eventfd_drain(g_breakfd);
        g_wakesig.store(0, rt::release);  // release: a later break is a new event
      }
      continue;
    }
    int mode = 0;
    if (evs[i].events & (rt::kPollIn | rt::kPollRdHup | rt::kPollHup | rt::kPollErr)) mode += 'r';
    if (evs[i].events & (rt::kPollOut | rt::kPollHup | rt::kPollErr)) mode += 'w';
    if (mode != 0) netpollready(&list, evs[i].data, mode);
  }
  return list;
}

// wakeNetPoller: a timer at `when` was added; make sure somebody will wake
// for it: interrupt the poller if it sleeps past `when`, or, with no poller,
// start an M (which will become one).
void wakeNetPoller(std::int64_t when) {
  if (sched->lastpoll.load(rt::seq_cst) ==
      0) {  // seq_cst: pairs with findrunnable's token exchange
    std::int64_t pollerPollUntil = sched->pollUntil.load(rt::seq_cst);  // seq_cst: as above
    if (pollerPollUntil == 0 || pollerPollUntil > when) netpollBreak();
  } else {
    wakep();
  }
}

}  // namespace gmpkit::netpoll
