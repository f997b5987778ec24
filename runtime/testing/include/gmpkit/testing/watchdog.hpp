// gmpkit/testing/watchdog.hpp — TEST-ONLY (gmpkit::testing library): a hung
// test is a failure with a diagnosis, as under `go test -timeout`.
//
//   gmpkit::testing::Watchdog dog(std::chrono::seconds(30));
//   dog.arm("Suite.Name");   // the test starts
//   ...                      // the test hangs: after 30 s the watchdog prints
//                            // "panic: test timed out", every goroutine's
//                            // stack and the scheduler's state, then aborts
//   dog.disarm();            // the test ended in time
//
// The test main of every gtest executable (checks/test_main.cpp) arms one
// per test with the budget ctest gives it in GMPKIT_TEST_TIMEOUT (seconds);
// ctest's own TIMEOUT is set a little longer, so the log names the test and
// shows where it stuck instead of "Timeout" and nothing.
//
// The dump is taken from the watchdog's own thread, which is no goroutine
// and cannot stop the world: it is the fatal-error dump (racy: a goroutine
// may move while its stack is read, the block then says so). A test that
// forks (death tests) has no watchdog in the child: fork copies only the
// calling thread.
//
// Owns: one thread (started by the constructor, joined by the destructor)
// and its deadline; arm/disarm may be called from any thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

namespace gmpkit::testing {

// Every live goroutine (header and stack) and the scheduler's P/M/G state,
// from any thread, as the watchdog prints them; "(no gmpkit run active)"
// outside run().
std::string hang_report();

class Watchdog {
 public:
  explicit Watchdog(std::chrono::milliseconds budget);
  ~Watchdog();
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;

  // Starts the budget for `what` (a test name, for the report).
  void arm(std::string what);
  void disarm();

 private:
  void loop();
  [[noreturn]] void fire(const std::string& what);

  const std::chrono::milliseconds budget_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool armed_ = false;  // guarded by mu_
  bool quit_ = false;  // guarded by mu_
  std::chrono::steady_clock::time_point deadline_;  // guarded by mu_
  std::string what_;  // guarded by mu_
  std::thread thread_;  // last: started once the fields above exist
};

}  // namespace gmpkit::testing
