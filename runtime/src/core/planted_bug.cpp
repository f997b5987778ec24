// core/planted_bug.cpp — reads GMPKIT_INJECT_BUG once (bug-hunt builds only;
// see planted_bug.hpp). Compiled to nothing elsewhere.
#include "core/planted_bug.hpp"

#if GMPKIT_BUGS
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace gmpkit::core::planted {
namespace {

struct Entry {
  const char* name;
  Bug bug;
};
constexpr Entry kBugs[] = {
#define GMPKIT_BUG(name, cls, mirrors, symptom) {#name, Bug::name},
#include "catalogue.def"
#undef GMPKIT_BUG
};

Bug read_env() noexcept {
  const char* v = std::getenv("GMPKIT_INJECT_BUG");
  if (v == nullptr || *v == 0) return Bug::none;
  for (const auto& e : kBugs)
    if (std::strcmp(e.name, v) == 0) {
      std::fprintf(stderr, "gmpkit: planted bug '%s' is on (GMPKIT_INJECT_BUG)\n", v);
      return e.bug;
    }
  std::fprintf(stderr, "gmpkit: GMPKIT_INJECT_BUG='%s' names no planted bug; known:", v);
  for (const auto& e : kBugs) std::fprintf(stderr, " %s", e.name);
  std::fprintf(stderr, "\n");
  std::abort();
}

}  // namespace

Bug active() noexcept {
  // A function-local static: initialised once, thread-safely, on first use
  // (the first use may be on any M, or on a simulated thread: the value is
  // the same from every one).
  static const Bug bug = read_env();
  return bug;
}

}  // namespace gmpkit::core::planted
#endif
