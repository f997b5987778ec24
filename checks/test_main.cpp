// checks/test_main.cpp — the main() of every gtest executable: GoogleTest,
// plus the hang watchdog (gmpkit/testing/watchdog.hpp) armed for each test
// with the budget ctest passes in GMPKIT_TEST_TIMEOUT (seconds; unset or 0:
// no watchdog, as when a developer runs the binary by hand under gdb).
// A test that outlives it fails with "panic: test timed out", every
// goroutine's stack and the scheduler's state, as `go test -timeout` does.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "gmpkit/testing/watchdog.hpp"

namespace {

class WatchdogListener : public ::testing::EmptyTestEventListener {
 public:
  explicit WatchdogListener(std::chrono::milliseconds budget) : dog_(budget) {}
  void OnTestStart(const ::testing::TestInfo& t) override {
    dog_.arm(std::string(t.test_suite_name()) + "." + t.name());
  }
  void OnTestEnd(const ::testing::TestInfo&) override { dog_.disarm(); }

 private:
  gmpkit::testing::Watchdog dog_;
};

std::chrono::milliseconds budget_from_env() {
  const char* s = std::getenv("GMPKIT_TEST_TIMEOUT");
  if (s == nullptr || *s == '\0') return std::chrono::milliseconds(0);
  char* end = nullptr;
  const double secs = std::strtod(s, &end);
  if (end == s || *end != '\0' || !(secs >= 0) || secs > 86400) {
    std::fprintf(stderr, "GMPKIT_TEST_TIMEOUT=%s: expected seconds (0 < s <= 86400)\n", s);
    std::exit(2);
  }
  return std::chrono::milliseconds(static_cast<long long>(secs * 1000));
}

}  // namespace

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  std::chrono::milliseconds budget = budget_from_env();
#if GMPKIT_PLATFORM_SIM
  // Suites on the simulator (the property;sim variants): no watchdog. Its
  // thread would read the virtual clock and dump goroutines from outside
  // the simulation, and a simulated hang already ends at the simulator's
  // step budget with a replay line.
  budget = std::chrono::milliseconds(0);
#endif
  if (budget.count() > 0)
    ::testing::UnitTest::GetInstance()->listeners().Append(new WatchdogListener(budget));
  return RUN_ALL_TESTS();
}
