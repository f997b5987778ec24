// core/planted_bug.hpp — the seam for planted bugs (fuzz/bugs/, ci/bug-hunt).
//
// Owns: GMPKIT_PLANTED_BUG(name), a condition placed where a real scheduler
// bug would be (a wakep left out, a fairness rule switched off, ...). The
// bug-hunt build (cmake -DGMPKIT_BUG_INJECTION=ON, preset `bughunt`) compiles
// the condition in: it is true when the environment variable
// GMPKIT_INJECT_BUG names that bug, false otherwise. Every other build
// (shipped, CI presets, fuzz) compiles it to the constant false: no code, no
// string, no symbol (the ctest `planted_bugs_absent` checks the library).
//
// The names, classes, the Go commit or issue each mirrors and the expected
// symptom are in fuzz/bugs/catalogue.def, the one list; a name not in it does
// not compile in any build.
//
// Invariants: one bug at most is on in a process; the choice is read once,
// before the first use, and never changes. An unknown name in
// GMPKIT_INJECT_BUG aborts with the list of known names (no silent no-op).
#pragma once

#include <cstdint>

namespace gmpkit::core::planted {

enum class Bug : std::uint16_t {
  none = 0,
#define GMPKIT_BUG(name, cls, mirrors, symptom) name,
#include "catalogue.def"
#undef GMPKIT_BUG
};

#if GMPKIT_BUGS
// The bug GMPKIT_INJECT_BUG names (Bug::none when unset); planted_bug.cpp.
Bug active() noexcept;
#define GMPKIT_PLANTED_BUG(name) \
  (::gmpkit::core::planted::active() == ::gmpkit::core::planted::Bug::name)
#else
#define GMPKIT_PLANTED_BUG(name) \
  (static_cast<void>(::gmpkit::core::planted::Bug::name), false)
#endif

}  // namespace gmpkit::core::planted
