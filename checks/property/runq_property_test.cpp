// runq_property_test.cpp — model-based tests (rapidcheck rc::state) of the
// run queues (core/runq.hpp): a P's 256-slot ring with runnext (Go's
// runqput / runqget / runqputslow / runqsteal, which goes through runqgrab)
// and the global run queue's batch rule (globrunqget).
//
// RunqModel.MatchesDequeModel (single-threaded): the model is a deque
// (the ring, head first), an optional (runnext) and a deque (the global
// queue). After every command the whole queue state is compared with it:
// runnext, every ring slot between head and tail, the global size, empty().
// A full ring overflows half of itself plus the new G to the global queue
// (runqputslow), in order.
//
// RunqModel.ConcurrentThievesConserveGs: the owner runs the same commands
// while 1-3 thief threads steal from its queue (runnext too, on some
// passes) and consume what they stole. The model is the set of Gs put and
// not yet consumed. After every command the thieves are paused at a
// well-defined point (between steals, with their own rings empty) and the
// multiset {owner queue, global queue, consumed by anyone} must be exactly
// the Gs put, each once: nothing lost, nothing duplicated. No timing
// assertion: a thief that gets no CPU just steals less.
//
// G structs are constructed directly: the run queues only link them
// (schedlink) and move pointers around. A G's goid is its identity.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>
#include <rapidcheck/state.h>

#include <algorithm>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <thread>
#include <vector>

#include "core/g.hpp"
#include "core/runq.hpp"
#include "platform/mutex.hpp"
#include "property/property_util.hpp"

namespace {

GMPKIT_PROPERTY_DEFAULTS("max_success=100 max_size=100");

using gmpkit::core::G;
using gmpkit::core::GlobalRunQueue;
using gmpkit::core::LocalRunQueue;
namespace rt = gmpkit::rt;

constexpr std::uint32_t kSize = LocalRunQueue::kSize;

// Owns a set of G structs with goid = index.
struct GPool {
  std::vector<std::unique_ptr<G>> gs;
  void grow(std::size_t n) {
    while (gs.size() < n) {
      auto g = std::make_unique<G>();
      g->goid = static_cast<std::int64_t>(gs.size());
      gs.push_back(std::move(g));
    }
  }
  G* operator[](std::size_t i) { return gs[i].get(); }
};

std::vector<std::int64_t> drain_global(GlobalRunQueue& q) {
  std::vector<std::int64_t> out;
  while (G* g = q.pop()) out.push_back(g->goid);
  return out;
}

std::vector<std::int64_t> get_all(LocalRunQueue& q) {
  std::vector<std::int64_t> out;
  bool inherit = false;
  while (G* g = q.get(&inherit)) out.push_back(g->goid);
  return out;
}

// ---- single-threaded model ----

namespace model {

// The model: plain containers of goids.
struct Model {
  std::deque<std::int64_t> ring;
  std::optional<std::int64_t> runnext;
  std::deque<std::int64_t> global;
  std::int64_t next_id = 0;

  // runqput's tail put, with runqputslow's overflow.
  void put_tail(std::int64_t id) {
    if (ring.size() == kSize) {
      for (std::uint32_t i = 0; i < kSize / 2; i++) {
        global.push_back(ring.front());
        ring.pop_front();
      }
      global.push_back(id);
    } else {
      ring.push_back(id);
    }
  }
  void put(std::int64_t id, bool next) {
    if (next) {
      std::optional<std::int64_t> old = runnext;
      runnext = id;
      if (old) put_tail(*old);
    } else {
      put_tail(id);
    }
  }
};

struct Sut {
  GPool pool;
  LocalRunQueue q;
  LocalRunQueue thief;
  GlobalRunQueue global;
  rt::Mutex lock;
  G* g(std::int64_t id) {
    pool.grow(static_cast<std::size_t>(id) + 1);
    return pool[static_cast<std::size_t>(id)];
  }
};

using Cmd = rc::state::Command<Model, Sut>;

std::vector<std::int64_t> local_order(const Model& m) {
  std::vector<std::int64_t> v;
  if (m.runnext) v.push_back(*m.runnext);
  v.insert(v.end(), m.ring.begin(), m.ring.end());
  return v;
}

// Compare the whole SUT state with the model (without consuming anything).
void check_state(const Model& m, Sut& s) {
  G* rn = s.q.runnext_peek();
  RC_ASSERT((rn ? std::optional<std::int64_t>(rn->goid) : std::nullopt) == m.runnext);
  RC_ASSERT(s.q.tail() - s.q.head() == m.ring.size());
  for (std::size_t i = 0; i < m.ring.size(); i++)
    RC_ASSERT(s.q.slot(s.q.head() + static_cast<std::uint32_t>(i))->goid == m.ring[i]);
  RC_ASSERT(s.global.size() == static_cast<std::int32_t>(m.global.size()));
  RC_ASSERT(s.q.empty() == (m.ring.empty() && !m.runnext));
  RC_ASSERT(s.thief.empty());
}

struct Put : Cmd {
  bool next = *rc::gen::arbitrary<bool>();
  void apply(Model& m) const override {
    m.put(m.next_id, next);
    m.next_id++;
  }
  void run(const Model& m, Sut& s) const override {
    Model after = m;
    after.put(m.next_id, next);
    bool overflow = s.q.put(s.g(m.next_id), next, s.global, s.lock);
    RC_ASSERT(overflow == (after.global.size() > m.global.size()));
    check_state(after, s);
  }
  void show(std::ostream& os) const override { os << "Put(next=" << next << ")"; }
};

// A burst of tail puts, so that the ring fills up and overflows.
struct PutMany : Cmd {
  int n = *rc::gen::inRange(1, 300);
  void apply(Model& m) const override {
    for (int i = 0; i < n; i++) m.put(m.next_id++, false);
  }
  void run(const Model& m, Sut& s) const override {
    Model after = m;
    int overflows = 0;
    for (int i = 0; i < n; i++) {
      std::size_t before = after.global.size();
      after.put(after.next_id, false);
      bool want = after.global.size() > before;
      bool got = s.q.put(s.g(after.next_id), false, s.global, s.lock);
      after.next_id++;
      RC_ASSERT(got == want);
      overflows += got;
    }
    RC_CLASSIFY(overflows > 0, "overflow");
    check_state(after, s);
  }
  void show(std::ostream& os) const override { os << "PutMany(" << n << ")"; }
};

struct Get : Cmd {
  void apply(Model& m) const override {
    if (m.runnext)
      m.runnext.reset();
    else if (!m.ring.empty())
      m.ring.pop_front();
  }
  void run(const Model& m, Sut& s) const override {
    bool inherit = false;
    G* g = s.q.get(&inherit);
    if (m.runnext) {
      RC_ASSERT(g != nullptr);
      RC_ASSERT(g->goid == *m.runnext);
      RC_ASSERT(inherit);
    } else if (!m.ring.empty()) {
      RC_ASSERT(g != nullptr);
      RC_ASSERT(g->goid == m.ring.front());
      RC_ASSERT(!inherit);
    } else {
      RC_ASSERT(g == nullptr);
    }
  }
  void show(std::ostream& os) const override { os << "Get"; }
};

// A thief steals from q into its (empty) ring and then consumes all of it.
struct Steal : Cmd {
  bool stealRunNext = *rc::gen::arbitrary<bool>();
  void apply(Model& m) const override {
    std::size_t n = m.ring.size();
    std::size_t take = n - n / 2;
    if (take == 0) {
      if (stealRunNext) m.runnext.reset();
      return;
    }
    for (std::size_t i = 0; i < take; i++) m.ring.pop_front();
  }
  void run(const Model& m, Sut& s) const override {
    std::size_t n = m.ring.size();
    std::size_t take = n - n / 2;
    G* g = s.thief.steal(s.q, stealRunNext, false);
    if (take == 0) {
      if (stealRunNext && m.runnext) {
        RC_ASSERT(g != nullptr);
        RC_ASSERT(g->goid == *m.runnext);
      } else {
        RC_ASSERT(g == nullptr);
      }
      RC_ASSERT(s.thief.empty());
      return;
    }
    RC_ASSERT(g != nullptr);
    RC_ASSERT(g->goid == m.ring[take - 1]);
    std::vector<std::int64_t> want(m.ring.begin(),
                                   m.ring.begin() + static_cast<std::ptrdiff_t>(take - 1));
    RC_ASSERT(get_all(s.thief) == want);
    Model after = m;
    apply(after);
    check_state(after, s);
  }
  void show(std::ostream& os) const override { os << "Steal(stealRunNext=" << stealRunNext << ")"; }
};

// findrunnable's global refill; legal only while the batch fits the ring.
struct GlobalGet : Cmd {
  std::int32_t max = *rc::gen::element<std::int32_t>(0, 0, 1, 5, 200);
  std::int32_t procs = *rc::gen::inRange<std::int32_t>(1, 9);

  static std::size_t batch(const Model& m, std::int32_t max, std::int32_t procs) {
    auto sz = static_cast<std::int32_t>(m.global.size());
    if (sz == 0) return 0;
    std::int32_t n = std::min(sz / procs + 1, sz);
    if (max > 0) n = std::min(n, max);
    n = std::min<std::int32_t>(n, kSize / 2);
    return static_cast<std::size_t>(n);
  }
  void checkPreconditions(const Model& m) const override {
    std::size_t n = batch(m, max, procs);
    RC_PRE(n == 0 || m.ring.size() + n - 1 <= kSize);
  }
  void apply(Model& m) const override {
    std::size_t n = batch(m, max, procs);
    if (n == 0) return;
    m.global.pop_front();
    for (std::size_t i = 1; i < n; i++) {
      m.ring.push_back(m.global.front());
      m.global.pop_front();
    }
  }
  void run(const Model& m, Sut& s) const override {
    G* g = s.global.get(s.q, max, procs);
    if (m.global.empty()) {
      RC_ASSERT(g == nullptr);
    } else {
      RC_ASSERT(g != nullptr);
      RC_ASSERT(g->goid == m.global.front());
    }
    Model after = m;
    apply(after);
    check_state(after, s);
    // The global queue keeps its order too: compare by popping and
    // re-pushing (the SUT has no non-destructive view).
    std::vector<std::int64_t> got = drain_global(s.global);
    RC_ASSERT(got == std::vector<std::int64_t>(after.global.begin(), after.global.end()));
    for (std::int64_t id : got) s.global.put(s.g(id));
  }
  void show(std::ostream& os) const override {
    os << "GlobalGet(max=" << max << ", procs=" << procs << ")";
  }
};

struct Drain : Cmd {
  void apply(Model& m) const override {
    m.runnext.reset();
    m.ring.clear();
  }
  void run(const Model& m, Sut& s) const override {
    gmpkit::core::GQueue d = s.q.drain();
    std::vector<std::int64_t> got;
    while (G* g = d.pop()) got.push_back(g->goid);
    RC_ASSERT(got == local_order(m));
    RC_ASSERT(s.q.empty());
  }
  void show(std::ostream& os) const override { os << "Drain"; }
};

}  // namespace model

RC_GTEST_PROP(RunqModel, MatchesDequeModel, ()) {
  model::Model m;
  model::Sut s;
  rc::state::check(
      m, s,
      rc::state::gen::execOneOfWithArgs<model::Put, model::Put, model::PutMany, model::PutMany,
                                        model::Get, model::Get, model::Steal, model::GlobalGet,
                                        model::Drain>());
}

// ---- concurrent variant: thieves on other threads ----

namespace conc {

// Which G is consumed when depends on the thieves, so the model only
// knows what was put: Gs 0 .. next_id-1. The Sut keeps what was consumed.
struct Model {
  std::int64_t next_id = 0;
  int thieves = 1;
};

// Thief threads steal from the owner's queue into their own rings and
// consume everything they stole. pause() returns once every thief is
// parked between two steals (its ring empty); resume() lets them go on.
struct Sut {
  GPool pool;
  LocalRunQueue q;
  GlobalRunQueue global;
  rt::Mutex lock;
  std::vector<std::int64_t>
      consumed;  // the owner's and (after pause) the thieves' since the last check
  std::set<std::int64_t> consumed_all;  // everything consumed so far

  std::mutex mu;
  std::condition_variable cv;
  bool paused = false, stop = false;
  int parked = 0;
  std::vector<std::int64_t> stolen;  // consumed by thieves, guarded by mu
  std::int64_t steals = 0;  // guarded by mu
  std::vector<std::thread> threads;

  explicit Sut(int nthieves) {
    pool.grow(4096);
    for (int t = 0; t < nthieves; t++) threads.emplace_back([this, t] { thief(t); });
  }
  ~Sut() {
    {
      std::lock_guard<std::mutex> l(mu);
      stop = true;
      paused = false;
    }
    cv.notify_all();
    for (auto& th : threads) th.join();
  }
  G* g(std::int64_t id) {
    pool.grow(static_cast<std::size_t>(id) + 1);  // grows only while thieves are paused
    return pool[static_cast<std::size_t>(id)];
  }

  void thief(int t) {
    LocalRunQueue mine;
    std::mt19937 rng(static_cast<unsigned>(t) + 1);
    std::vector<std::int64_t> got;
    for (;;) {
      {
        std::unique_lock<std::mutex> l(mu);
        if (paused) {
          parked++;
          cv.notify_all();
          cv.wait(l, [&] { return !paused || stop; });
          parked--;
        }
        if (stop) return;
      }
      G* gp = mine.steal(q, /*stealRunNext=*/rng() % 4 == 0, /*victimRunning=*/false);
      if (gp == nullptr) {
        std::this_thread::yield();
        continue;
      }
      got.clear();
      got.push_back(gp->goid);
      bool inherit = false;
      while (G* h = mine.get(&inherit)) got.push_back(h->goid);
      std::lock_guard<std::mutex> l(mu);
      stolen.insert(stolen.end(), got.begin(), got.end());
      steals++;
    }
  }
  void pause() {
    std::unique_lock<std::mutex> l(mu);
    paused = true;
    cv.wait(l, [&] { return parked == static_cast<int>(threads.size()); });
    consumed.insert(consumed.end(), stolen.begin(), stolen.end());
    stolen.clear();
  }
  void resume() {
    {
      std::lock_guard<std::mutex> l(mu);
      paused = false;
    }
    cv.notify_all();
  }
};

using Cmd = rc::state::Command<Model, Sut>;

// With the thieves paused: the owner's queue, the global queue and the
// consumed Gs hold each G the model says was put exactly once.
void check_conserved(const Model& m, Sut& s) {
  s.pause();
  std::vector<std::int64_t> queued;
  if (G* rn = s.q.runnext_peek()) queued.push_back(rn->goid);
  const std::uint32_t n = s.q.tail() - s.q.head();
  RC_ASSERT(n <= kSize);
  for (std::uint32_t i = 0; i < n; i++) queued.push_back(s.q.slot(s.q.head() + i)->goid);
  std::vector<std::int64_t> global = drain_global(s.global);
  for (std::int64_t id : global) s.global.put(s.g(id));
  queued.insert(queued.end(), global.begin(), global.end());
  std::multiset<std::int64_t> q(queued.begin(), queued.end());
  for (std::int64_t id : q) RC_ASSERT(q.count(id) == 1u);  // no G queued twice
  for (std::int64_t id : s.consumed) {
    RC_ASSERT(id >= 0 && id < m.next_id);  // only what was put
    RC_ASSERT(s.consumed_all.insert(id).second);  // consumed once
  }
  s.consumed.clear();
  for (std::int64_t id : q) RC_ASSERT(s.consumed_all.count(id) == 0u);  // not queued and consumed
  RC_ASSERT(q.size() + s.consumed_all.size() ==
            static_cast<std::size_t>(m.next_id));  // nothing lost
  s.resume();
}

struct Put : Cmd {
  bool next = *rc::gen::arbitrary<bool>();
  void apply(Model& m) const override { m.next_id++; }
  void run(const Model& m0, Sut& s) const override {
    Model m = m0;
    s.q.put(s.g(m.next_id), next, s.global, s.lock);
    m.next_id++;
    check_conserved(m, s);
  }
  void show(std::ostream& os) const override { os << "Put(next=" << next << ")"; }
};

struct PutMany : Cmd {
  int n = *rc::gen::inRange(1, 400);
  void apply(Model& m) const override { m.next_id += n; }
  void run(const Model& m0, Sut& s) const override {
    Model m = m0;
    for (int i = 0; i < n; i++) {
      s.q.put(s.g(m.next_id), false, s.global, s.lock);
      m.next_id++;
    }
    check_conserved(m, s);
  }
  void show(std::ostream& os) const override { os << "PutMany(" << n << ")"; }
};

// The owner consumes what its queue gives it (a G or nothing: a thief may
// have been faster).
struct GetSome : Cmd {
  int n = *rc::gen::inRange(1, 64);
  void apply(Model&) const override {}
  void run(const Model& m0, Sut& s) const override {
    const Model& m = m0;
    bool inherit = false;
    for (int i = 0; i < n; i++)
      if (G* g = s.q.get(&inherit)) s.consumed.push_back(g->goid);
    check_conserved(m, s);
  }
  void show(std::ostream& os) const override { os << "GetSome(" << n << ")"; }
};

// findrunnable's refill from the global queue, only while the ring surely
// has room (thieves only shrink it).
struct GlobalGet : Cmd {
  std::int32_t procs = *rc::gen::inRange<std::int32_t>(1, 5);
  void apply(Model&) const override {}
  void run(const Model& m0, Sut& s) const override {
    const Model& m = m0;
    if (s.q.tail() - s.q.head() <= kSize / 2) {
      rt::LockGuard lg(s.lock);
      if (G* g = s.global.get(s.q, 0, procs)) s.consumed.push_back(g->goid);
    }
    check_conserved(m, s);
  }
  void show(std::ostream& os) const override { os << "GlobalGet(procs=" << procs << ")"; }
};

// procresize's runqdrain racing with thieves.
struct Drain : Cmd {
  void apply(Model&) const override {}
  void run(const Model& m0, Sut& s) const override {
    const Model& m = m0;
    gmpkit::core::GQueue d = s.q.drain();
    while (G* g = d.pop()) s.consumed.push_back(g->goid);
    check_conserved(m, s);
  }
  void show(std::ostream& os) const override { os << "Drain"; }
};

}  // namespace conc

RC_GTEST_PROP(RunqModel, ConcurrentThievesConserveGs, ()) {
  conc::Model m;
  m.thieves = *rc::gen::inRange(1, 4);
  conc::Sut s(m.thieves);
  s.pause();  // the thieves run only during the commands
  s.resume();
  rc::state::check(
      m, s,
      rc::state::gen::execOneOfWithArgs<conc::Put, conc::PutMany, conc::PutMany, conc::GetSome,
                                        conc::GlobalGet, conc::Drain>());
  s.pause();
  RC_TAG(s.steals > 0 ? "thieves stole" : "no steal");
  s.resume();
}

}  // namespace
