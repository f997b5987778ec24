// preempt_storm.hpp — test helper for preempt_test / preempt_stress_test /
// preempt_bench: a plain OS thread (not an M) that, every `period`, asks
// every running P to preempt its goroutine (sysmon::preemptone: the flag plus
// SIGURG when async preemption is on) and, with `raw`, also sends a bare
// SIGURG to each running M's thread — including at points that are not
// async safe (runtime code, libc, locks held), which must be ignored.
// Construct and destroy it inside gmpkit::run().
#pragma once

#include <atomic>
#include <chrono>
#include <thread>

#include "core/m.hpp"
#include "core/sched.hpp"
#include "platform/annotations.hpp"
#include "platform/signal.hpp"
#include "sysmon/preempt.hpp"

namespace gmpkit::test {

// False in builds where async preemption is compiled out (TSan).
inline bool async_preempt_compiled_in() {
#if GMPKIT_TSAN
  return false;
#else
  return true;
#endif
}

class PreemptStorm {
 public:
  PreemptStorm(std::chrono::microseconds period, bool raw) : stop_(false) {
    thread_ = std::thread([this, period, raw] {
      while (!stop_.load(std::memory_order_relaxed)) {
        for (core::P* pp : core::sched->allp) {
          if (pp->pstatus() != core::PStatus::running) continue;
          sysmon::preemptone(pp);
          if (raw) {
            core::M* mp = pp->m;  // racy on purpose, as preemptone's own read
            if (mp != nullptr && mp->procid != 0) rt::signal_thread(mp->procid, rt::kSigPreempt);
          }
        }
        std::this_thread::sleep_for(period);
      }
    });
  }
  ~PreemptStorm() {
    stop_.store(true);
    thread_.join();
  }
  PreemptStorm(const PreemptStorm&) = delete;
  PreemptStorm& operator=(const PreemptStorm&) = delete;

 private:
  std::atomic<bool> stop_;
  std::thread thread_;
};

}  // namespace gmpkit::test
