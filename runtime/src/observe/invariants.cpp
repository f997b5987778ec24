// observe/invariants.cpp — gmpkit::debug::verify_invariants: stop the
// world and check the whole scheduler against docs/ARCHITECTURE.md §4.
//
// What it owns: nothing; it reads every scheduler structure with the world
// stopped. With every P in gcstop only the caller runs Go code; the other
// threads that can still touch scheduler state are Ms leaving a syscall
// (exitsyscall0: status syscall -> runnable, then onto the global runq
// under sched.lock) and sysmon's netpoll injection (statuses first, then the
// global runq). Both publish the Gs they have made runnable and not yet
// queued in M::readying before the first status change and clear it under
// sched.lock once the Gs are queued, so such a G is accounted to its M
// exactly, however long the M is descheduled in between (a status read as
// runnable implies the M's readying is visible: release before the CAS,
// acquire of the status here). The check runs with sched.lock (then
// gFree.lock, then allglock, the lock order) held and is repeated a few
// times, a few hundred microseconds apart, before a violation is believed:
// what a few-instruction step (dropg's two stores) leaves is settled then.
//
// Where every G is (§4.1-5), found by walking the structures:
//   * each P's ring [head, tail) and runnext, the global runq;
//   * each M's curg;
//   * sema roots (sync/sema.cpp: every G parked in semacquire — Mutex,
//     RWMutex, WaitGroup, worldsema), poll descriptors (netpoll/fd_wait.cpp:
//     the G in rg/wg), per-P timer heaps (a G's own timer: sleep_for);
//   * the per-P and global free lists.
// Not enumerable, so checked only negatively (the G is on none of the above
// and has no M): Gs parked on channels and in select (sudogs live on the
// waiting G's stack and channels are not registered anywhere), on
// sync::Cond's notify lists, nil-channel / empty-select parks, and the
// verify_every goroutine's own park.
// Counts: live Gs == num_goroutine() (+ system goroutines); nmspinning ==
// spinning Ms; npidle == length of the idle list == set bits of idlepMask;
// nmidle == length of midle; runq and free-list sizes; sema root nwait.
// Links: P.m / M.p symmetric, curg / G.m symmetric, lockedg / lockedm
// symmetric, a locked M runs only its G, a running G's M holds a P, a
// syscall G's M holds none, every live P in gcstop (the world is stopped)
// and only the caller's P attached to an M, Ps past gomaxprocs dead.
// Every violation names its kind first (InvariantReport::has).
#include "observe/invariants.hpp"

#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "core/m.hpp"
#include "core/p.hpp"
#include "core/proc.hpp"
#include "core/sched.hpp"
#include "gmpkit/error.hpp"
#include "gmpkit/runtime.hpp"
#include "gmpkit/stw.hpp"
#include "netpoll/netpoll.hpp"
#include "platform/clock.hpp"
#include "platform/futex.hpp"
#include "platform/signal.hpp"
#include "sync/sema.hpp"

#if GMPKIT_TSAN
// TSan's dynamic annotations (libtsan): the checker's reads of M fields that
// an M leaving a syscall writes without sched.lock (curg, p, blocked) and of
// the G transition rings are deliberate racy reads, validated by the retry.
extern "C" void AnnotateIgnoreReadsBegin(const char* file, int line);
extern "C" void AnnotateIgnoreReadsEnd(const char* file, int line);
#endif

namespace gmpkit::observe {

using namespace core;

namespace {

// Completed checks (relaxed: a statistic).
rt::Atomic<std::int64_t> g_nchecks{0};

constexpr int kAttempts = 4;  // a violation must survive this many looks
constexpr std::int64_t kAttemptGapNs = 300 * 1000;  // apart by this much

// Where one G was found.
struct Loc {
  int runq = 0, curg = 0, sema = 0, pd = 0, timer = 0, freel = 0;
  const M* curg_of = nullptr;  // the M whose curg it is (the last one found)
  std::string where;
  void add(int& counter, const std::string& w) {
    counter++;
    if (!where.empty()) where += ", ";
    where += w;
  }
  int waits() const { return sema + pd + timer; }
};

std::string gname(const G* gp) { return "G" + std::to_string(gp->goid); }
std::string pname(const P* pp) { return pp ? "p" + std::to_string(pp->id) : std::string("nil"); }
std::string mname(const M* mp) { return mp ? "m" + std::to_string(mp->id) : std::string("nil"); }

bool sema_reason(WaitReason r) {
  switch (r) {
    case WaitReason::semacquire:
    case WaitReason::sync_mutex_lock:
    case WaitReason::sync_rwmutex_rlock:
    case WaitReason::sync_rwmutex_lock:
    case WaitReason::sync_waitgroup_wait:
    case WaitReason::stopping_the_world:
    case WaitReason::gomaxprocs:
      return true;
    default:
      return false;
  }
}

struct SemaEntry {
  G* gp;
  std::size_t root;
  std::uint32_t nwait;
};
struct PdEntry {
  G* gp;
  int fd;
  char mode;
};
struct TimerEntry {
  const time::Timer* t;
  P* pp;
  std::size_t index;
};

class Checker {
 public:
  Checker(M* self, bool describe_always) : self_(self), describe_always_(describe_always) {}

  debug::InvariantReport run() {
    gather_unlocked();
    check_locked();
    debug::InvariantReport r;
    r.violations = std::move(v_);
    r.state = std::move(state_);
    return r;
  }

 private:
  void bad(const char* kind, const std::string& msg) {
    v_.push_back(std::string(kind) + ": " + msg);
  }

  // Phase 1: the structures with their own leaf locks, before sched.lock
  // (a sema root lock is held across goready elsewhere, so it never nests
  // inside sched.lock here).
  void gather_unlocked() GMPKIT_NO_TSA {
    sync::semaForEachWaiter(
        [](G* gp, std::size_t root, std::uint32_t nwait, void* arg) {
          static_cast<Checker*>(arg)->sema_.push_back({gp, root, nwait});
        },
        this);
    netpoll::netpollForEachWaiter(
        [](G* gp, int fd, char mode, void* arg) {
          static_cast<Checker*>(arg)->pd_.push_back({gp, fd, mode});
        },
        this);
    const std::int32_t nalloc = sched->allp.allocated();
    const std::size_t live = sched->allp.size();
    for (std::int32_t i = 0; i < nalloc; i++) {
      P* pp = sched->allp.slot(i);
      rt::LockGuard g(pp->timers.lock);
      const auto& h = pp->timers.heap;
      if (static_cast<std::size_t>(i) >= live && !h.empty())
        bad("timer_heap", pname(pp) + " is dead but has " + std::to_string(h.size()) + " timers");
      // relaxed: under the timers lock, which every writer holds.
      if (pp->timers.numTimers.load(rt::relaxed) != h.size())
        bad("timer_heap",
            pname(pp) + ".numTimers=" + std::to_string(pp->timers.numTimers.load(rt::relaxed)) +
                " but the heap holds " + std::to_string(h.size()));
      const std::int64_t t0 = pp->timers.timer0When.load(rt::relaxed);  // relaxed: as above
      if (t0 != (h.empty() ? 0 : h[0]->when))
        bad("timer_heap",
            pname(pp) + ".timer0When=" + std::to_string(t0) + " is not the top's when");
      for (std::size_t k = 0; k < h.size(); k++) {
        const time::Timer* t = h[k];
        if (t->pp.load(rt::relaxed) != pp ||
            t->index != static_cast<std::int32_t>(k))  // relaxed: under the lock
          bad("timer_heap", pname(pp) + ".timers[" + std::to_string(k) +
                                "] has pp=" + pname(t->pp.load(rt::relaxed)) +
                                " index=" + std::to_string(t->index));
        if (k > 0 && h[(k - 1) / 4]->when > t->when)
          bad("timer_heap",
              pname(pp) + ".timers[" + std::to_string(k) + "] is earlier than its parent");
        timers_.push_back({t, pp, k});
      }
    }
  }

  // Phase 2: everything under sched.lock.
  void check_locked() GMPKIT_NO_TSA {
    rt::LockGuard g1(sched->lock);
    rt::LockGuard g2(sched->gFree.lock);
    rt::LockGuard g3(sched->allglock);
    for (G* gp : sched->allgs) {
      known_.insert(gp);
      own_timer_[&gp->timer] = gp;
    }
    const std::size_t limit =
        sched->allgs.size() + 1;  // bounds every list walk (a cycle is a violation)
    limit_ = limit;
    check_ps(limit);
    check_global(limit);
    check_ms();
    check_waits();
    check_gs();
    if (describe_always_ || !v_.empty()) describe();  // abort mode: only for a report that needs it
  }

  // Whether gp is on mp's readying chain: made runnable by mp, which has
  // not queued it yet (exitsyscall0, injectglist without a P). The chain
  // is cleared only under sched.lock, which we hold.
  static bool readying_on(const M* mp, const G* gp, std::size_t limit) GMPKIT_NO_TSA {
    std::size_t n = 0;
    // acquire: pairs with the M's release store, made before the status CAS.
    for (const G* r = mp->readying.load(rt::acquire); r && n <= limit; r = r->schedlink, n++)
      if (r == gp) return true;
    return false;
  }
  const M* readying_m(const G* gp) const {
    for (const M* mp : ms_)
      if (readying_on(mp, gp, limit_)) return mp;
    return nullptr;
  }

  Loc* loc_of(G* gp, const std::string& where) {
    if (gp == nullptr) return nullptr;
    if (!known_.count(gp)) {
      bad("unknown_g", where + " holds a G that is not in allgs");
      return nullptr;
    }
    return &locs_[gp];
  }

  void check_ps(std::size_t limit) GMPKIT_NO_TSA {
    const std::int32_t nalloc = sched->allp.allocated();
    const std::int32_t live = static_cast<std::int32_t>(sched->allp.size());
    // relaxed: changed only by procresize, with the world stopped (by us).
    if (sched->gomaxprocs.load(rt::relaxed) != live)
      bad("gomaxprocs", "gomaxprocs=" + std::to_string(sched->gomaxprocs.load(rt::relaxed)) +
                            " but allp has " + std::to_string(live) + " live Ps");
    // The idle list.
    std::unordered_set<const P*> onidle;
    std::int32_t nidle = 0;
    for (P* pp = sched->pidle; pp; pp = pp->link) {
      if (++nidle > nalloc) {
        bad("idle_list", "the idle-P list has a cycle");
        break;
      }
      onidle.insert(pp);
      if (pp->id >= live) bad("idle_list", pname(pp) + " is on the idle list but dead");
      if (pp->pstatus() != PStatus::idle)
        bad("idle_list", pname(pp) + " is on the idle list but " + pstatus_name(pp->pstatus()));
    }
    // seq_cst: matches the writers; the value is stable under sched.lock.
    if (sched->npidle.load(rt::seq_cst) != nidle)
      bad("npidle", "npidle=" + std::to_string(sched->npidle.load(rt::seq_cst)) +
                        " but the idle list has " + std::to_string(nidle) + " Ps");
    for (std::int32_t i = 0; i < nalloc; i++) {
      P* pp = sched->allp.slot(i);
      const PStatus st = pp->pstatus();
      // seq_cst: as the writers (pidleput/pidleget), under sched.lock.
      const bool bit = (sched->idlepMask[i / 32].load(rt::seq_cst) >> (i % 32)) & 1u;
      if (bit != (onidle.count(pp) != 0))
        bad("idle_list", pname(pp) + (bit ? " has its idlepMask bit set but is not on the idle list"
                                          : " is on the idle list without its idlepMask bit"));
      if (pp->id != i)
        bad("p_m_link", "allp[" + std::to_string(i) + "] has id " + std::to_string(pp->id));
      if (i >= live) {
        if (st != PStatus::dead)
          bad("p_dead", pname(pp) + " is past gomaxprocs but " + pstatus_name(st));
        if (!pp->runq.empty()) bad("p_dead", pname(pp) + " is dead with a non-empty run queue");
        continue;
      }
      // The world is stopped: every live P in gcstop, only ours attached.
      if (st != PStatus::gcstop)
        bad("gcstop", "the world is stopped but " + pname(pp) + " is " + pstatus_name(st));
      if (pp == self_->p) {
        if (pp->m != self_)
          bad("p_m_link", pname(pp) + ".m=" + mname(pp->m) + " but " + mname(self_) + " holds it");
      } else if (pp->m != nullptr) {
        bad("p_m_link", pname(pp) + " is stopped but attached to " + mname(pp->m));
      }
      if (st == PStatus::running && (pp->m == nullptr || pp->m->p != pp))
        bad("p_m_link",
            pname(pp) + " is running but its M (" + mname(pp->m) + ") does not point back");
      check_runq(pp);
      // The free list.
      std::int32_t n = 0;
      for (G* gp = pp->gFree.head; gp; gp = gp->schedlink) {
        if (static_cast<std::size_t>(++n) > limit) {
          bad("free_list", pname(pp) + ".gFree has a cycle");
          break;
        }
        if (Loc* l = loc_of(gp, pname(pp) + ".gFree")) l->add(l->freel, pname(pp) + ".gFree");
      }
      if (n != pp->gFreeCount)
        bad("free_list", pname(pp) + ".gFreeCount=" + std::to_string(pp->gFreeCount) +
                             " but its list holds " + std::to_string(n));
    }
  }

  void check_runq(P* pp) {
    LocalRunQueue& q = pp->runq;
    const std::uint32_t h =
        InvariantsAccess::head(q).load(rt::acquire);  // acquire: as LocalRunQueue::head()
    const std::uint32_t t =
        InvariantsAccess::tail(q).load(rt::acquire);  // acquire: as LocalRunQueue::tail()
    // head <= tail <= head + 256, in mod-2^32 arithmetic.
    if (t - h > LocalRunQueue::kSize) {
      bad("runq_bounds",
          pname(pp) + ".runq head=" + std::to_string(h) + " tail=" + std::to_string(t) +
              " (tail - head = " + std::to_string(static_cast<std::int32_t>(t - h)) + ")");
    } else {
      for (std::uint32_t i = h; i != t; i++) {
        G* gp =
            InvariantsAccess::slot(q, i).load(rt::relaxed);  // relaxed: world stopped, no producer
        const std::string w = pname(pp) + ".runq[" + std::to_string(i % LocalRunQueue::kSize) + "]";
        if (gp == nullptr) bad("runq_bounds", w + " is empty inside [head, tail)");
        if (Loc* l = loc_of(gp, w)) l->add(l->runq, w);
      }
    }
    if (G* gp = InvariantsAccess::runnext(q).load(rt::acquire))  // acquire: as runnext_peek()
      if (Loc* l = loc_of(gp, pname(pp) + ".runnext")) l->add(l->runq, pname(pp) + ".runnext");
  }

  void check_global(std::size_t limit) GMPKIT_NO_TSA {
    std::int32_t n = 0;
    GQueue& q = InvariantsAccess::list(sched->runq);
    G* last = nullptr;
    for (G* gp = q.head; gp; gp = gp->schedlink) {
      if (static_cast<std::size_t>(++n) > limit) {
        bad("runq_duplicate", "the global runq has a cycle (a G is in it twice)");
        break;
      }
      last = gp;
      if (Loc* l = loc_of(gp, "the global runq")) l->add(l->runq, "the global runq");
    }
    if (last != q.tail) bad("global_runq", "the global runq's tail is not its last G");
    if (n != sched->runq.size())
      bad("global_runq", "global runq size=" + std::to_string(sched->runq.size()) +
                             " but it holds " + std::to_string(n));
    n = 0;
    for (G* gp = sched->gFree.list.head; gp; gp = gp->schedlink) {
      if (static_cast<std::size_t>(++n) > limit) {
        bad("free_list", "the global free list has a cycle");
        break;
      }
      if (Loc* l = loc_of(gp, "sched.gFree")) l->add(l->freel, "sched.gFree");
    }
    if (n != sched->gFree.n.load(rt::relaxed))  // relaxed: under gFree.lock
      bad("free_list", "sched.gFree.n=" + std::to_string(sched->gFree.n.load(rt::relaxed)) +
                           " but it holds " + std::to_string(n));
  }

  void check_ms() GMPKIT_NO_TSA {
    std::unordered_set<const M*> idle;
    std::int32_t nidle = 0;
    for (M* mp = sched->midle; mp; mp = mp->schedlink) {
      if (++nidle > 100000) {
        bad("midle", "the idle-M list has a cycle");
        break;
      }
      idle.insert(mp);
    }
    if (nidle != sched->nmidle)
      bad("midle", "nmidle=" + std::to_string(sched->nmidle) + " but the idle-M list has " +
                       std::to_string(nidle));
    std::int32_t nspinning = 0;
    for (M* mp = sched->allm.load(rt::acquire); mp;
         mp = mp->alllink) {  // acquire: pairs with allocm's publish
      ms_.push_back(mp);
      if (mp->exited.load(rt::acquire)) {  // acquire: its last writes are visible
        if (idle.count(mp)) bad("midle", mname(mp) + " has exited but is on the idle-M list");
        continue;
      }
      if (mp->spinning) {
        nspinning++;
        if (mp->p == nullptr || mp->curg != nullptr)
          bad("nmspinning", mname(mp) + " is spinning with p=" + pname(mp->p) +
                                " curg=" + (mp->curg ? gname(mp->curg) : std::string("nil")));
      }
      if (idle.count(mp) && (mp->p != nullptr || mp->curg != nullptr || mp->spinning))
        bad("midle", mname(mp) + " is on the idle-M list with p=" + pname(mp->p) +
                         (mp->curg ? " and a G" : "") + (mp->spinning ? " spinning" : ""));
      if (mp->p != nullptr && mp->p->m != mp)
        bad("p_m_link",
            mname(mp) + ".p=" + pname(mp->p) + " but " + pname(mp->p) + ".m=" + mname(mp->p->m));
      if (mp->p != nullptr && mp != self_)
        bad("p_m_link", mname(mp) + " holds " + pname(mp->p) + " in a stopped world");
      if (G* gp = mp->curg) {
        if (Loc* l = loc_of(gp, mname(mp) + ".curg")) {
          l->add(l->curg, mname(mp) + ".curg");
          l->curg_of = mp;
          if (gp->m != mp && !readying_on(mp, gp, limit_))  // dropg in progress
            bad("curg_link", mname(mp) + ".curg=" + gname(gp) + " but its m is " + mname(gp->m));
        }
      }
      if (G* lg = mp->lockedg) {
        if (!known_.count(lg)) {
          bad("unknown_g", mname(mp) + ".lockedg is not in allgs");
        } else {
          if (lg->lockedm != mp)
            bad("locked_pair",
                mname(mp) + ".lockedg=" + gname(lg) + " but its lockedm is " + mname(lg->lockedm));
          if (mp->curg != nullptr && mp->curg != lg)
            bad("locked_pair",
                mname(mp) + " is locked to " + gname(lg) + " but runs " + gname(mp->curg));
        }
      }
    }
    // seq_cst: as the writers (the spinning dance); stable while stopped.
    if (sched->nmspinning.load(rt::seq_cst) != nspinning)
      bad("nmspinning", "nmspinning=" + std::to_string(sched->nmspinning.load(rt::seq_cst)) +
                            " but " + std::to_string(nspinning) + " Ms are spinning");
  }

  void check_waits() {
    std::unordered_map<std::size_t, std::pair<std::uint32_t, std::uint32_t>>
        roots;  // root -> (nwait, queued)
    for (const SemaEntry& e : sema_) {
      auto& r = roots[e.root];
      r.first = e.nwait;
      if (e.gp == nullptr) continue;
      r.second++;
      const std::string w = "sema root " + std::to_string(e.root);
      if (Loc* l = loc_of(e.gp, w)) l->add(l->sema, w);
    }
    for (const auto& [root, r] : roots)
      if (r.first != r.second)
        bad("sema_root", "sema root " + std::to_string(root) +
                             " has nwait=" + std::to_string(r.first) + " but " +
                             std::to_string(r.second) + " queued Gs");
    for (const PdEntry& e : pd_) {
      const std::string w =
          std::string("fd ") + std::to_string(e.fd) + (e.mode == 'r' ? " (read)" : " (write)");
      if (Loc* l = loc_of(e.gp, w)) l->add(l->pd, w);
    }
    for (const TimerEntry& e : timers_) {
      auto it = own_timer_.find(e.t);
      if (it == own_timer_.end()) continue;  // not a G's own timer (poll deadlines, ...)
      const std::string w = pname(e.pp) + ".timers[" + std::to_string(e.index) + "]";
      Loc& l = locs_[it->second];
      l.add(l.timer, w);
    }
  }

  void check_gs() GMPKIT_NO_TSA {
    std::int64_t live = 0;
    const G* verifier = verifier_g();
    for (G* gp : sched->allgs) {
      const GStatus st = gp->status();
      auto it = locs_.find(gp);
      const Loc none;
      const Loc& l = it == locs_.end() ? none : it->second;
      // Built only for a violation: most Gs are fine.
      struct At {
        const G* gp;
        GStatus st;
        const Loc& l;
        operator std::string() const {
          return gname(gp) + " (" + gstatus_name(st) + ")" +
                 (l.where.empty() ? std::string(" is nowhere") : " is in " + l.where);
        }
        std::string operator+(const std::string& rest) const { return std::string(*this) + rest; }
        std::string operator+(const char* rest) const { return std::string(*this) + rest; }
      } at{gp, st, l};
      if (gp->lockedm != nullptr && gp->lockedm->lockedg != gp)
        bad("locked_pair",
            gname(gp) + ".lockedm=" + mname(gp->lockedm) + " but its lockedg is " +
                (gp->lockedm->lockedg ? gname(gp->lockedm->lockedg) : std::string("nil")));
      if (l.runq > 0 && st != GStatus::runnable) bad("runq_not_runnable", at);
      if (l.freel > 0 && st != GStatus::dead) bad("free_list", at + ": a live G on a free list");
      // exitsyscall0 makes gp runnable before dropg: until it is queued, the
      // M that still has it as curg has it on its readying chain.
      const M* readied_by = st == GStatus::runnable && l.runq == 0 ? readying_m(gp) : nullptr;
      const bool dropping = readied_by != nullptr && l.curg == 1 && l.curg_of == readied_by;
      if (l.curg > 0 && st != GStatus::running && st != GStatus::syscall && !dropping)
        bad("curg_link", at);
      if (l.waits() > 0 && st != GStatus::waiting) bad("waiting_g", at + ": not waiting");
      switch (st) {
        case GStatus::idle:
        case GStatus::dead:
          if (l.freel != 1 || l.runq + l.curg + l.waits() != 0)
            bad("free_list", at + ": a dead G must be on one free list");
          continue;
        case GStatus::runnable:
          if (l.runq == 0 && readied_by == nullptr)
            bad("runnable_lost", at);
          else if (l.runq > 1)
            bad("runq_duplicate", at);
          if (l.curg - (dropping ? 1 : 0) + l.freel + l.waits() != 0)
            bad("runnable_elsewhere", at);
          break;
        case GStatus::running:
          if (l.curg != 1 || gp->m == nullptr || gp->m->curg != gp)
            bad("running_g",
                at + ": not curg of exactly one M that points back (m=" + mname(gp->m) + ")");
          else if (gp->m->p == nullptr)
            bad("running_g", at + " on " + mname(gp->m) + ", which holds no P");
          if (gp->m != self_) bad("running_g", at + ": running while the world is stopped");
          break;
        case GStatus::syscall:
          if (l.curg != 1 || gp->m == nullptr || gp->m->curg != gp)
            bad("syscall_g",
                at + ": not curg of exactly one M that points back (m=" + mname(gp->m) + ")");
          else if (gp->m->p != nullptr)
            bad("syscall_g", at + " on " + mname(gp->m) + ", which still holds " + pname(gp->m->p));
          break;
        case GStatus::waiting: {
          if (gp->m != nullptr) bad("waiting_g", at + " but has m=" + mname(gp->m));
          const WaitReason r =
              gp->waitreason.load(rt::relaxed);  // relaxed: written before the park's status CAS
          const char* want = nullptr;
          int have = 0;
          if (r == WaitReason::sleep)
            want = "its timer", have = l.timer;
          else if (r == WaitReason::io_wait)
            want = "a poll descriptor", have = l.pd;
          else if (sema_reason(r))
            want = "a sema root", have = l.sema;
          if (want != nullptr && (have != 1 || l.waits() != 1))
            bad("waiting_g",
                at + ": waiting for '" + wait_reason_string(r) + "' must be on exactly " + want);
          if (want == nullptr && l.waits() != 0)
            bad("waiting_g",
                at + ": waiting for '" + wait_reason_string(r) + "' but on another wait structure");
          break;
        }
        case GStatus::preempted:
          if (l.runq + l.curg + l.freel + l.waits() != 0) bad("preempted_g", at);
          break;
      }
      live++;
      (void)verifier;
    }
    // Goroutine counts: Go's gcount from the per-P counters (every P ever
    // made: a destroyed P keeps its counts), and num_goroutine().
    std::int64_t counted = 0;
    for (std::int32_t i = 0; i < sched->allp.allocated(); i++) {
      P* pp = sched->allp.slot(i);
      counted += pp->ngcreated.load(rt::relaxed) -
                 pp->ngexited.load(rt::relaxed);  // relaxed: owners are stopped
    }
    if (counted != live)
      bad("goroutine_count",
          std::to_string(live) + " live Gs but the per-P counters say " + std::to_string(counted));
    const std::int64_t api = gmpkit::num_goroutine() + system_goroutines();
    if (api != live)
      bad("goroutine_count",
          std::to_string(live) +
              " live Gs but num_goroutine() + system goroutines = " + std::to_string(api));
  }

  // The full state, for the report.
  void describe() GMPKIT_NO_TSA {
    char buf[512];
    std::string& s = state_;
    std::snprintf(
        buf, sizeof buf,
        "sched: gomaxprocs=%d npidle=%d nmspinning=%d nmidle=%d nmidlelocked=%d mnext=%" PRId64
        " runqsize=%d gFree.n=%d caller=%s\n",
        sched->gomaxprocs.load(rt::relaxed), sched->npidle.load(rt::relaxed),  // relaxed: a report
        sched->nmspinning.load(rt::relaxed), sched->nmidle, sched->nmidlelocked, sched->mnext,
        sched->runq.size(), sched->gFree.n.load(rt::relaxed), mname(self_).c_str());
    s += buf;
    for (std::int32_t i = 0; i < sched->allp.allocated(); i++) {
      P* pp = sched->allp.slot(i);
      G* rn = pp->runq.runnext_peek();
      std::snprintf(buf, sizeof buf,
                    "  P%d: status=%s m=%s runq head=%u tail=%u runnext=%s gfreecnt=%d timers=%u "
                    "schedtick=%u\n",
                    i, pstatus_name(pp->pstatus()), mname(pp->m).c_str(), pp->runq.head(),
                    pp->runq.tail(), rn ? gname(rn).c_str() : "nil", pp->gFreeCount,
                    pp->timers.numTimers.load(rt::relaxed),
                    pp->schedtick.load(rt::relaxed));  // relaxed: a report
      s += buf;
    }
    for (M* mp : ms_) {
      std::snprintf(
          buf, sizeof buf,
          "  M%" PRId64
          ": p=%s curg=%s nextp=%s oldp=%s spinning=%d blocked=%d lockedg=%s lockedwait=%d "
          "exited=%d readying=%s%s\n",
          mp->id, pname(mp->p).c_str(), mp->curg ? gname(mp->curg).c_str() : "nil",
          pname(mp->nextp).c_str(), pname(mp->oldp).c_str(), mp->spinning, mp->blocked,
          mp->lockedg ? gname(mp->lockedg).c_str() : "nil", mp->lockedwait,
          mp->exited.load(rt::relaxed),
          mp->readying.load(rt::acquire) ? gname(mp->readying.load(rt::acquire)).c_str() : "nil",
          mp == sched->sysmon_m ? " (sysmon)" : "");  // relaxed, acquire: a report; as readying_on
      s += buf;
    }
    std::size_t shown = 0, dead = 0;
    for (G* gp : sched->allgs) {
      const GStatus st = gp->status();
      if (st == GStatus::dead || st == GStatus::idle) {
        dead++;
        continue;
      }
      if (++shown > 1000) continue;
      auto it = locs_.find(gp);
      std::snprintf(buf, sizeof buf, "  G%" PRId64 ": status=%s(%s) m=%s lockedm=%s at: %s\n",
                    gp->goid, gstatus_name(st),
                    wait_reason_string(gp->waitreason.load(rt::relaxed)),  // relaxed: a report
                    mname(gp->m).c_str(), mname(gp->lockedm).c_str(),
                    it == locs_.end() ? "nowhere" : it->second.where.c_str());
      s += buf;
      const std::uint32_t count = gp->history_n < G::kHistory ? gp->history_n : G::kHistory;
      for (std::uint32_t k = 0; k < count; k++) {
        const GTransition& t = gp->history[(gp->history_n - count + k) % G::kHistory];
        std::snprintf(buf, sizeof buf, "      %s -> %s on M%d at %" PRId64 "ns\n",
                      gstatus_name(t.from), gstatus_name(t.to), t.m, t.when);
        s += buf;
      }
    }
    if (shown > 1000) s += "  ... " + std::to_string(shown - 1000) + " more live Gs\n";
    s += "  (" + std::to_string(dead) + " dead Gs on free lists)\n";
  }

  M* self_;
  bool describe_always_;
  std::vector<std::string> v_;
  std::string state_;
  std::vector<SemaEntry> sema_;
  std::vector<PdEntry> pd_;
  std::vector<TimerEntry> timers_;
  std::vector<M*> ms_;
  std::size_t limit_ = 0;  // bound of every list walk (allgs + 1)
  std::unordered_set<const G*> known_;
  std::unordered_map<const time::Timer*, G*> own_timer_;
  std::unordered_map<const G*, Loc> locs_;
};

[[noreturn]] void die(const debug::InvariantReport& r) {
  const std::string s =
      "gmpkit: fatal error: scheduler invariant violated (debug::verify_invariants)\n" + r.str();
  rt::write_stderr(s.data(), s.size());
  std::abort();
}

}  // namespace

debug::InvariantReport check_stopped_world(M* mp, bool describe_always) {
  debug::InvariantReport r;
  for (int attempt = 0; attempt < kAttempts; attempt++) {
    if (attempt > 0) {
      // A transition still in flight (see the top of the file) settles in
      // a few microseconds; we may not block (the world is stopped).
      const std::int64_t until = rt::nanotime() + kAttemptGapNs;
      while (rt::nanotime() < until) rt::osyield();
    }
#if GMPKIT_TSAN
    AnnotateIgnoreReadsBegin(__FILE__, __LINE__);
#endif
    r = Checker(mp, describe_always).run();
#if GMPKIT_TSAN
    AnnotateIgnoreReadsEnd(__FILE__, __LINE__);
#endif
    if (r.ok()) break;
  }
  return r;
}

}  // namespace gmpkit::observe

namespace gmpkit::debug {

using namespace core;

bool InvariantReport::has(const std::string& kind) const {
  for (const std::string& v : violations)
    if (v.compare(0, kind.size(), kind) == 0 && v.size() > kind.size() && v[kind.size()] == ':')
      return true;
  return false;
}

std::string InvariantReport::str() const {
  std::string s = std::to_string(violations.size()) + " invariant violation(s):\n";
  for (const std::string& v : violations) s += "  " + v + "\n";
  return s + "scheduler state:\n" + state;
}

InvariantReport verify_invariants(InvariantMode mode) {
  M* mp = getm();
  G* gp = mp ? mp->curg : nullptr;
  if (gp == nullptr || sched == nullptr)
    throw usage_error(
        "gmpkit: debug::verify_invariants() called outside a goroutine (it stops the world, which "
        "only a "
        "goroutine can do: call it from inside gmpkit::run)");
  // relaxed: only gp itself stores gp there (stw.cpp).
  const bool own = sched->stw_owner.load(rt::relaxed) == gp;
  if (!own) stop_the_world("verify_invariants");
  InvariantReport r;
  // acquire: pairs with begin_shutdown; an exiting runtime stops without
  // stopping the world, so there is nothing consistent to check.
  if (!sched->exiting.load(rt::acquire))
    r = observe::check_stopped_world(getm(), mode == InvariantMode::report);
  if (!r.ok() && mode == InvariantMode::abort)
    observe::die(r);  // the world stays stopped: the state is as found
  observe::g_nchecks.fetch_add(1, rt::relaxed);  // relaxed: a statistic
  if (!own) start_the_world();
  return r;
}

std::int64_t invariant_checks() {
  return observe::g_nchecks.load(rt::relaxed);
}  // relaxed: a statistic

}  // namespace gmpkit::debug
