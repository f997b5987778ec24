// core/quiescence.hpp — the core's lost-wakeup check at quiescence (see
// quiescence.cpp; registered with rt::set_quiescence_check by run()).
#pragma once

#include <cstddef>

namespace gmpkit::core {

// rt::QuiescenceCheck: true (and msg filled) if runnable work is stranded.
bool quiescence_check(char* msg, std::size_t n);

}  // namespace gmpkit::core
