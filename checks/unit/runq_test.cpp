// runq_test.cpp — white-box tests of the run queues (core/runq.hpp): the P's
// 256-slot ring with runnext (Go's runqput/runqget/runqputslow/runqsteal)
// and the global run queue's batch rule (globrunqget).
//
// G structs are constructed directly: they are plain structs, and the run
// queues only link them (schedlink) and move pointers around. A G's goid is
// used as its identity.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <random>
#include <thread>
#include <unordered_map>
#include <vector>

#include "core/g.hpp"
#include "core/runq.hpp"
#include "platform/mutex.hpp"

namespace {

using gmpkit::core::G;
using gmpkit::core::GlobalRunQueue;
using gmpkit::core::LocalRunQueue;
namespace rt = gmpkit::rt;

constexpr std::uint32_t kSize = LocalRunQueue::kSize;

// Owns a set of G structs with goid = index.
struct GPool {
  std::vector<std::unique_ptr<G>> gs;
  explicit GPool(std::size_t n = 0) { grow(n); }
  void grow(std::size_t n) {
    while (gs.size() < n) {
      auto g = std::make_unique<G>();
      g->goid = static_cast<std::int64_t>(gs.size());
      gs.push_back(std::move(g));
    }
  }
  G* operator[](std::size_t i) { return gs[i].get(); }
};

// The goids of everything in the global queue, front to back (empties it).
std::vector<std::int64_t> drain_global(GlobalRunQueue& q) {
  std::vector<std::int64_t> out;
  while (G* g = q.pop()) out.push_back(g->goid);
  return out;
}

std::vector<std::int64_t> iota_ids(std::int64_t from, std::int64_t to) {
  std::vector<std::int64_t> v;
  for (std::int64_t i = from; i < to; i++) v.push_back(i);
  return v;
}

// Gets everything from q (runnext first, then the ring) as goids.
std::vector<std::int64_t> get_all(LocalRunQueue& q) {
  std::vector<std::int64_t> out;
  bool inherit = false;
  while (G* g = q.get(&inherit)) out.push_back(g->goid);
  return out;
}

TEST(LocalRunQueue, EmptyQueue) {
  LocalRunQueue q;
  bool inherit = true;
  EXPECT_TRUE(q.empty());
  EXPECT_EQ(q.size(), 0u);
  EXPECT_EQ(q.get(&inherit), nullptr);
  EXPECT_FALSE(inherit);
  EXPECT_EQ(q.runnext_peek(), nullptr);
}

// FIFO at every fill level 0..256, with the ring's head and tail wrapping
// around many times (the same queue is reused for every level).
TEST(LocalRunQueue, FifoAtEveryFillLevel) {
  LocalRunQueue q;
  GlobalRunQueue global;
  rt::Mutex lock;
  GPool pool(kSize);
  for (std::uint32_t n = 0; n <= kSize; n++) {
    for (std::uint32_t i = 0; i < n; i++) {
      ASSERT_FALSE(q.put(pool[i], /*next=*/false, global, lock))
          << "no overflow up to 256, n=" << n;
    }
    ASSERT_EQ(q.size(), n);
    ASSERT_EQ(q.tail() - q.head(), n);
    ASSERT_EQ(q.empty(), n == 0);
    for (std::uint32_t i = 0; i < n; i++) {
      bool inherit = true;
      G* g = q.get(&inherit);
      ASSERT_NE(g, nullptr) << "n=" << n << " i=" << i;
      ASSERT_EQ(g->goid, static_cast<std::int64_t>(i)) << "n=" << n;
      ASSERT_FALSE(inherit) << "ring Gs do not inherit the time slice";
    }
    bool inherit = false;
    ASSERT_EQ(q.get(&inherit), nullptr) << "n=" << n;
    ASSERT_TRUE(q.empty());
    ASSERT_EQ(global.size(), 0);
  }
  // The head moved by 0+1+...+256 slots: it wrapped the ring many times.
  EXPECT_EQ(q.head(), kSize * (kSize + 1) / 2);
}

TEST(LocalRunQueue, InterleavedPutGetIsFifo) {
  LocalRunQueue q;
  GlobalRunQueue global;
  rt::Mutex lock;
  GPool pool(5000);
  std::size_t next_put = 0, next_get = 0;
  std::mt19937 rng(42);
  while (next_get < pool.gs.size()) {
    bool do_put =
        next_put < pool.gs.size() && (q.size() < 200) && (rng() % 3 != 0 || next_put == next_get);
    if (do_put) {
      ASSERT_FALSE(q.put(pool[next_put++], false, global, lock));
    } else {
      bool inherit = true;
      G* g = q.get(&inherit);
      ASSERT_NE(g, nullptr);
      ASSERT_EQ(g->goid, static_cast<std::int64_t>(next_get++));
      ASSERT_FALSE(inherit);
    }
  }
  EXPECT_TRUE(q.empty());
}

TEST(LocalRunQueue, RunnextKicksPreviousToTail) {
  LocalRunQueue q;
  GlobalRunQueue global;
  rt::Mutex lock;
  GPool pool(4);
  ASSERT_FALSE(q.put(pool[0], false, global, lock));  // ring: 0
  ASSERT_FALSE(q.put(pool[1], true, global, lock));  // runnext: 1
  EXPECT_EQ(q.runnext_peek(), pool[1]);
  EXPECT_EQ(q.size(), 2u);
  ASSERT_FALSE(q.put(pool[2], true, global, lock));  // runnext: 2, ring: 0 1
  EXPECT_EQ(q.runnext_peek(), pool[2]);
  EXPECT_EQ(q.tail() - q.head(), 2u);
  EXPECT_EQ(q.slot(q.tail() - 1), pool[1]) << "the old runnext goes to the tail";
  ASSERT_FALSE(q.put(pool[3], false, global, lock));  // ring: 0 1 3

  bool inherit = false;
  G* g = q.get(&inherit);
  ASSERT_EQ(g, pool[2]);
  EXPECT_TRUE(inherit) << "runnext inherits the time slice";
  EXPECT_EQ(q.runnext_peek(), nullptr);
  for (int want : {0, 1, 3}) {
    inherit = true;
    g = q.get(&inherit);
    ASSERT_NE(g, nullptr);
    EXPECT_EQ(g->goid, want);
    EXPECT_FALSE(inherit);
  }
  EXPECT_EQ(q.get(&inherit), nullptr);
  EXPECT_TRUE(q.empty());
}

TEST(LocalRunQueue, RunnextOnlyIsNotEmpty) {
  LocalRunQueue q;
  GlobalRunQueue global;
  rt::Mutex lock;
  GPool pool(1);
  ASSERT_FALSE(q.put(pool[0], true, global, lock));
  EXPECT_FALSE(q.empty());
  EXPECT_EQ(q.size(), 1u);
  EXPECT_EQ(q.head(), q.tail()) << "runnext is not in the ring";
  bool inherit = false;
  EXPECT_EQ(q.get(&inherit), pool[0]);
  EXPECT_TRUE(inherit);
  EXPECT_TRUE(q.empty());
}

// The 257th put moves half of the ring (128, oldest first) plus the new G to
// the global queue: 129 Gs, in order.
TEST(LocalRunQueue, OverflowMovesHalfPlusOneToGlobalInOrder) {
  LocalRunQueue q;
  GlobalRunQueue global;
  rt::Mutex lock;
  GPool pool(kSize + 1);
  for (std::uint32_t i = 0; i < kSize; i++) ASSERT_FALSE(q.put(pool[i], false, global, lock));
  EXPECT_EQ(global.size(), 0);
  EXPECT_TRUE(q.put(pool[kSize], false, global, lock)) << "the 257th put overflows";
  EXPECT_FALSE(lock.is_locked()) << "the global lock is released again";
  EXPECT_EQ(global.size(), static_cast<std::int32_t>(kSize / 2 + 1));
  std::vector<std::int64_t> want = iota_ids(0, kSize / 2);
  want.push_back(kSize);
  EXPECT_EQ(drain_global(global), want);
  EXPECT_EQ(get_all(q), iota_ids(kSize / 2, kSize)) << "the newer half stays local, in order";
}

// With a full ring, putting a new runnext kicks the old one, and it is the
// kicked G that overflows together with the older half.
TEST(LocalRunQueue, OverflowFromKickedRunnext) {
  LocalRunQueue q;
  GlobalRunQueue global;
  rt::Mutex lock;
  GPool pool(kSize + 2);
  for (std::uint32_t i = 0; i < kSize; i++) ASSERT_FALSE(q.put(pool[i], false, global, lock));
  ASSERT_FALSE(q.put(pool[kSize], true, global, lock)) << "runnext is free: no overflow";
  EXPECT_TRUE(q.put(pool[kSize + 1], true, global, lock));
  EXPECT_EQ(q.runnext_peek(), pool[kSize + 1]);
  std::vector<std::int64_t> want = iota_ids(0, kSize / 2);
  want.push_back(kSize);
  EXPECT_EQ(drain_global(global), want);
  std::vector<std::int64_t> local = iota_ids(kSize / 2, kSize);
  local.insert(local.begin(), kSize + 1);
  EXPECT_EQ(get_all(q), local);
}

// Every overflow appends the older half of the ring plus the new G to
// what is already on the global queue.
TEST(LocalRunQueue, RepeatedOverflowKeepsGlobalFifo) {
  LocalRunQueue q;
  GlobalRunQueue global;
  rt::Mutex lock;
  constexpr std::int64_t kN = 1000;
  GPool pool(kN);
  int overflows = 0;
  std::deque<std::int64_t> ring;
  std::vector<std::int64_t> want_global;
  for (std::int64_t i = 0; i < kN; i++) {
    bool over = q.put(pool[static_cast<std::size_t>(i)], false, global, lock);
    overflows += over;
    ASSERT_EQ(over, ring.size() == kSize) << "i=" << i;
    if (over) {
      for (std::uint32_t k = 0; k < kSize / 2; k++) {
        want_global.push_back(ring.front());
        ring.pop_front();
      }
      want_global.push_back(i);
    } else {
      ring.push_back(i);
    }
  }
  // The first overflow at the 257th put, then one every 129 puts.
  EXPECT_EQ(overflows, 6);
  std::vector<std::int64_t> all = drain_global(global);
  std::vector<std::int64_t> local = get_all(q);
  EXPECT_EQ(all, want_global);
  EXPECT_EQ(local, std::vector<std::int64_t>(ring.begin(), ring.end()));
  all.insert(all.end(), local.begin(), local.end());
  std::sort(all.begin(), all.end());
  EXPECT_EQ(all, iota_ids(0, kN)) << "nothing lost or duplicated";
}

// runqsteal takes n - n/2 of the victim's ring (oldest first), returns the
// last of them and keeps the others in the thief's ring, in order.
TEST(LocalRunQueue, StealTakesHalfAndReturnsOne) {
  GPool pool(kSize);
  GlobalRunQueue global;
  rt::Mutex lock;
  for (std::uint32_t n = 0; n <= kSize; n++) {
    LocalRunQueue victim, thief;
    for (std::uint32_t i = 0; i < n; i++) ASSERT_FALSE(victim.put(pool[i], false, global, lock));
    G* g = thief.steal(victim, /*stealRunNext=*/false, /*victimRunning=*/false);
    std::uint32_t taken = n - n / 2;
    if (n == 0) {
      EXPECT_EQ(g, nullptr);
      continue;
    }
    ASSERT_NE(g, nullptr) << "n=" << n;
    EXPECT_EQ(g->goid, static_cast<std::int64_t>(taken - 1)) << "n=" << n;
    EXPECT_EQ(thief.tail() - thief.head(), taken - 1) << "n=" << n;
    EXPECT_EQ(get_all(thief), iota_ids(0, taken - 1)) << "n=" << n;
    EXPECT_EQ(get_all(victim), iota_ids(taken, n)) << "n=" << n;
  }
}

TEST(LocalRunQueue, StealAppendsAfterThiefsOwnGs) {
  GPool pool(20);
  GlobalRunQueue global;
  rt::Mutex lock;
  LocalRunQueue victim, thief;
  for (int i = 0; i < 10; i++) ASSERT_FALSE(victim.put(pool[i], false, global, lock));
  for (int i = 10; i < 13; i++) ASSERT_FALSE(thief.put(pool[i], false, global, lock));
  G* g = thief.steal(victim, false, false);
  ASSERT_NE(g, nullptr);
  EXPECT_EQ(g->goid, 4);
  EXPECT_EQ(get_all(thief), (std::vector<std::int64_t>{10, 11, 12, 0, 1, 2, 3}));
  EXPECT_EQ(get_all(victim), iota_ids(5, 10));
}

TEST(LocalRunQueue, RunnextStolenOnlyWhenAllowed) {
  GPool pool(3);
  GlobalRunQueue global;
  rt::Mutex lock;
  LocalRunQueue victim, thief;
  ASSERT_FALSE(victim.put(pool[0], true, global, lock));
  EXPECT_EQ(thief.steal(victim, /*stealRunNext=*/false, false), nullptr);
  EXPECT_EQ(victim.runnext_peek(), pool[0]) << "runnext untouched without stealRunNext";
  EXPECT_EQ(thief.steal(victim, /*stealRunNext=*/true, /*victimRunning=*/false), pool[0]);
  EXPECT_EQ(victim.runnext_peek(), nullptr);
  EXPECT_TRUE(victim.empty());
  EXPECT_TRUE(thief.empty()) << "the stolen runnext is returned, not queued";

  // victimRunning only adds a back-off before the steal.
  ASSERT_FALSE(victim.put(pool[1], true, global, lock));
  EXPECT_EQ(thief.steal(victim, true, /*victimRunning=*/true), pool[1]);
  EXPECT_TRUE(victim.empty());
}

TEST(LocalRunQueue, RunnextNotStolenWhileRingHasWork) {
  GPool pool(4);
  GlobalRunQueue global;
  rt::Mutex lock;
  LocalRunQueue victim, thief;
  ASSERT_FALSE(victim.put(pool[0], false, global, lock));
  ASSERT_FALSE(victim.put(pool[1], false, global, lock));
  ASSERT_FALSE(victim.put(pool[2], true, global, lock));
  G* g = thief.steal(victim, /*stealRunNext=*/true, false);
  ASSERT_EQ(g, pool[0]) << "takes n - n/2 = 1 ring G";
  EXPECT_EQ(victim.runnext_peek(), pool[2]);
  g = thief.steal(victim, true, false);
  ASSERT_EQ(g, pool[1]);
  EXPECT_EQ(victim.runnext_peek(), pool[2]);
  g = thief.steal(victim, true, false);
  ASSERT_EQ(g, pool[2]) << "runnext goes only once the ring is empty";
  EXPECT_TRUE(victim.empty());
  EXPECT_EQ(thief.steal(victim, true, false), nullptr);
}

TEST(LocalRunQueue, DrainTakesRunnextThenRing) {
  GPool pool(5);
  GlobalRunQueue global;
  rt::Mutex lock;
  LocalRunQueue q;
  for (int i = 0; i < 4; i++) ASSERT_FALSE(q.put(pool[i], false, global, lock));
  ASSERT_FALSE(q.put(pool[4], true, global, lock));
  gmpkit::core::GQueue d = q.drain();
  std::vector<std::int64_t> got;
  while (G* g = d.pop()) got.push_back(g->goid);
  EXPECT_EQ(got, (std::vector<std::int64_t>{4, 0, 1, 2, 3}));
  EXPECT_TRUE(q.empty());
}

// ---- GlobalRunQueue ----

struct GlobalGetCase {
  std::int32_t size, max, gomaxprocs, want;
};

class GlobalRunQueueGet : public testing::TestWithParam<GlobalGetCase> {};

// globrunqget: n = min(size/gomaxprocs + 1, size, max (if > 0), 128); the
// first is returned and the other n-1 go to the local ring, in order.
TEST_P(GlobalRunQueueGet, BatchSize) {
  const GlobalGetCase c = GetParam();
  GPool pool(static_cast<std::size_t>(c.size));
  GlobalRunQueue global;
  for (std::int32_t i = 0; i < c.size; i++) global.put(pool[static_cast<std::size_t>(i)]);
  ASSERT_EQ(global.size(), c.size);
  LocalRunQueue local;
  G* g = global.get(local, c.max, c.gomaxprocs);
  if (c.want == 0) {
    EXPECT_EQ(g, nullptr);
    return;
  }
  ASSERT_NE(g, nullptr);
  EXPECT_EQ(g->goid, 0);
  EXPECT_EQ(global.size(), c.size - c.want);
  EXPECT_EQ(get_all(local), iota_ids(1, c.want));
  EXPECT_EQ(drain_global(global), iota_ids(c.want, c.size));
}

INSTANTIATE_TEST_SUITE_P(
    Rule, GlobalRunQueueGet,
    testing::Values(GlobalGetCase{0, 0, 1, 0},  // empty
                    GlobalGetCase{1, 0, 1, 1},  //
                    GlobalGetCase{10, 0, 1, 10},  // 10/1+1 = 11, capped by size
                    GlobalGetCase{10, 0, 4, 3},  // 10/4+1
                    GlobalGetCase{10, 0, 16, 1},  // 10/16+1
                    GlobalGetCase{10, 2, 1, 2},  // max
                    GlobalGetCase{10, 1, 1, 1},  // findrunnable's fairness check
                    GlobalGetCase{100, 0, 3, 34},  // 100/3+1
                    GlobalGetCase{300, 0, 1, 128},  // capped by half the ring
                    GlobalGetCase{300, 200, 1, 128},  // max does not lift the cap
                    GlobalGetCase{300, 0, 2, 128},  // 151 -> 128
                    GlobalGetCase{300, 0, 3, 101}));

TEST(GlobalRunQueue, PutHeadAndPutBatch) {
  GPool pool(6);
  GlobalRunQueue global;
  global.put(pool[1]);
  global.put_head(pool[0]);
  gmpkit::core::GQueue b;
  for (int i = 2; i < 5; i++) b.push_back(pool[i]);
  global.put_batch(b, 3);
  global.put(pool[5]);
  EXPECT_EQ(global.size(), 6);
  EXPECT_EQ(drain_global(global), iota_ids(0, 6));
  EXPECT_EQ(global.size(), 0);
  EXPECT_EQ(global.pop(), nullptr);
}

// ---- concurrency: one owner, 1-3 thieves ----

// The owner puts (tail and runnext) and gets, overflowing into the global
// queue now and then and refilling from it; thieves steal into their own
// rings (runnext included on some passes) and consume what they stole. Gs
// are recycled through an in-flight flag; each put carries a fresh sequence
// number in goid. Every sequence number must be consumed exactly once.
class RunqConcurrency : public testing::TestWithParam<int> {};

TEST_P(RunqConcurrency, EveryGConsumedExactlyOnce) {
  const int nthieves = GetParam();
  constexpr std::size_t kPool = 2048;
  constexpr std::int64_t kMaxSeq = 6'000'000;
  const auto duration = std::chrono::milliseconds(500);

  GPool pool(kPool);
  std::vector<std::atomic<bool>> inflight(kPool);
  for (auto& f : inflight) f.store(false);
  LocalRunQueue owner_q;
  GlobalRunQueue global;
  rt::Mutex global_lock;
  std::atomic<bool> stop{false};
  std::vector<std::atomic<std::uint8_t>> seen(kMaxSeq);
  for (auto& s : seen) s.store(0, std::memory_order_relaxed);
  std::atomic<std::int64_t> consumed{0};
  std::atomic<std::int64_t> steals{0};
  std::unordered_map<const G*, std::size_t> index_of;  // read-only while the threads run
  for (std::size_t i = 0; i < kPool; i++) index_of[pool[i]] = i;

  auto consume = [&](G* g) {
    std::int64_t seq = g->goid;
    std::size_t idx = index_of.at(g);
    ASSERT_GE(seq, 0);
    ASSERT_LT(seq, kMaxSeq);
    seen[static_cast<std::size_t>(seq)].fetch_add(1, std::memory_order_relaxed);
    consumed.fetch_add(1, std::memory_order_relaxed);
    inflight[idx].store(false, std::memory_order_release);  // hand the G back to the owner
  };

  std::vector<std::thread> thieves;
  for (int t = 0; t < nthieves; t++) {
    thieves.emplace_back([&, t] {
      LocalRunQueue mine;
      std::mt19937 rng(1000 + t);
      while (!stop.load(std::memory_order_acquire)) {
        bool stealRunNext = rng() % 4 == 0;
        G* g = mine.steal(owner_q, stealRunNext, /*victimRunning=*/rng() % 64 == 0);
        if (g == nullptr) {
          std::this_thread::yield();
          continue;
        }
        steals.fetch_add(1, std::memory_order_relaxed);
        consume(g);
        bool inherit;
        while (G* h = mine.get(&inherit)) consume(h);
        ASSERT_TRUE(mine.empty());
      }
    });
  }

  std::int64_t seq = 0;
  std::int64_t overflows = 0;
  {
    std::mt19937 rng(7);
    std::size_t cursor = 0;
    auto deadline = std::chrono::steady_clock::now() + duration;
    // On a loaded machine a thief may get no CPU for a while: go on past
    // the deadline (up to a hard limit) until at least 100 steals happened.
    auto hard_deadline = deadline + std::chrono::seconds(20);
    std::uint32_t iter = 0;
    while (seq < kMaxSeq) {
      if ((++iter & 255) == 0) {
        auto now = std::chrono::steady_clock::now();
        if (now >= hard_deadline ||
            (now >= deadline && steals.load(std::memory_order_relaxed) >= 100))
          break;
      }
      std::uint32_t r = rng() % 16;
      if (r < 9) {
        // Put: find a G that is not in flight.
        std::size_t tries = 0;
        while (inflight[cursor].load(std::memory_order_acquire) && tries < kPool) {
          cursor = (cursor + 1) % kPool;
          tries++;
        }
        if (tries == kPool) continue;  // all in flight: consume something first
        G* g = pool[cursor];
        g->goid = seq++;
        inflight[cursor].store(true, std::memory_order_relaxed);
        cursor = (cursor + 1) % kPool;
        overflows += owner_q.put(g, /*next=*/r < 3, global, global_lock);
      } else if (r < 14) {
        bool inherit;
        if (G* g = owner_q.get(&inherit)) consume(g);
      } else if (owner_q.tail() - owner_q.head() < kSize / 2) {
        // findrunnable's global refill; the ring has room for 127 more.
        rt::LockGuard lg(global_lock);
        if (G* g = global.get(owner_q, 0, nthieves + 1)) consume(g);
      }
    }
  }
  stop.store(true, std::memory_order_release);
  for (auto& th : thieves) th.join();

  // Drain what is left.
  {
    bool inherit;
    while (G* g = owner_q.get(&inherit)) consume(g);
    rt::LockGuard lg(global_lock);
    while (G* g = global.pop()) consume(g);
  }
  ASSERT_GT(seq, 0);
  EXPECT_EQ(consumed.load(), seq);
  std::int64_t missing = 0, dup = 0;
  for (std::int64_t i = 0; i < seq; i++) {
    std::uint8_t c = seen[static_cast<std::size_t>(i)].load(std::memory_order_relaxed);
    if (c == 0) missing++;
    if (c > 1) dup++;
  }
  for (std::int64_t i = seq; i < kMaxSeq; i++)
    ASSERT_EQ(seen[static_cast<std::size_t>(i)].load(), 0);
  EXPECT_EQ(missing, 0) << "lost Gs";
  EXPECT_EQ(dup, 0) << "duplicated Gs";
  EXPECT_GT(steals.load(), 0) << "the thieves never stole anything: the test exercised nothing";
  RecordProperty("puts", std::to_string(seq));
  RecordProperty("steals", std::to_string(steals.load()));
  RecordProperty("overflows", std::to_string(overflows));
  std::printf("puts=%lld steals=%lld overflows=%lld\n", static_cast<long long>(seq),
              static_cast<long long>(steals.load()), static_cast<long long>(overflows));
}

INSTANTIATE_TEST_SUITE_P(Thieves, RunqConcurrency, testing::Values(1, 2, 3));

}  // namespace
