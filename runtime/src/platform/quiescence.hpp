// platform/quiescence.hpp — checks the platform runs from its own scheduler,
// with every other thread stopped: one when every thread of the process is
// blocked (quiescence), one every N scheduling points (liveness). Only the
// deterministic simulator has those moments; on Linux registering is a no-op.
//
// The core registers them (core/quiescence.cpp): work no thread will ever
// pick up at quiescence (a missing wakep), and progress that does not come
// within a bound of virtual time (a G runnable while a P idles, a G starved
// at the head of the global run queue). Nothing else runs while a check
// does, so it may read scheduler state without locks.
#pragma once

#include <cstddef>
#include <cstdint>

namespace gmpkit::rt {

// Writes what is wrong into msg (at most n bytes, NUL-terminated) and returns
// true, or returns false if the state is fine. Must not block, allocate or
// take locks: it runs inside the platform's scheduler.
using QuiescenceCheck = bool (*)(char* msg, std::size_t n);

// Sets (or, with nullptr, clears) the check. The core sets it when run()
// starts and clears it when run() ends.
void set_quiescence_check(QuiescenceCheck check) noexcept;
// The check run every `every` scheduling points; `now` is nanotime()'s
// current value (the check must not read the clock: that is a scheduling
// point). Otherwise the contract of a QuiescenceCheck.
using LivenessCheck = bool (*)(std::int64_t now, char* msg, std::size_t n);
// Sets (or, with nullptr, clears) it.
void set_liveness_check(LivenessCheck check, unsigned every) noexcept;

}  // namespace gmpkit::rt
