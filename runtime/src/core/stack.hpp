// core/stack.hpp — goroutine stacks: allocation, guard pages, canaries.
//
// Owns the address space of every goroutine stack of one run(). Stacks are
// carved out of slabs (one mmap each, MAP_NORESERVE: pages are committed on
// first touch) and stay attached to their G for the G's whole life; a dead G
// keeps its stack on the gFree lists (Go's gfput/gfget), so this pool is
// only asked for memory when a brand-new G is made. Everything is unmapped
// when run() ends.
//
// The mapping budget. Linux limits a process to vm.max_map_count mappings
// (65530 by default). A guard page below each stack splits the slab into
// alternating PROT_NONE / PROT_READ|WRITE regions that the kernel cannot
// merge: two mappings per stack, so ~32k guarded stacks would exhaust the
// whole budget. Hence two tiers:
//   * guarded tier — exactly the first `guard_budget` stacks (default: a
//     quarter of max_map_count, i.e. ~16k, leaving three quarters for the
//     program) get a PROT_NONE guard page (the last guarded slab is cut
//     short so the budget is not rounded up to a slab). An overflow faults at once and the SIGSEGV
//     handler (on the M's sigaltstack) reports
//     "gmpkit: goroutine N stack overflow (stack size S)".
//   * canary tier — stacks past the budget share slabs with no guard pages
//     (one mapping per 64 stacks, so a million stacks cost ~16k mappings).
//     Their lowest 32 bytes hold a canary derived from the address. The
//     canary and the stack pointer are checked every time the G switches to
//     g0 (every park, yield, preemption and exit), and a fault whose stack
//     pointer lies below a canary stack is reported like a guard-page hit.
//     Detection is after the fact: an overflow may have scribbled on the
//     stack below before it is caught. docs/RUNTIME.md "Stacks" documents this.
//     Within a slab the highest stack is handed out first, so the stack
//     below a fresh one (the one an overflow runs into) is not in use yet.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "platform/annotations.hpp"
#include "platform/mutex.hpp"

namespace gmpkit::core {

struct Stack {
  char* lo = nullptr;  // lowest usable byte (the canary lives here in the canary tier)
  char* hi = nullptr;  // one past the highest byte; the stack grows down from here
  bool guarded = false;
  std::size_t size() const noexcept { return static_cast<std::size_t>(hi - lo); }
};

class StackPool {
 public:
  // stack_size: usable bytes per stack (rounded up to pages, min 16 KiB).
  // guard_budget < 0: automatic (max_map_count / 4).
  StackPool(std::size_t stack_size, std::int64_t guard_budget);
  ~StackPool();
  StackPool(const StackPool&) = delete;
  StackPool& operator=(const StackPool&) = delete;

  // A fresh stack; false if the address space is exhausted.
  bool alloc(Stack* out) GMPKIT_EXCLUDES(lock_);

  std::size_t stack_size() const noexcept { return stack_size_; }
  std::int64_t guard_budget() const noexcept { return guard_budget_; }
  std::int64_t guarded_count() const noexcept;
  std::int64_t canary_count() const noexcept;

  // Canary tier helpers (no-ops on guarded stacks).
  static void write_canary(const Stack& s) noexcept;
  static bool canary_intact(const Stack& s) noexcept;
  // True if addr lies in the guard page below a guarded stack.
  static bool in_guard(const Stack& s, const void* addr) noexcept;

  static constexpr std::size_t kCanaryBytes = 32;
  static constexpr std::size_t kSlabStacks = 64;

 private:
  struct Slab {
    char* base;
    std::size_t bytes;
  };
  bool refill(bool guarded) GMPKIT_REQUIRES(lock_);

  const std::size_t stack_size_;
  const std::size_t guard_;
  std::int64_t guard_budget_;
  mutable rt::Mutex lock_;
  std::vector<Slab> slabs_ GMPKIT_GUARDED_BY(lock_);
  std::vector<Stack> fresh_ GMPKIT_GUARDED_BY(lock_);  // carved, never used yet
  std::int64_t guarded_ GMPKIT_GUARDED_BY(lock_) = 0;
  std::int64_t canary_ GMPKIT_GUARDED_BY(lock_) = 0;
};

}  // namespace gmpkit::core
