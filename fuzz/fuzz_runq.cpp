// fuzz/fuzz_runq.cpp — the run queues (core/runq.hpp) against a model: a
// deque + runnext per P and a deque for the global queue. Operations:
// runqput (with and without runnext, overflowing half the ring plus the G
// to the global queue: runqputslow), runqget, runqsteal (grab half, or
// runnext), globrunqget (Go's batch rule), global put/put_head/pop and
// drain. Every G returned and every queue's content must match the model.
#include <FuzzedDataProvider.h>

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/fuzz_support.hpp"
#include "core/g.hpp"
#include "core/runq.hpp"
#include "platform/mutex.hpp"

namespace {

using gmpkit::core::G;
using gmpkit::core::GlobalRunQueue;
using gmpkit::core::GQueue;
using gmpkit::core::LocalRunQueue;
constexpr std::uint32_t kSize = LocalRunQueue::kSize;

struct ModelLocal {
  std::deque<std::int64_t> ring;
  std::optional<std::int64_t> next;
};

[[noreturn]] void mismatch(const std::string& what, std::int64_t got, std::int64_t want) {
  gmpkit::fuzz::property_failed("runq model mismatch: " + what + ": got " + std::to_string(got) +
                                ", model says " + std::to_string(want));
}

std::int64_t id(const G* g) { return g ? g->goid : -1; }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  std::vector<std::unique_ptr<G>> pool;  // every G ever made; goid = index
  std::vector<G*> free_gs;
  auto fresh = [&]() -> G* {
    if (!free_gs.empty()) {
      G* g = free_gs.back();
      free_gs.pop_back();
      return g;
    }
    pool.push_back(std::make_unique<G>());
    pool.back()->goid = static_cast<std::int64_t>(pool.size() - 1);
    return pool.back().get();
  };
  auto give_back = [&](G* g) {
    if (g) free_gs.push_back(g);
  };

  LocalRunQueue q[2];
  ModelLocal m[2];
  GlobalRunQueue global;
  std::deque<std::int64_t> mg;
  gmpkit::rt::Mutex global_lock;

  auto model_put_ring = [&](int p, std::int64_t g) {
    if (m[p].ring.size() < kSize) {
      m[p].ring.push_back(g);
      return;
    }
    for (std::uint32_t i = 0; i < kSize / 2; i++) {  // runqputslow: the older half + g
      mg.push_back(m[p].ring.front());
      m[p].ring.pop_front();
    }
    mg.push_back(g);
  };
  auto check_size = [&](int p) {
    // size() counts runnext too.
    const std::size_t want = m[p].ring.size() + (m[p].next ? 1 : 0);
    if (q[p].size() != want)
      mismatch("P" + std::to_string(p) + " size", q[p].size(), static_cast<std::int64_t>(want));
    if (global.size() != static_cast<std::int32_t>(mg.size()))
      mismatch("global size", global.size(), static_cast<std::int64_t>(mg.size()));
  };

  while (in.remaining_bytes() > 0) {
    const int p = in.ConsumeBool() ? 1 : 0;
    const int op = in.ConsumeIntegralInRange<int>(0, 8);
    switch (op) {
      case 0:
      case 1: {  // runqput, burst of n (fills the ring quickly)
        const bool next = op == 1;
        const bool burst = in.ConsumeBool();
        const int n = burst ? 1 + in.ConsumeIntegral<std::uint8_t>() : 1;
        for (int k = 0; k < n; k++) {
          G* g = fresh();
          const bool slow = q[p].put(g, next, global, global_lock);
          std::int64_t to_ring = g->goid;
          if (next) {
            std::optional<std::int64_t> old = m[p].next;
            m[p].next = g->goid;
            if (!old) {
              if (slow) mismatch("runqput(next) into an empty runnext went slow", 1, 0);
              continue;
            }
            to_ring = *old;
          }
          const bool model_slow = m[p].ring.size() == kSize;
          if (slow != model_slow) mismatch("runqput overflow", slow, model_slow);
          model_put_ring(p, to_ring);
        }
        break;
      }
      case 2: {  // runqget
        bool inherit = false;
        G* g = q[p].get(&inherit);
        std::int64_t want = -1;
        bool want_inherit = false;
        if (m[p].next) {
          want = *m[p].next;
          m[p].next.reset();
          want_inherit = true;
        } else if (!m[p].ring.empty()) {
          want = m[p].ring.front();
          m[p].ring.pop_front();
        }
        if (id(g) != want) mismatch("runqget", id(g), want);
        if (g && inherit != want_inherit) mismatch("runqget inheritTime", inherit, want_inherit);
        give_back(g);
        break;
      }
      case 3: {  // runqsteal into the other P (whose ring the runtime steals into empty)
        const int thief = 1 - p;
        if (!m[thief].ring.empty()) break;
        const bool steal_next = in.ConsumeBool();
        G* g = q[thief].steal(q[p], steal_next, false);
        std::int64_t want = -1;
        const std::size_t n = m[p].ring.size() - m[p].ring.size() / 2;
        if (n == 0) {
          if (steal_next && m[p].next) {
            want = *m[p].next;
            m[p].next.reset();
          }
        } else {
          for (std::size_t i = 0; i < n; i++) {
            m[thief].ring.push_back(m[p].ring.front());
            m[p].ring.pop_front();
          }
          want = m[thief].ring.back();
          m[thief].ring.pop_back();
        }
        if (id(g) != want) mismatch("runqsteal", id(g), want);
        give_back(g);
        check_size(thief);
        break;
      }
      case 4: {  // globrunqget into an empty ring
        if (!m[p].ring.empty()) break;
        const std::int32_t max = in.ConsumeIntegralInRange<std::int32_t>(0, 300);
        const std::int32_t procs = in.ConsumeIntegralInRange<std::int32_t>(1, 8);
        G* g;
        {
          gmpkit::rt::LockGuard lk(global_lock);
          g = global.get(q[p], max, procs);
        }
        std::int64_t want = -1;
        const std::int32_t sz = static_cast<std::int32_t>(mg.size());
        if (sz > 0) {
          std::int32_t n = sz / procs + 1;
          if (n > sz) n = sz;
          if (max > 0 && n > max) n = max;
          if (n > static_cast<std::int32_t>(kSize / 2)) n = kSize / 2;
          want = mg.front();
          mg.pop_front();
          for (n--; n > 0; n--) {
            m[p].ring.push_back(mg.front());
            mg.pop_front();
          }
        }
        if (id(g) != want) mismatch("globrunqget", id(g), want);
        give_back(g);
        break;
      }
      case 5: {  // global put / put_head
        G* g = fresh();
        gmpkit::rt::LockGuard lk(global_lock);
        if (in.ConsumeBool()) {
          global.put(g);
          mg.push_back(g->goid);
        } else {
          global.put_head(g);
          mg.push_front(g->goid);
        }
        break;
      }
      case 6: {  // global pop
        G* g;
        {
          gmpkit::rt::LockGuard lk(global_lock);
          g = global.pop();
        }
        std::int64_t want = -1;
        if (!mg.empty()) {
          want = mg.front();
          mg.pop_front();
        }
        if (id(g) != want) mismatch("global pop", id(g), want);
        give_back(g);
        break;
      }
      case 7: {  // drain
        GQueue d = q[p].drain();
        std::deque<std::int64_t> want;
        if (m[p].next) want.push_back(*m[p].next);
        want.insert(want.end(), m[p].ring.begin(), m[p].ring.end());
        m[p].next.reset();
        m[p].ring.clear();
        while (G* g = d.pop()) {
          if (want.empty()) mismatch("drain: extra G", g->goid, -1);
          if (g->goid != want.front()) mismatch("drain order", g->goid, want.front());
          want.pop_front();
          give_back(g);
        }
        if (!want.empty()) mismatch("drain: missing G", -1, want.front());
        break;
      }
      case 8: {  // empty()
        const bool want = m[p].ring.empty() && !m[p].next;
        if (q[p].empty() != want) mismatch("empty()", q[p].empty(), want);
        break;
      }
    }
    check_size(p);
    const std::int64_t next_want = m[p].next ? *m[p].next : -1;
    if (id(q[p].runnext_peek()) != next_want)
      mismatch("runnext", id(q[p].runnext_peek()), next_want);
  }
  return 0;
}
