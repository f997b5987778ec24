// Wait reasons: every way a goroutine parks records Go's string
// (runtime2.go waitReasonStrings), visible through debug::goroutines()
// together with how long the goroutine has waited. One goroutine is parked
// in each kind of wait; the test waits until all of them are `waiting` and
// checks each one's reason by goroutine id. The reasons that can only be
// seen in a race window (a second stop_the_world caller) are checked
// through the string table.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>
#include <gmpkit/gmpkit.hpp>

#include <atomic>
#include <chrono>
#include <map>
#include <string>

#include "core/gstatus.hpp"

using namespace std::chrono_literals;

namespace {

TEST(WaitReason, EveryParkShowsGosString) {
  // Everything the parked goroutines touch outlives run(): the ones that can
  // never be woken (nil channels, empty select) are unwound at shutdown.
  gmpkit::Chan<int> recv_ch(0), send_ch(0), sel_a(0), sel_b(0), nil_ch = gmpkit::Chan<int>::nil();
  gmpkit::Mutex mu;
  gmpkit::RWMutex rw_for_rlock, rw_for_lock;
  gmpkit::WaitGroup wg_wait;
  gmpkit::Mutex cond_mu;
  gmpkit::Cond cond(cond_mu);
  int pipefd[2] = {-1, -1};
  ASSERT_EQ(::pipe2(pipefd, O_NONBLOCK | O_CLOEXEC), 0);

  std::map<std::int64_t, std::string> want;  // goroutine id -> expected reason
  std::map<std::int64_t, std::string> got;
  std::map<std::int64_t, std::int64_t> waited;
  std::atomic<bool> cond_go{false};

  gmpkit::run(gmpkit::Config{}, [&] {
    gmpkit::Chan<std::int64_t> ids(64);
    auto spawn = [&](const char* reason, auto body) {
      gmpkit::go([&ids, body]() mutable {
        ids.send(gmpkit::goroutine_id());
        body();
      });
      want[*ids.recv()] = reason;
    };
    mu.lock();
    rw_for_rlock.lock();  // a writer holds it: readers wait
    rw_for_lock.rlock();  // a reader holds it: the writer waits
    wg_wait.add(1);
    spawn("chan receive", [&] { recv_ch.recv(); });
    spawn("chan send", [&] { send_ch.send(1); });
    spawn("select", [&] { gmpkit::select(gmpkit::recv_case(sel_a), gmpkit::recv_case(sel_b)); });
    spawn("select (no cases)", [] { gmpkit::select(); });
    spawn("chan receive (nil chan)", [&] { nil_ch.recv(); });
    spawn("chan send (nil chan)", [&] { nil_ch.send(1); });
    spawn("sleep", [] { gmpkit::sleep_for(1h); });
    spawn("sync.Mutex.Lock", [&] {
      mu.lock();
      mu.unlock();
    });
    spawn("sync.RWMutex.RLock", [&] {
      rw_for_rlock.rlock();
      rw_for_rlock.runlock();
    });
    spawn("sync.RWMutex.Lock", [&] {
      rw_for_lock.lock();
      rw_for_lock.unlock();
    });
    spawn("sync.WaitGroup.Wait", [&] { wg_wait.wait(); });
    spawn("sync.Cond.Wait", [&] {
      cond_mu.lock();
      while (!cond_go.load()) cond.wait();
      cond_mu.unlock();
    });
    spawn("IO wait", [&] { gmpkit::wait_readable(pipefd[0]); });

    // Wait until every one of them is parked.
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    for (;;) {
      got.clear();
      for (const auto& g : gmpkit::debug::goroutines()) {
        if (!want.count(g.id)) continue;
        if (g.status == "waiting") {
          got[g.id] = g.wait_reason;
          waited[g.id] = g.wait_ns;
        }
      }
      if (got.size() == want.size() || std::chrono::steady_clock::now() > deadline) break;
      gmpkit::sleep_for(1ms);
    }
    // Let them wait measurably, then look once more.
    gmpkit::sleep_for(2ms);
    for (const auto& g : gmpkit::debug::goroutines())
      if (want.count(g.id) && g.status == "waiting") waited[g.id] = g.wait_ns;

    // Release the ones that can be released, so they leave normally.
    send_ch.recv();
    recv_ch.send(1);
    sel_a.send(1);
    mu.unlock();
    rw_for_rlock.unlock();
    rw_for_lock.runlock();
    wg_wait.done();
    cond_mu.lock();
    cond_go = true;
    cond.broadcast();
    cond_mu.unlock();
    char c = 'x';
    ASSERT_EQ(::write(pipefd[1], &c, 1), 1);
  });
  ::close(pipefd[0]);
  ::close(pipefd[1]);

  for (const auto& [id, reason] : want) {
    ASSERT_TRUE(got.count(id)) << "goroutine " << id << " never parked (expected [" << reason
                               << "])";
    EXPECT_EQ(got[id], reason) << "goroutine " << id;
    EXPECT_GT(waited[id], 0) << "goroutine " << id << " [" << reason << "] has a wait time";
  }
}

TEST(WaitReason, StringTableIsGos) {
  using gmpkit::core::wait_reason_string;
  using gmpkit::core::WaitReason;
  const std::map<WaitReason, std::string> go = {
      {WaitReason::zero, ""},
      {WaitReason::io_wait, "IO wait"},
      {WaitReason::chan_receive_nil, "chan receive (nil chan)"},
      {WaitReason::chan_send_nil, "chan send (nil chan)"},
      {WaitReason::select, "select"},
      {WaitReason::select_no_cases, "select (no cases)"},
      {WaitReason::chan_receive, "chan receive"},
      {WaitReason::chan_send, "chan send"},
      {WaitReason::semacquire, "semacquire"},
      {WaitReason::sleep, "sleep"},
      {WaitReason::sync_cond_wait, "sync.Cond.Wait"},
      {WaitReason::sync_mutex_lock, "sync.Mutex.Lock"},
      {WaitReason::sync_rwmutex_rlock, "sync.RWMutex.RLock"},
      {WaitReason::sync_rwmutex_lock, "sync.RWMutex.Lock"},
      {WaitReason::sync_waitgroup_wait, "sync.WaitGroup.Wait"},
      {WaitReason::preempted, "preempted"},
      {WaitReason::stopping_the_world, "stopping the world"},
      {WaitReason::gomaxprocs, "GOMAXPROCS"},
  };
  for (const auto& [r, s] : go) EXPECT_EQ(wait_reason_string(r), s) << static_cast<int>(r);
}

}  // namespace
