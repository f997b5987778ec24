// platform/futex.hpp — futex sleep/wake, Go's lock_futex.go primitives.
#pragma once
#include <atomic>
#include <cstdint>

namespace gmpkit::rt {
// Sleep while *addr == val, for at most ns nanoseconds (ns < 0: forever).
// Spurious wakeups are allowed; callers re-check.
void futexsleep(std::atomic<std::uint32_t>* addr, std::uint32_t val, std::int64_t ns) noexcept;
// Wake at most cnt threads sleeping on addr.
void futexwakeup(std::atomic<std::uint32_t>* addr, std::uint32_t cnt) noexcept;
// CPU pause for `cycles` iterations (Go's procyield) and sched_yield (osyield).
void procyield(std::uint32_t cycles) noexcept;
void osyield() noexcept;
void usleep(std::uint32_t us) noexcept;
}  // namespace gmpkit::rt
