// stack_test.cpp — goroutine stacks (core/stack.hpp): the StackPool's
// guarded and canary tiers, and stack-overflow reports from a running
// goroutine.
#include <gtest/gtest.h>

#include <algorithm>
#include <csignal>
#include <cstdint>
#include <cstring>
#include <vector>

#include "core/proc.hpp"
#include "core/stack.hpp"
#include "gmpkit/gmpkit.hpp"
#include "platform/memory.hpp"

namespace {

using gmpkit::core::Stack;
using gmpkit::core::StackPool;

std::uintptr_t addr(const void* p) { return reinterpret_cast<std::uintptr_t>(p); }

bool page_aligned(const void* p) { return addr(p) % gmpkit::rt::page_size() == 0; }

class StackDeathTest : public testing::Test {
 protected:
  void SetUp() override { testing::FLAGS_gtest_death_test_style = "threadsafe"; }
};

TEST(StackPool, SizeIsRoundedToPagesWithA16KiBMinimum) {
  const std::size_t page = gmpkit::rt::page_size();
  EXPECT_EQ(StackPool(1, 0).stack_size(), std::max<std::size_t>(16 * 1024, page));
  EXPECT_EQ(StackPool(16 * 1024, 0).stack_size(), 16 * 1024u);
  EXPECT_EQ(StackPool(20000, 0).stack_size(), (20000 + page - 1) / page * page);
  EXPECT_EQ(StackPool(256 * 1024, 0).stack_size(), 256 * 1024u);
  EXPECT_EQ(StackPool(64 * 1024, 7).guard_budget(), 7);
  EXPECT_GT(StackPool(64 * 1024, -1).guard_budget(), 0) << "automatic: max_map_count / 4";
  EXPECT_EQ(StackPool(64 * 1024, -1).guard_budget(), gmpkit::rt::max_map_count() / 4);
}

// Stacks are page aligned, of the requested size, distinct and disjoint,
// and writable from lo to hi.
TEST(StackPool, StacksAreAlignedDistinctAndSized) {
  constexpr std::size_t kSize = 64 * 1024;
  StackPool pool(kSize, /*guard_budget=*/1000);
  std::vector<Stack> stacks(150);
  for (Stack& s : stacks) {
    ASSERT_TRUE(pool.alloc(&s));
    EXPECT_TRUE(page_aligned(s.lo));
    EXPECT_TRUE(page_aligned(s.hi));
    EXPECT_EQ(s.size(), kSize);
    EXPECT_TRUE(s.guarded);
    // Touch the lowest and highest bytes: committed on first touch.
    s.lo[0] = 1;
    s.hi[-1] = 2;
  }
  std::vector<Stack> sorted = stacks;
  std::sort(sorted.begin(), sorted.end(),
            [](const Stack& a, const Stack& b) { return a.lo < b.lo; });
  for (std::size_t i = 1; i < sorted.size(); i++) {
    EXPECT_LT(sorted[i - 1].lo, sorted[i].lo) << "distinct";
    EXPECT_LE(sorted[i - 1].hi, sorted[i].lo) << "disjoint";
  }
  for (const Stack& s : stacks) {
    EXPECT_EQ(s.lo[0], 1);
    EXPECT_EQ(s.hi[-1], 2);
  }
  EXPECT_EQ(pool.guarded_count(), 150);
  EXPECT_EQ(pool.canary_count(), 0);
}

TEST(StackPool, InGuardCoversExactlyThePageBelowLo) {
  const std::size_t page = gmpkit::rt::page_size();
  StackPool pool(32 * 1024, 100);
  Stack s;
  ASSERT_TRUE(pool.alloc(&s));
  ASSERT_TRUE(s.guarded);
  EXPECT_TRUE(StackPool::in_guard(s, s.lo - 1));
  EXPECT_TRUE(StackPool::in_guard(s, s.lo - page));
  EXPECT_FALSE(StackPool::in_guard(s, s.lo - page - 1));
  EXPECT_FALSE(StackPool::in_guard(s, s.lo));
  EXPECT_FALSE(StackPool::in_guard(s, s.hi));
  EXPECT_TRUE(StackPool::canary_intact(s)) << "no canary on a guarded stack: trivially intact";
}

TEST_F(StackDeathTest, GuardPageBelowLoIsInaccessible) {
  StackPool pool(32 * 1024, 100);
  Stack s;
  ASSERT_TRUE(pool.alloc(&s));
  ASSERT_TRUE(s.guarded);
  s.lo[0] = 'x';  // the lowest usable byte is fine
  EXPECT_DEATH(
      {
        volatile char* below = s.lo - 1;
        *below = 'y';
      },
      "");
  EXPECT_DEATH(
      {
        volatile char* bottom = s.lo - gmpkit::rt::page_size();
        (void)*bottom;
      },
      "");
}

// Past the guard budget, stacks come from unguarded slabs with a canary.
TEST(StackPool, CanaryTierBeyondTheBudget) {
  StackPool pool(16 * 1024, /*guard_budget=*/64);
  std::vector<Stack> stacks(200);
  for (Stack& s : stacks) ASSERT_TRUE(pool.alloc(&s));
  EXPECT_EQ(pool.guarded_count(), 64);
  EXPECT_EQ(pool.canary_count(), 136);
  int guarded = 0;
  for (std::size_t i = 0; i < stacks.size(); i++) {
    const Stack& s = stacks[i];
    EXPECT_EQ(s.guarded, i < 64) << i;
    guarded += s.guarded;
    EXPECT_TRUE(StackPool::canary_intact(s)) << i;
    EXPECT_EQ(s.size(), 16 * 1024u);
    EXPECT_TRUE(page_aligned(s.lo));
  }
  EXPECT_EQ(guarded, 64);

  // Corrupting any byte of the 32-byte canary is detected; rewriting it
  // restores it. Bytes above the canary are the stack's own.
  Stack& c = stacks[100];
  ASSERT_FALSE(c.guarded);
  c.lo[StackPool::kCanaryBytes] ^= 0x5a;
  EXPECT_TRUE(StackPool::canary_intact(c));
  for (std::size_t b :
       {std::size_t{0}, std::size_t{7}, std::size_t{8}, StackPool::kCanaryBytes - 1}) {
    c.lo[b] ^= 0x01;
    EXPECT_FALSE(StackPool::canary_intact(c)) << "byte " << b;
    c.lo[b] ^= 0x01;
    EXPECT_TRUE(StackPool::canary_intact(c)) << "byte " << b;
  }
  std::memset(c.lo, 0, StackPool::kCanaryBytes);
  EXPECT_FALSE(StackPool::canary_intact(c));
  StackPool::write_canary(c);
  EXPECT_TRUE(StackPool::canary_intact(c));
  // Other stacks' canaries are untouched (the canary depends on the address).
  for (const Stack& s : stacks) EXPECT_TRUE(StackPool::canary_intact(s));
}

TEST(StackPool, CanaryIsAddressDependent) {
  StackPool pool(16 * 1024, 0);
  Stack a, b;
  ASSERT_TRUE(pool.alloc(&a));
  ASSERT_TRUE(pool.alloc(&b));
  ASSERT_FALSE(a.guarded);
  ASSERT_FALSE(b.guarded);
  EXPECT_NE(std::memcmp(a.lo, b.lo, StackPool::kCanaryBytes), 0);
  // A canary copied from another stack is not valid here.
  std::memcpy(a.lo, b.lo, StackPool::kCanaryBytes);
  EXPECT_FALSE(StackPool::canary_intact(a));
}

// The guard budget is exact: the last guarded slab is cut short instead of
// rounding the budget up to a whole slab of 64 (stack.hpp, "guarded tier").
TEST(StackPool, GuardBudgetIsExact) {
  for (std::int64_t budget : {0, 1, 63, 64, 65, 100, 128}) {
    StackPool pool(16 * 1024, budget);
    std::vector<Stack> stacks(200);
    for (std::size_t i = 0; i < stacks.size(); i++) {
      ASSERT_TRUE(pool.alloc(&stacks[i]));
      EXPECT_EQ(stacks[i].guarded, static_cast<std::int64_t>(i) < budget)
          << "budget " << budget << " stack " << i;
    }
    EXPECT_EQ(pool.guarded_count(), budget);
    EXPECT_EQ(pool.canary_count(), 200 - budget);
  }
}

// Within a slab the highest stack is handed out first, so the stack an
// overflow runs into (the next lower one) is not in use yet (stack.hpp).
TEST(StackPool, FirstStacksHandedOutAreTheHighest) {
  for (std::int64_t budget : {std::int64_t{0}, std::int64_t{1000}}) {
    StackPool pool(16 * 1024, budget);
    std::vector<Stack> stacks(StackPool::kSlabStacks);
    for (Stack& s : stacks) ASSERT_TRUE(pool.alloc(&s));
    for (std::size_t i = 1; i < stacks.size(); i++) {
      EXPECT_LT(stacks[i].lo, stacks[i - 1].lo) << "budget " << budget << " stack " << i;
      // Neighbours in the slab: directly below (plus the guard page).
      EXPECT_EQ(addr(stacks[i - 1].lo) - addr(stacks[i].hi), budget ? gmpkit::rt::page_size() : 0u)
          << i;
    }
  }
}

// ---- overflow of a running goroutine ----

volatile int g_stop_at = -1;

__attribute__((noinline)) int recurse(int depth) {
  volatile char frame[512];
  frame[0] = static_cast<char>(depth);
  if (depth == g_stop_at) return frame[0];
  return recurse(depth + 1) + frame[0];
}

// Like recurse, but writes every byte of its frame, so an overflow cannot
// step over the 32-byte canary.
__attribute__((noinline)) int recurse_dense(int depth) {
  volatile char frame[512];
  for (std::size_t i = 0; i < sizeof frame; i++) frame[i] = static_cast<char>(depth);
  if (depth == g_stop_at) return frame[0];
  return recurse_dense(depth + 1) + frame[1];
}

// The guard page turns unbounded recursion into gmpkit's report on stderr
// (from the SIGSEGV handler, on the M's sigaltstack) and an abort. Under
// ASan the runtime leaves overflows to ASan (core/proc.cpp installs no fault
// handler), so there ASan's own report is expected.
#if defined(__SANITIZE_ADDRESS__)
#define OVERFLOW_DEATH(stmt, gmpkit_regex) EXPECT_DEATH(stmt, "AddressSanitizer: stack-overflow")
#else
#define OVERFLOW_DEATH(stmt, gmpkit_regex) \
  EXPECT_EXIT(stmt, testing::KilledBySignal(SIGABRT), gmpkit_regex)
#endif

TEST_F(StackDeathTest, UnboundedRecursionReportsStackOverflow) {
  OVERFLOW_DEATH(
      {
        gmpkit::Config cfg;
        cfg.procs = 1;
        cfg.stack_size = 64 * 1024;
        gmpkit::run(cfg, [] { recurse(0); });
      },
      "gmpkit: goroutine 1 stack overflow \\(stack size 65536\\)");
}

TEST_F(StackDeathTest, OverflowInAChildGoroutineNamesIt) {
  OVERFLOW_DEATH(
      {
        gmpkit::Config cfg;
        cfg.procs = 2;
        cfg.stack_size = 32 * 1024;
        gmpkit::run(cfg, [] {
          gmpkit::WaitGroup wg;
          wg.add(1);
          gmpkit::go([&] {
            recurse(0);
            wg.done();
          });
          wg.wait();
        });
      },
      "gmpkit: goroutine ([2-9]|[1-9][0-9]+) stack overflow \\(stack size 32768\\)");
}

// A bounded overflow on a canary-tier stack (no guard page): the frames
// spill into the stack below — not in use yet, since the highest stack of a
// slab is handed out first — and the clobbered canary is reported at the
// G's next switch to g0.
TEST_F(StackDeathTest, BoundedOverflowOnACanaryStackIsReportedAtNextSwitch) {
  EXPECT_EXIT(
      {
        gmpkit::Config cfg;
        cfg.procs = 1;
        cfg.stack_size = 64 * 1024;
        cfg.guarded_stacks = 0;
        gmpkit::run(cfg, [] {
          g_stop_at = 300;  // ~300 frames of > 512 bytes: well past 64 KiB
          recurse_dense(0);
          gmpkit::yield();
        });
      },
      testing::KilledBySignal(SIGABRT),
      "gmpkit: goroutine 1 stack overflow \\(stack size 65536\\)");
}

// Unbounded recursion on a canary-tier stack runs through the unused stacks
// below it in the same slab (mapped, so no fault) and faults only past the
// slab, far below the stack; on_fault recognises it by the stack pointer
// being below the G's stack, however far.
TEST_F(StackDeathTest, UnboundedOverflowOnACanaryStackIsReported) {
  OVERFLOW_DEATH(
      {
        gmpkit::Config cfg;
        cfg.procs = 1;
        cfg.stack_size = 64 * 1024;
        cfg.guarded_stacks = 0;
        gmpkit::run(cfg, [] { recurse(0); });
      },
      "gmpkit: goroutine 1 stack overflow \\(stack size 65536\\)");
}

// Deep but bounded recursion that fits is fine (the guard page is below the
// usable size, not inside it).
TEST(Stacks, DeepRecursionThatFitsIsFine) {
  gmpkit::Config cfg;
  cfg.procs = 1;
  cfg.stack_size = 256 * 1024;
  int result = -1;
  g_stop_at = 100;  // ~100 x 0.5 KiB frames
  gmpkit::run(cfg, [&] { result = recurse(0); });
  g_stop_at = -1;
  EXPECT_EQ(result, 5050);  // 0 + 1 + ... + 100
}

// The canary tier detects an overflow after the fact, at the next switch to
// g0: here a goroutine on a canary stack clobbers its own canary and yields.
TEST_F(StackDeathTest, ClobberedCanaryIsReportedAtNextSwitch) {
  EXPECT_DEATH(
      {
        gmpkit::Config cfg;
        cfg.procs = 1;
        cfg.guarded_stacks = 0;  // every stack in the canary tier
        gmpkit::run(cfg, [] {
          gmpkit::core::G* g = gmpkit::core::getg();
          if (g->stack.guarded) std::abort();
          g->stack.lo[3] ^= 0x40;
          gmpkit::yield();
        });
      },
      "gmpkit: goroutine 1 stack overflow \\(stack size 262144\\)");
}

// Stacks of the right tier are handed to goroutines (SchedStats counters).
TEST(Stacks, RuntimeCountsTiers) {
  gmpkit::Config cfg;
  cfg.procs = 1;
  cfg.guarded_stacks = 64;
  gmpkit::Metrics st;
  gmpkit::run(cfg, [&] {
    gmpkit::WaitGroup gate, wg;
    gate.add(1);
    wg.add(150);
    for (int i = 0; i < 150; i++)
      gmpkit::go([&] {
        gate.wait();  // keep them all alive at once: 151 stacks
        wg.done();
      });
    gate.done();
    wg.wait();
    st = gmpkit::metrics();
  });
  EXPECT_EQ(st.stacks_guarded, 64);
  EXPECT_EQ(st.stacks_canary, 151 - 64);
}

}  // namespace
