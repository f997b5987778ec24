// gmpkit/testing/invariants_testing.hpp — TEST-ONLY (gmpkit::testing library): damage the scheduler's state
// in controlled ways so tests can check that debug::verify_invariants()
// catches each kind of damage and names it (checks/invariants_test.cpp).
// Part of the gmpkit::testing library (runtime/testing/), which tests link;
// the installed libgmpkit ships none of it.
//
//   gmpkit::stop_the_world("test");
//   gmpkit::go([] {});              // a runnable G in our run queue
//   using namespace gmpkit::testing;
//   corrupt(Corruption::wrong_npidle | Corruption::runq_bounds);
//   auto r = gmpkit::debug::verify_invariants(gmpkit::debug::InvariantMode::report);
//   // r.has("npidle") && r.has("runq_bounds")
//   repair();                        // undo, newest first
//   gmpkit::start_the_world();
//
// Invariants: corrupt() and repair() run only on the goroutine that holds
// the stopped world (usage_error otherwise); every corrupt() is undone by
// the next repair(), so run() can finish normally.
#pragma once

#include <cstdint>

namespace gmpkit::testing {

enum class Corruption : std::uint32_t {
  none = 0,
  lost_runnable = 1u << 0,  // a runnable G taken off our run queue -> "runnable_lost"
  duplicate_runq_entry =
      1u << 1,  // a G of our run queue also put on the global runq -> "runq_duplicate"
  runq_bounds = 1u << 2,  // our P's runq tail pushed 300 past its head -> "runq_bounds"
  wrong_npidle = 1u << 3,  // npidle one more than the idle list -> "npidle"
  wrong_nmspinning = 1u << 4,  // nmspinning one more than the spinning Ms -> "nmspinning"
  p_m_link = 1u << 5,  // our P no longer points at our M -> "p_m_link"
  locked_pair = 1u << 6,  // our G says it is locked to our M, the M disagrees -> "locked_pair"
  goroutine_count = 1u << 7,  // a goroutine counted that does not exist -> "goroutine_count"
  free_list = 1u << 8,  // our P's free-G count off by one -> "free_list"
  global_runq_size = 1u << 9,  // the global runq's size off by one -> "global_runq"
};
constexpr Corruption operator|(Corruption a, Corruption b) {
  return static_cast<Corruption>(static_cast<std::uint32_t>(a) | static_cast<std::uint32_t>(b));
}
constexpr bool operator&(Corruption a, Corruption b) {
  return (static_cast<std::uint32_t>(a) & static_cast<std::uint32_t>(b)) != 0;
}
inline constexpr Corruption kAllCorruptions[] = {
    Corruption::lost_runnable,    Corruption::duplicate_runq_entry, Corruption::runq_bounds,
    Corruption::wrong_npidle,     Corruption::wrong_nmspinning,     Corruption::p_m_link,
    Corruption::locked_pair,      Corruption::goroutine_count,      Corruption::free_list,
    Corruption::global_runq_size,
};

// The violation kind (InvariantReport::has) that one corruption causes.
const char* violation_kind(Corruption single);
const char* corruption_name(Corruption single);
// Applies each damage in c (in the order of the enum). lost_runnable and
// duplicate_runq_entry each need a runnable G of their own in the caller's
// P's run queue. Throws gmpkit::usage_error unless the caller holds the
// stopped world, or if a needed G is missing.
void corrupt(Corruption c);
// Undoes every corrupt() since the last repair(), newest first.
void repair();

}  // namespace gmpkit::testing
