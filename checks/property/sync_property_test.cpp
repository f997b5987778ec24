// sync_property_test.cpp — model-based tests (rapidcheck rc::state) of the
// sync primitives against Go's semantics (sync/waitgroup.go, mutex.go,
// rwmutex.go, runtime/sema.go).
//
// Each command spawns an "actor" goroutine that blocks or acquires, or
// tells a holding actor to release (it then unlocks and exits), or is a
// non-blocking operation of main. Nothing races with a wake-up: every
// command waits (bounded, never a timing assertion) until the runtime has
// settled into the model's state, and then checks it: each actor the model
// has blocked is parked with Go's wait reason, each holder is parked
// holding (on its release channel), each finished actor has finished, and
// the primitive's observable state (try-lock results, errors, the
// semaphore count) is the model's.
//
//   WaitGroup: the counter; waiters block while it is > 0 and all wake when
//     an Add brings it to 0; a negative counter raises usage_error and
//     leaves the counter as it was.
//   Mutex: exclusion (one holder; try_lock fails while held); waiters are
//     served in FIFO order, whether unlock hands off directly (starvation
//     mode: waiters here usually wait > 1 ms) or wakes the head waiter
//     (normal mode; nobody barges in these sequences); unlock of an unlocked
//     mutex raises usage_error.
//   RWMutex: readers share, a writer excludes everyone; a writer waiting
//     for readers to leave blocks new readers (writer preference); a
//     writer's unlock admits every blocked reader before the next writer,
//     which then waits for them; writers queue FIFO on the inner Mutex
//     (wait reason "sync.Mutex.Lock").
//   Semaphore (runtime semacquire/semrelease): count and FIFO waiters, a
//     lifo acquire queues in front; semrelease(handoff) passes the count
//     to the first waiter before it returns (the count reads 0 at once).
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>
#include <rapidcheck/state.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <deque>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "gmpkit/gmpkit.hpp"
#include "property/property_util.hpp"
#include "sync/sema.hpp"

namespace {

GMPKIT_PROPERTY_DEFAULTS("max_success=60 max_size=40");

using namespace std::chrono_literals;

// ---- actors shared by the four models ----

enum class Phase { blocked, holding, done };

struct Expect {
  Phase phase = Phase::done;
  std::string reason;  // wait reason while blocked
};

struct ActorState {
  std::atomic<std::int64_t> goid{0};
  std::atomic<int> stage{0};  // 0 started (maybe blocked), 1 holding, 2 done
  gmpkit::Chan<int> release{1};
  std::string error;  // written before stage 2
};

struct Actors {
  std::vector<std::shared_ptr<ActorState>> v;
  // acquire() may block; a holder then waits for release and calls release_fn.
  template <class Acquire, class Release>
  void spawn(Acquire acquire, Release release_fn, bool holds) {
    auto st = std::make_shared<ActorState>();
    v.push_back(st);
    gmpkit::go([st, acquire, release_fn, holds] {
      st->goid.store(gmpkit::goroutine_id(), std::memory_order_release);
      try {
        acquire();
        if (holds) {
          st->stage.store(1, std::memory_order_release);
          if (st->release.recv()) release_fn();
        }
      } catch (const gmpkit::usage_error& e) {
        st->error = e.what();
      }
      st->stage.store(2, std::memory_order_release);
    });
  }
  void release(int id) { v[static_cast<std::size_t>(id)]->release.send(1); }
};

std::string phase_str(const Expect& e) {
  switch (e.phase) {
    case Phase::blocked:
      return "blocked in " + e.reason;
    case Phase::holding:
      return "holding";
    case Phase::done:
      return "done";
  }
  return "?";
}

// Waits (bounded) for every actor to be where the model says, then fails
// with the first difference.
void settle(const std::vector<Expect>& want, Actors& a) {
  RC_ASSERT(want.size() == a.v.size());
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  std::string why;
  for (;;) {
    why.clear();
    const auto gs = gmpkit::debug::goroutines();
    for (std::size_t i = 0; i < want.size() && why.empty(); i++) {
      const ActorState& st = *a.v[i];
      const int stage = st.stage.load(std::memory_order_acquire);
      const int want_stage = want[i].phase == Phase::blocked   ? 0
                             : want[i].phase == Phase::holding ? 1
                                                               : 2;
      const std::string reason = want[i].phase == Phase::blocked ? want[i].reason : "chan receive";
      bool parked = want_stage == 2;
      if (!parked)
        for (const auto& g : gs)
          if (g.id == st.goid.load(std::memory_order_acquire) && g.status == "waiting" &&
              g.wait_reason == reason)
            parked = true;
      if (stage != want_stage || !parked)
        why = "actor " + std::to_string(i) + " is not " + phase_str(want[i]) + " (stage " +
              std::to_string(stage) + ")";
    }
    if (why.empty() || std::chrono::steady_clock::now() > deadline) break;
    gmpkit::sleep_for(20us);
  }
  if (!why.empty()) gmpkit_property::fail(why);
}

template <class Model, class Sut, class Gen>
void run_model(const Model& m0, Gen gen, int procs) {
  const auto cmds = *rc::state::gen::commands(m0, gen);
  gmpkit::Config cfg;
  cfg.procs = procs;
  // The Sut outlives run(): actors still blocked on it when a sequence
  // fails (or holding at its end) are unwound by run()'s shutdown.
  std::optional<Sut> s;
  gmpkit::run(cfg, [&] {
    s.emplace();
    rc::state::runAll(cmds, m0, *s);
  });
}

// Holders in the model (ids), for the release commands' generators.
template <class Model>
std::vector<int> holders(const Model& m) {
  std::vector<int> out;
  for (std::size_t i = 0; i < m.actors.size(); i++)
    if (m.actors[i].phase == Phase::holding) out.push_back(static_cast<int>(i));
  return out;
}

// ---- WaitGroup ----

namespace wg {

struct Model {
  int counter = 0;
  std::vector<Expect> actors;
};
struct Sut {
  gmpkit::WaitGroup wg;
  Actors a;
};
using Cmd = rc::state::Command<Model, Sut>;

struct Add : Cmd {
  int delta = *rc::gen::element(-3, -2, -1, 1, 2, 3);
  void apply(Model& m) const override {
    if (m.counter + delta < 0) return;  // raises, counter unchanged
    m.counter += delta;
    if (m.counter == 0)
      for (auto& a : m.actors) a.phase = Phase::done;
  }
  void run(const Model& m, Sut& s) const override {
    std::string err;
    try {
      s.wg.add(delta);
    } catch (const gmpkit::usage_error& e) {
      err = e.what();
    }
    RC_ASSERT(err == (m.counter + delta < 0 ? "sync: negative WaitGroup counter" : ""));
    Model after = m;
    apply(after);
    settle(after.actors, s.a);
  }
  void show(std::ostream& os) const override { os << "Add(" << delta << ")"; }
};

struct SpawnWaiter : Cmd {
  void checkPreconditions(const Model& m) const override { RC_PRE(m.actors.size() < 20u); }
  void apply(Model& m) const override {
    m.actors.push_back(m.counter == 0 ? Expect{} : Expect{Phase::blocked, "sync.WaitGroup.Wait"});
  }
  void run(const Model& m, Sut& s) const override {
    gmpkit::WaitGroup* wg = &s.wg;
    s.a.spawn([wg] { wg->wait(); }, [] {}, false);
    Model after = m;
    apply(after);
    settle(after.actors, s.a);
  }
  void show(std::ostream& os) const override { os << "SpawnWaiter"; }
};

// main waits: only when the model says it returns at once.
struct MainWait : Cmd {
  void checkPreconditions(const Model& m) const override { RC_PRE(m.counter == 0); }
  void apply(Model&) const override {}
  void run(const Model& m, Sut& s) const override {
    s.wg.wait();
    settle(m.actors, s.a);
  }
  void show(std::ostream& os) const override { os << "MainWait"; }
};

}  // namespace wg

RC_GTEST_PROP(SyncModel, WaitGroupCounterAndWakeups, ()) {
  run_model<wg::Model, wg::Sut>(
      wg::Model{}, rc::state::gen::execOneOfWithArgs<wg::Add, wg::SpawnWaiter, wg::MainWait>(),
      *rc::gen::inRange(1, 4));
}

// ---- Mutex ----

namespace mu {

constexpr int kMain = -1;
struct Model {
  std::optional<int> holder;  // actor id, or kMain
  std::deque<int> queue;  // blocked lockers, oldest first
  std::vector<Expect> actors;
  // The next holder after an unlock: the oldest waiter (FIFO handoff).
  void unlock() {
    holder.reset();
    if (!queue.empty()) {
      holder = queue.front();
      queue.pop_front();
      actors[static_cast<std::size_t>(*holder)].phase = Phase::holding;
    }
  }
};
struct Sut {
  gmpkit::Mutex mu;
  Actors a;
};
using Cmd = rc::state::Command<Model, Sut>;

struct SpawnLocker : Cmd {
  void checkPreconditions(const Model& m) const override { RC_PRE(m.actors.size() < 20u); }
  void apply(Model& m) const override {
    const int id = static_cast<int>(m.actors.size());
    if (!m.holder) {
      m.holder = id;
      m.actors.push_back({Phase::holding, ""});
    } else {
      m.queue.push_back(id);
      m.actors.push_back({Phase::blocked, "sync.Mutex.Lock"});
    }
  }
  void run(const Model& m, Sut& s) const override {
    gmpkit::Mutex* mu = &s.mu;
    s.a.spawn([mu] { mu->lock(); }, [mu] { mu->unlock(); }, true);
    Model after = m;
    apply(after);
    settle(after.actors, s.a);
  }
  void show(std::ostream& os) const override { os << "SpawnLocker"; }
};

struct Release : Cmd {
  int pick = *rc::gen::inRange(0, 1000);
  void checkPreconditions(const Model& m) const override {
    RC_PRE(m.holder.has_value() && *m.holder != kMain);
  }
  void apply(Model& m) const override {
    m.actors[static_cast<std::size_t>(*m.holder)].phase = Phase::done;
    m.unlock();
  }
  void run(const Model& m, Sut& s) const override {
    s.a.release(*m.holder);
    Model after = m;
    apply(after);
    settle(after.actors, s.a);
  }
  void show(std::ostream& os) const override { os << "Release(holder)"; }
};

struct MainTryLock : Cmd {
  void apply(Model& m) const override {
    if (!m.holder) m.holder = kMain;
  }
  void run(const Model& m, Sut& s) const override {
    const bool got = s.mu.try_lock();
    RC_ASSERT(got == !m.holder.has_value());
    Model after = m;
    apply(after);
    settle(after.actors, s.a);
  }
  void show(std::ostream& os) const override { os << "MainTryLock"; }
};

struct MainUnlock : Cmd {
  void checkPreconditions(const Model& m) const override {
    RC_PRE(!m.holder || *m.holder == kMain);
  }
  void apply(Model& m) const override {
    if (m.holder) m.unlock();
  }
  void run(const Model& m, Sut& s) const override {
    std::string err;
    try {
      s.mu.unlock();
    } catch (const gmpkit::usage_error& e) {
      err = e.what();
    }
    RC_ASSERT(err == (m.holder ? "" : "sync: unlock of unlocked mutex"));
    Model after = m;
    apply(after);
    settle(after.actors, s.a);
  }
  void show(std::ostream& os) const override { os << "MainUnlock"; }
};

}  // namespace mu

RC_GTEST_PROP(SyncModel, MutexExclusionAndFifoHandoff, ()) {
  run_model<mu::Model, mu::Sut>(
      mu::Model{},
      rc::state::gen::execOneOfWithArgs<mu::SpawnLocker, mu::SpawnLocker, mu::Release,
                                        mu::MainTryLock, mu::MainUnlock>(),
      *rc::gen::inRange(1, 4));
}

// ---- RWMutex ----

namespace rw {

struct Model {
  std::set<int> readers;  // holding a read lock
  std::optional<int> writer;  // holding the write lock
  std::optional<int> pending;  // writer that announced itself, waiting for readers to leave
  std::deque<int> wq;  // writers blocked on the inner Mutex
  std::deque<int> rq;  // readers blocked by a writer
  std::vector<Expect> actors;
  std::vector<bool> is_writer;

  bool writer_active() const { return writer || pending; }
  void set(int id, Phase p, const char* reason = "") {
    actors[static_cast<std::size_t>(id)] = {p, reason};
  }
  // A writer holding the inner Mutex announces itself (readerCount -= max).
  void announce(int id) {
    if (readers.empty()) {
      writer = id;
      set(id, Phase::holding);
    } else {
      pending = id;
      set(id, Phase::blocked, "sync.RWMutex.Lock");
    }
  }
};
struct Sut {
  gmpkit::RWMutex rw;
  Actors a;
};
using Cmd = rc::state::Command<Model, Sut>;

struct SpawnReader : Cmd {
  void checkPreconditions(const Model& m) const override { RC_PRE(m.actors.size() < 20u); }
  void apply(Model& m) const override {
    const int id = static_cast<int>(m.actors.size());
    m.actors.emplace_back();
    m.is_writer.push_back(false);
    if (!m.writer_active()) {
      m.readers.insert(id);
      m.set(id, Phase::holding);
    } else {
      m.rq.push_back(id);  // writer preference: a waiting writer blocks new readers
      m.set(id, Phase::blocked, "sync.RWMutex.RLock");
    }
  }
  void run(const Model& m, Sut& s) const override {
    gmpkit::RWMutex* rwm = &s.rw;
    s.a.spawn([rwm] { rwm->rlock(); }, [rwm] { rwm->runlock(); }, true);
    Model after = m;
    apply(after);
    settle(after.actors, s.a);
  }
  void show(std::ostream& os) const override { os << "SpawnReader"; }
};

struct SpawnWriter : Cmd {
  void checkPreconditions(const Model& m) const override { RC_PRE(m.actors.size() < 20u); }
  void apply(Model& m) const override {
    const int id = static_cast<int>(m.actors.size());
    m.actors.emplace_back();
    m.is_writer.push_back(true);
    if (m.writer_active() || !m.wq.empty()) {
      m.wq.push_back(id);
      m.set(id, Phase::blocked, "sync.Mutex.Lock");
    } else {
      m.announce(id);
    }
  }
  void run(const Model& m, Sut& s) const override {
    gmpkit::RWMutex* rwm = &s.rw;
    s.a.spawn([rwm] { rwm->lock(); }, [rwm] { rwm->unlock(); }, true);
    Model after = m;
    apply(after);
    settle(after.actors, s.a);
  }
  void show(std::ostream& os) const override { os << "SpawnWriter"; }
};

// A holding actor unlocks; `pick` chooses which holder.
struct Release : Cmd {
  std::size_t pick = *rc::gen::inRange<std::size_t>(0, 1000);
  void checkPreconditions(const Model& m) const override { RC_PRE(!holders(m).empty()); }
  int who(const Model& m) const {
    auto h = holders(m);
    return h[pick % h.size()];
  }
  void apply(Model& m) const override {
    const int id = who(m);
    m.set(id, Phase::done);
    if (!m.is_writer[static_cast<std::size_t>(id)]) {
      m.readers.erase(id);
      if (m.pending && m.readers.empty()) {  // the last departing reader wakes the writer
        m.writer = m.pending;
        m.pending.reset();
        m.set(*m.writer, Phase::holding);
      }
      return;
    }
    m.writer.reset();
    for (int r : m.rq) {  // every blocked reader gets in before the next writer
      m.readers.insert(r);
      m.set(r, Phase::holding);
    }
    m.rq.clear();
    if (!m.wq.empty()) {
      const int w = m.wq.front();
      m.wq.pop_front();
      m.announce(w);
    }
  }
  void run(const Model& m, Sut& s) const override {
    s.a.release(who(m));
    Model after = m;
    apply(after);
    settle(after.actors, s.a);
  }
  void show(std::ostream& os) const override { os << "Release(holder #" << pick << ")"; }
};

// main's non-blocking attempts (released at once when they succeed).
struct MainTry : Cmd {
  bool write = *rc::gen::arbitrary<bool>();
  void apply(Model&) const override {}
  void run(const Model& m, Sut& s) const override {
    if (write) {
      const bool got = s.rw.try_lock();
      RC_ASSERT(got == (!m.writer_active() && m.wq.empty() && m.readers.empty()));
      if (got) s.rw.unlock();
    } else {
      const bool got = s.rw.try_rlock();
      RC_ASSERT(got == !m.writer_active());
      if (got) s.rw.runlock();
    }
    settle(m.actors, s.a);
  }
  void show(std::ostream& os) const override { os << (write ? "MainTryLock" : "MainTryRLock"); }
};

}  // namespace rw

RC_GTEST_PROP(SyncModel, RWMutexExclusionAndWriterPreference, ()) {
  run_model<rw::Model, rw::Sut>(
      rw::Model{},
      rc::state::gen::execOneOfWithArgs<rw::SpawnReader, rw::SpawnReader, rw::SpawnWriter,
                                        rw::Release, rw::Release, rw::MainTry>(),
      *rc::gen::inRange(1, 4));
}

// ---- runtime semaphore ----

namespace sema {

struct Model {
  std::uint32_t count = 0;
  std::deque<int> queue;  // blocked acquirers, first to be served first
  std::vector<Expect> actors;
};
struct Sut {
  std::uint32_t count = 0;  // the semaphore word (runtime atomics on it)
  Actors a;
};
using Cmd = rc::state::Command<Model, Sut>;

std::uint32_t load(const std::uint32_t* p) {
  return __atomic_load_n(p, __ATOMIC_SEQ_CST);  // the runtime updates it atomically
}

struct SpawnAcquirer : Cmd {
  bool lifo = *rc::gen::arbitrary<bool>();
  void checkPreconditions(const Model& m) const override { RC_PRE(m.actors.size() < 20u); }
  void apply(Model& m) const override {
    const int id = static_cast<int>(m.actors.size());
    if (m.count > 0) {
      m.count--;
      m.actors.emplace_back();
    } else {
      if (lifo)
        m.queue.push_front(id);
      else
        m.queue.push_back(id);
      m.actors.push_back({Phase::blocked, "semacquire"});
    }
  }
  void run(const Model& m, Sut& s) const override {
    std::uint32_t* c = &s.count;
    const bool l = lifo;
    s.a.spawn([c, l] { gmpkit::sync::semacquire(c, gmpkit::core::WaitReason::semacquire, l); },
              [] {}, false);
    Model after = m;
    apply(after);
    settle(after.actors, s.a);
    RC_ASSERT(load(&s.count) == after.count);
  }
  void show(std::ostream& os) const override { os << "SpawnAcquirer(lifo=" << lifo << ")"; }
};

struct Release : Cmd {
  bool handoff = *rc::gen::arbitrary<bool>();
  void apply(Model& m) const override {
    if (m.queue.empty()) {
      m.count++;
      return;
    }
    m.actors[static_cast<std::size_t>(m.queue.front())].phase = Phase::done;
    m.queue.pop_front();
  }
  void run(const Model& m, Sut& s) const override {
    gmpkit::sync::semrelease(&s.count, handoff);
    // A handoff gives the count to the first waiter before semrelease returns.
    if (handoff && !m.queue.empty()) RC_ASSERT(load(&s.count) == 0u);
    Model after = m;
    apply(after);
    settle(after.actors, s.a);
    RC_ASSERT(load(&s.count) == after.count);
  }
  void show(std::ostream& os) const override { os << "Release(handoff=" << handoff << ")"; }
};

}  // namespace sema

RC_GTEST_PROP(SyncModel, SemaphoreFifoAndHandoff, ()) {
  run_model<sema::Model, sema::Sut>(
      sema::Model{},
      rc::state::gen::execOneOfWithArgs<sema::SpawnAcquirer, sema::SpawnAcquirer, sema::Release>(),
      *rc::gen::inRange(1, 4));
}

}  // namespace
