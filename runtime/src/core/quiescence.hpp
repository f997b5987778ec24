// core/quiescence.hpp — the core's lost-wakeup check at quiescence (see
// quiescence.cpp; registered with rt::set_quiescence_check by run()).
#pragma once

#include <cstddef>
#include <cstdint>

namespace gmpkit::core {

// rt::QuiescenceCheck: true (and msg filled) if runnable work is stranded.
bool quiescence_check(char* msg, std::size_t n);
// rt::QuiescenceCheck run every few hundred scheduling points: true (and
// msg filled) if progress is overdue (quiescence.cpp, "liveness").
bool liveness_check(std::int64_t now, char* msg, std::size_t n);
// Forgets what liveness_check has seen (each run() starts afresh).
void liveness_reset();

}  // namespace gmpkit::core
