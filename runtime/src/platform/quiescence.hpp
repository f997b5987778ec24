// platform/quiescence.hpp — a check the platform runs when every thread of
// the process is blocked (quiescence). Only the deterministic simulator can
// see that moment; on Linux registering is a no-op.
//
// The core registers one check (core/quiescence.cpp) that looks for work no
// thread will ever pick up: a runnable G in a run queue while a P idles and
// no M spins — a missing wakep. At quiescence nothing runs, so the check may
// read scheduler state without locks (nothing can change it).
#pragma once

#include <cstddef>

namespace gmpkit::rt {

// Writes what is wrong into msg (at most n bytes, NUL-terminated) and returns
// true, or returns false if the state is fine. Must not block, allocate or
// take locks: it runs inside the platform's scheduler.
using QuiescenceCheck = bool (*)(char* msg, std::size_t n);

// Sets (or, with nullptr, clears) the check. The core sets it when run()
// starts and clears it when run() ends.
void set_quiescence_check(QuiescenceCheck check) noexcept;

}  // namespace gmpkit::rt
