// netpoll/netpoll.hpp — the network poller (Go's netpoll.go and
// netpoll_epoll.go, with wakeNetPoller from proc.go). Namespace
// gmpkit::netpoll; the public side is gmpkit/netpoll.hpp (wait_readable,
// wait_writable).
//
// Owns: the epoll instance, the break eventfd, the poll descriptors
// (netpoll/fd_wait.cpp) and netpollWaiters. An M with nothing to run and a
// timer pending becomes "the poller": it takes the token sched.lastpoll (0
// while someone polls) and blocks in netpoll until the earliest timer
// (sched.pollUntil); netpollBreak interrupts it. Design in
// netpoll/netpoll.cpp and netpoll/fd_wait.cpp.
// Invariants: at most one M blocks in netpoll (the lastpoll token); a poll
// descriptor's rg/wg word is 0, ready, wait or the parked G, and whoever
// swaps out a G readies it exactly once.
// Lock rules: no runtime lock is held while blocked in epoll_wait; the
// returned Gs are made runnable by the caller (core::injectglist).
#pragma once

#include <cstdint>

#include "core/g.hpp"
#include "platform/atomic.hpp"

namespace gmpkit::netpoll {

// ---- Tuning ----
// Events read per epoll_wait (Go's netpoll: var events [128]epollevent).
inline constexpr int kMaxEvents = 128;

bool netpollinited() noexcept;
void netpollinit();
void netpollclose();
core::GQueue netpoll(std::int64_t delay_ns);  // delay < 0: block; 0: poll
void netpollBreak();
// A timer at `when` was added: interrupt the poller if it sleeps past it,
// or with no poller start an M (which will become one).
void wakeNetPoller(std::int64_t when);
// Gs parked in wait_readable/wait_writable (Go's netpollWaiters).
extern rt::Atomic<std::uint32_t> netpollWaiters;
// netpoll.cpp -> fd_wait.cpp: an fd registered with data `pd` is ready
// for mode 'r', 'w' or 'r'+'w'; adds the woken Gs to *toRun.
void netpollready(core::GQueue* toRun, void* pd, int mode);
// fd_wait.cpp: register fd's poll descriptor (EPOLLET, in+out) for a wait.
bool netpollopen(int fd, void* pd);
void netpoll_free_descs();
// fd_wait.cpp, debug (observe/invariants.cpp): fn(g, fd, 'r'/'w') for every
// G parked on a poll descriptor.
void netpollForEachWaiter(void (*fn)(core::G* gp, int fd, char mode, void* arg), void* arg);

}  // namespace gmpkit::netpoll
