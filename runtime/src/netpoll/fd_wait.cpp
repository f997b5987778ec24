// netpoll/fd_wait.cpp — poll descriptors and the goroutine side of the
// netpoller (Go's netpoll.go: pollDesc, netpollblock, netpollunblock,
// netpollready, netpolldeadlineimpl).
//
// A PollDesc per fd number, created on first use and kept until run() ends
// (Go's pollCache never frees either). rg / wg are Go's binary semaphores:
//   0        nobody waits, no notification
//   kReady   an IO notification is pending (consumed by the next wait)
//   kWait    a goroutine is about to park (between the CAS and gopark)
//   G*       the parked goroutine
// The waiter moves 0 -> kWait, then gopark's commit CASes kWait -> G* after
// the G is parked; the poller (netpollready) or the deadline timer swaps
// the word and readies the G it finds. Whoever swaps out a G* readies it,
// exactly once.
//
// Deadlines use per-descriptor timers (rt for reads, wt for writes) armed
// with a sequence number: a timer that fires after its wait already ended
// sees a newer rseq/wseq and does nothing. The check and the unblock are one
// step under pd.lock, and so is the waiter's ending (consume the word, bump
// the sequence): otherwise a callback that passed the check just before the
// wait ended could unblock the *next* wait on the fd, which then timed out
// at once (Go's netpolldeadlineimpl holds pd.lock the same way). pd.lock is
// a leaf: nothing is taken under it; goready runs after it is released.
#include <vector>

#include "core/m.hpp"
#include "core/park.hpp"
#include "core/proc.hpp"
#include "core/sched.hpp"
#include "gmpkit/error.hpp"
#include "gmpkit/netpoll.hpp"
#include "netpoll/netpoll.hpp"
#include "platform/clock.hpp"

namespace gmpkit::netpoll {

using namespace core;

namespace {

constexpr std::uintptr_t kReady = 1;
constexpr std::uintptr_t kWait = 2;

struct PollDesc {
  int fd = -1;
  rt::Mutex lock;  // the deadline check + unblock vs the end of a wait
  rt::Atomic<std::uintptr_t> rg{0}, wg{0};
  rt::Atomic<std::uintptr_t> rseq{0}, wseq{0};
  time::Timer rt, wt;  // deadline timers
};

rt::Mutex g_pdlock;
std::vector<PollDesc*> g_pds GMPKIT_GUARDED_BY(g_pdlock);  // indexed by fd

PollDesc* pollDesc(int fd) GMPKIT_NO_TSA {
  rt::LockGuard g(g_pdlock);
  if (static_cast<std::size_t>(fd) >= g_pds.size())
    g_pds.resize(static_cast<std::size_t>(fd) + 1, nullptr);
  PollDesc*& pd = g_pds[static_cast<std::size_t>(fd)];
  if (pd == nullptr) {
    pd = new PollDesc;
    pd->fd = fd;
  }
  return pd;
}

// Go's netpollunblock: take the waiter (if any) out of *gpp. ioready sets a
// pending notification when nobody waits.
G* netpollunblock(rt::Atomic<std::uintptr_t>* gpp, bool ioready) {
  for (;;) {
    std::uintptr_t old = gpp->load(rt::acquire);  // acquire: see the waiter's G
    if (old == kReady) return nullptr;
    if (old == 0 && !ioready) return nullptr;
    std::uintptr_t nw = ioready ? kReady : 0;
    if (gpp->cas(old, nw, rt::acq_rel)) {  // acq_rel: hand-over with the waiter
      if (old == kWait) return nullptr;  // not parked yet: it will see kReady / its timeout
      return reinterpret_cast<G*>(old);
    }
  }
}

// gopark's commit: publish the parked G, unless a notification arrived in
// between (then do not park at all).
bool netpollblockcommit(G* gp, void* gpp) {
  auto* word = static_cast<rt::Atomic<std::uintptr_t>*>(gpp);
  // acq_rel: the poller that swaps us out must see a fully parked G.
  if (word->cas(kWait, reinterpret_cast<std::uintptr_t>(gp), rt::acq_rel)) {
    netpollWaiters.fetch_add(1, rt::seq_cst);  // seq_cst: findrunnable decides to poll on it
    return true;
  }
  return false;
}

// A parked waiter left through its deadline or shutdown (not through the
// poller, which returns anyway). If it was the last one while an M is
// blocked in netpoll with no timeout, that M now polls for nobody: break it,
// so it parks like any idle M and the deadlock check can see every M idle.
// Go 1.19 leaves it blocked, and a program whose goroutines then all wait
// forever is never reported (found by fuzz/sim/sim_hunt: ops programs that
// end in a deadlock ran into the step budget instead).
void waiter_left() {
  // seq_cst: as in commit; the poller token and its deadline are read after.
  if (netpollWaiters.fetch_sub(1, rt::seq_cst) == 1 && sched->lastpoll.load(rt::seq_cst) == 0 &&
      sched->pollUntil.load(rt::seq_cst) == 0)
    netpollBreak();
}

void netpolldeadline(void* arg, std::uintptr_t seq, bool read) {
  auto* pd = static_cast<PollDesc*>(arg);
  auto& cur = read ? pd->rseq : pd->wseq;
  G* gp;
  {
    rt::LockGuard g(pd->lock);
    if (cur.load(rt::acquire) != seq) return;  // acquire: the wait that armed us has ended
    gp = netpollunblock(read ? &pd->rg : &pd->wg, false);
  }
  if (gp) {
    waiter_left();
    goready(gp);
  }
}
void netpollReadDeadline(void* arg, std::uintptr_t seq) { netpolldeadline(arg, seq, true); }
void netpollWriteDeadline(void* arg, std::uintptr_t seq) { netpolldeadline(arg, seq, false); }

}  // namespace

// Debug (observe/invariants.cpp, world stopped): fn(g, fd, 'r' or 'w') for
// every G parked on a poll descriptor.
void netpollForEachWaiter(void (*fn)(G* gp, int fd, char mode, void* arg),
                          void* arg) GMPKIT_NO_TSA {
  rt::LockGuard g(g_pdlock);
  for (PollDesc* pd : g_pds) {
    if (pd == nullptr) continue;
    // acquire: see the parked G's fields (pairs with netpollblockcommit).
    if (std::uintptr_t w = pd->rg.load(rt::acquire); w > kWait)
      fn(reinterpret_cast<G*>(w), pd->fd, 'r', arg);
    if (std::uintptr_t w = pd->wg.load(rt::acquire); w > kWait)
      fn(reinterpret_cast<G*>(w), pd->fd, 'w', arg);
  }
}

namespace {

// Go's netpollblock + the deadline: true if IO is ready, false on timeout.
bool netpollwait(int fd, bool read, std::optional<std::chrono::nanoseconds> timeout) {
  G* gp = getg();
  if (gp == nullptr)
    throw usage_error(read ? "gmpkit: wait_readable() called outside a goroutine"
                           : "gmpkit: wait_writable() called outside a goroutine");
  if (fd < 0) throw usage_error("gmpkit: wait on a negative file descriptor");
  PollDesc* pd = pollDesc(fd);
  auto* gpp = read ? &pd->rg : &pd->wg;
  // Consume a pending notification, or announce that we are about to wait.
  for (;;) {
    if (gpp->cas(kReady, 0, rt::acq_rel))
      return true;  // acq_rel: consume the poller's notification
    if (gpp->cas(0, kWait, rt::acq_rel)) break;  // acq_rel: as above
    // Both CASes fail with no other waiter when the poller sets kReady
    // between them (0 -> kReady): retry. Only kWait or a G is a second
    // waiter (Go's netpollblock re-loads the word the same way).
    // relaxed: a sanity check; the CASes above do the hand-over.
    const std::uintptr_t v = gpp->load(rt::relaxed);
    if (v != kReady && v != 0)
      throw usage_error(
          "gmpkit: two goroutines waiting on the same fd and direction (runtime: double wait)");
  }
  if (!netpollopen(fd, pd)) {
    gpp->store(0, rt::release);  // release: undo our kWait
    throw usage_error("gmpkit: wait on fd " + std::to_string(fd) +
                      ": epoll_ctl failed (not pollable?)");
  }
  auto& seq = read ? pd->rseq : pd->wseq;
  std::uintptr_t myseq =
      seq.fetch_add(1, rt::acq_rel) + 1;  // acq_rel: stale timers compare against it
  time::Timer* t = read ? &pd->rt : &pd->wt;
  bool timed = timeout.has_value();
  if (timed) {
    if (timeout->count() <= 0) {
      // Already expired: only a pending notification counts.
      std::uintptr_t old = gpp->exchange(0, rt::acq_rel);  // acq_rel: as above
      return old == kReady;
    }
    t->when = rt::nanotime() + timeout->count();
    t->f = read ? netpollReadDeadline : netpollWriteDeadline;
    t->arg = pd;
    t->seq = myseq;
    time::addtimer(getm()->p, t);
  }
  try {
    gopark(netpollblockcommit, gpp, WaitReason::io_wait);
  } catch (const forced_unwind&) {
    // Shutdown: withdraw from the descriptor before unwinding.
    bool was_parked;
    {
      rt::LockGuard g(pd->lock);
      // acq_rel: as above
      was_parked = gpp->exchange(0, rt::acq_rel) == reinterpret_cast<std::uintptr_t>(gp);
      seq.fetch_add(1, rt::acq_rel);  // acq_rel: invalidate our deadline
    }
    if (was_parked) waiter_left();
    if (timed) time::deltimer(t);
    throw;
  }
  // Do not lose a notification that raced with the wake-up; end the wait
  // under pd.lock so that no deadline check in flight outlives it.
  std::uintptr_t old;
  {
    rt::LockGuard g(pd->lock);
    old = gpp->exchange(0, rt::acq_rel);  // acq_rel: as above
    seq.fetch_add(1, rt::acq_rel);  // acq_rel: a late deadline firing is now stale
  }
  if (old > kWait) fatal("netpollwait: corrupted polldesc");
  if (timed) time::deltimer(t);
  return old == kReady;
}

}  // namespace

void netpollready(GQueue* toRun, void* arg, int mode) {
  auto* pd = static_cast<PollDesc*>(arg);
  G* rg = (mode == 'r' || mode == 'r' + 'w') ? netpollunblock(&pd->rg, true) : nullptr;
  G* wg = (mode == 'w' || mode == 'r' + 'w') ? netpollunblock(&pd->wg, true) : nullptr;
  // Go 1.19 forgets to decrement netpollWaiters for these (fixed in later
  // Go); we count them out here.
  if (rg) {
    netpollWaiters.fetch_sub(1, rt::seq_cst);
    toRun->push_back(rg);
  }  // seq_cst: as in commit
  if (wg) {
    netpollWaiters.fetch_sub(1, rt::seq_cst);
    toRun->push_back(wg);
  }
}

// Frees every poll descriptor (run() end; no goroutine waits any more).
void netpoll_free_descs() GMPKIT_NO_TSA {
  rt::LockGuard g(g_pdlock);
  for (PollDesc* pd : g_pds) delete pd;
  g_pds.clear();
}

}  // namespace gmpkit::netpoll

namespace gmpkit {
bool wait_readable(int fd, std::optional<std::chrono::nanoseconds> timeout) {
  return netpoll::netpollwait(fd, true, timeout);
}
bool wait_writable(int fd, std::optional<std::chrono::nanoseconds> timeout) {
  return netpoll::netpollwait(fd, false, timeout);
}
}  // namespace gmpkit
