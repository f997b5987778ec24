#include "core/stack.hpp"

#include <algorithm>

#include "platform/memory.hpp"

namespace gmpkit::core {

namespace {
std::size_t round_up(std::size_t n, std::size_t to) { return (n + to - 1) / to * to; }
std::uint64_t canary_word(const char* lo, std::size_t i) {
  return (reinterpret_cast<std::uint64_t>(lo) + i) * 0x9E3779B97F4A7C15ULL ^
         0x676d706b69745f63ULL;  // "gmpkit_c"
}
}  // namespace

StackPool::StackPool(std::size_t stack_size, std::int64_t guard_budget)
    : stack_size_(round_up(std::max<std::size_t>(stack_size, 16 * 1024), rt::page_size())),
      guard_(rt::page_size()),
      guard_budget_(guard_budget >= 0 ? guard_budget : rt::max_map_count() / 4) {}

StackPool::~StackPool() {
  rt::LockGuard g(lock_);
  for (const Slab& s : slabs_) rt::unmap(s.base, s.bytes);
}

std::int64_t StackPool::guarded_count() const noexcept {
  rt::LockGuard g(lock_);
  return guarded_;
}
std::int64_t StackPool::canary_count() const noexcept {
  rt::LockGuard g(lock_);
  return canary_;
}

bool StackPool::refill(bool guarded) {
  // A guarded slab holds only as many stacks as the budget has left, so the
  // budget is exact, not rounded up to a whole slab.
  std::size_t count = kSlabStacks;
  if (guarded)
    count = static_cast<std::size_t>(std::min<std::int64_t>(count, guard_budget_ - guarded_));
  std::size_t per = stack_size_ + (guarded ? guard_ : 0);
  // A canary slab has one guard page below its lowest stack (a guarded
  // slab's lowest stack has its own): unbounded recursion runs through the
  // unused stacks below it, then faults there, instead of running on into
  // whatever is mapped below the slab (another thread's stack, an M's
  // signal stack), which left the overflow handler nothing sane to run on:
  // a bare SIGSEGV without the report, now and then.
  const std::size_t floor = guarded ? 0 : guard_;
  std::size_t bytes = per * count + floor;
  char* mem = static_cast<char*>(rt::map_stack_memory(bytes));
  if (!mem) return false;
  slabs_.push_back(Slab{mem, bytes});
  if (floor != 0) (void)rt::protect_none(mem, floor);  // out of mappings: unguarded, as before
  char* base = mem + floor;
  // fresh_ is popped from the back: push the lowest stack first so the first
  // stacks handed out are the highest ones. A stack overflows downwards, so
  // an overflowing stack runs into a neighbour that is not in use yet
  // (that matters in the canary tier, where nothing faults at once).
  for (std::size_t i = 0; i < count; i++) {
    char* start = base + i * per;
    Stack s;
    s.guarded = guarded;
    s.lo = start + (guarded ? guard_ : 0);
    s.hi = s.lo + stack_size_;
    if (guarded && !rt::protect_none(start, guard_)) {
      // Out of mappings: the slab is still usable, unguarded.
      s.guarded = false;
    }
    fresh_.push_back(s);
  }
  return true;
}

bool StackPool::alloc(Stack* out) {
  rt::LockGuard g(lock_);
  if (fresh_.empty()) {
    bool guarded = guarded_ < guard_budget_;
    if (!refill(guarded)) return false;
  }
  *out = fresh_.back();
  fresh_.pop_back();
  if (out->guarded) {
    guarded_++;
  } else {
    canary_++;
    write_canary(*out);
  }
  return true;
}

void StackPool::write_canary(const Stack& s) noexcept {
  if (s.guarded) return;
  auto* w = reinterpret_cast<std::uint64_t*>(s.lo);
  for (std::size_t i = 0; i < kCanaryBytes / 8; i++) w[i] = canary_word(s.lo, i);
}

bool StackPool::canary_intact(const Stack& s) noexcept {
  if (s.guarded) return true;
  auto* w = reinterpret_cast<const volatile std::uint64_t*>(s.lo);
  for (std::size_t i = 0; i < kCanaryBytes / 8; i++)
    if (w[i] != canary_word(s.lo, i)) return false;
  return true;
}

bool StackPool::in_guard(const Stack& s, const void* addr) noexcept {
  if (!s.guarded) return false;
  auto a = reinterpret_cast<std::uintptr_t>(addr);
  auto lo = reinterpret_cast<std::uintptr_t>(s.lo);
  return a < lo && a >= lo - rt::page_size();
}

}  // namespace gmpkit::core
