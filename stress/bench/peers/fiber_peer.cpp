// fiber_peer — Boost.Fiber peer of gmpkit's scheduling benchmarks, same
// workload, run by reports/ interleaved with gmpkit. The work_stealing
// scheduler on --procs threads (the calling thread plus procs-1 workers):
//   fiber_peer yield               two fibers yield in turn, 1 thread
//                                  (BM_YieldRoundTrip); ns per yield
//   fiber_peer pingpong --procs P  ping-pong over two buffered_channel<int>
//                                  (capacity 2: Boost's minimum) between the
//                                  main fiber and a partner
//                                  (BM_ChanPingPong/procs:P); ns per round trip
//   fiber_peer skynet --size N     skynet (BM_Skynet/size:N): a tree of
//                                  detached fibers, 10 children per node, N
//                                  leaves; each node sums its children's
//                                  numbers over a buffered_channel; all
//                                  hardware threads; ns per fiber
//
// How work_stealing has to be set up (Boost 1.74; the earlier version of this
// file hung in every run with 2+ threads, for the first reason, and so does the
// order of Boost's older examples, main thread first):
// - work_stealing's constructor waits on a function-local static barrier of
//   thread_count threads (gdb: main blocked in pthread_cond_wait on
//   `work_stealing::work_stealing(unsigned, bool)::b`, no other thread). So the
//   workers must be started before the calling thread installs the
//   scheduler; the calling thread installing first waits for threads it has
//   not yet created.
// - That barrier and the static scheduler registry make work_stealing usable
//   once per process, with one thread count (boostorg/fiber#217): one Pool.
// - suspend=true lets an idle thread sleep until its own scheduler is notified,
//   which nothing does when work is queued on another thread
//   (boostorg/fiber#327): the second thread then never steals and the "2
//   thread" run is a 1-thread run. So idle threads spin stealing
//   (suspend=false, Boost's default and the setting of its own skynet
//   benchmark); a worker therefore keeps its core busy for the whole run, and
//   on a loaded machine a cross-thread round trip (pingpong --procs 2) waits
//   until the kernel runs both spinning threads at once.
// - Every worker stays in the pool (its main fiber blocked on a fiber
//   condition variable) until main has joined or drained all fibers.
// - Stacks: skynet's 1,111,111 fibers are shallow and get 16 KiB malloc'd
//   stacks (fixedsize_stack; Boost's own skynet benchmark uses one page). With
//   the 128 KiB default a 1M tree also completes here, in 9.1 s at 2.4 GB max
//   RSS (16 KiB: 2.1-8.6 s, 0.5-2.4 GB over 20 runs on a loaded 2-core VM).
// A watchdog (peer_result.hpp) ends a run that makes no result in --timeout
// seconds with a message naming the workload, so a hang fails the report's
// run instead of blocking it.
#include <boost/fiber/all.hpp>
#include <boost/version.hpp>

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <thread>
#include <vector>

#include "peer_result.hpp"

namespace {

namespace bf = boost::fibers;

// Idle threads spin stealing: with suspend=true they would never wake to steal
// (boostorg/fiber#327, see above).
constexpr bool kSuspendIdle = false;

// The threads of the process's one work_stealing pool: procs-1 workers plus the
// calling thread, which installs the scheduler last (see above).
class Pool {
 public:
  explicit Pool(int procs) {
    static std::atomic<bool> made{false};
    if (made.exchange(true, std::memory_order_relaxed)) {  // only a flag: no data is published
      std::fprintf(stderr, "fiber_peer: work_stealing can be installed once per process\n");
      std::abort();
    }
    const auto n = static_cast<std::uint32_t>(procs);
    for (int i = 1; i < procs; i++)
      threads_.emplace_back([this, n] {
        bf::use_scheduling_algorithm<bf::algo::work_stealing>(n, kSuspendIdle);
        std::unique_lock<bf::mutex> l(mu_);
        cv_.wait(l, [this] { return done_; });
      });
    // Returns once all procs threads have installed theirs (Boost's barrier).
    bf::use_scheduling_algorithm<bf::algo::work_stealing>(n, kSuspendIdle);
  }
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;
  ~Pool() {
    {
      std::unique_lock<bf::mutex> l(mu_);
      done_ = true;
    }
    cv_.notify_all();
    for (auto& t : threads_) t.join();
  }

 private:
  std::vector<std::thread> threads_;
  bf::mutex mu_;
  bf::condition_variable_any cv_;
  bool done_ = false;
};

using SkynetChan = bf::buffered_channel<std::int64_t>;
constexpr std::size_t kSkynetStack = 16 * 1024;
// A power of two (Boost's rule) of at least 10: no child ever blocks on its
// send, as with the Go peer's and gmpkit's cap-10 channels.
constexpr std::size_t kSkynetChanCap = 16;

// Fibers of the tree that have not returned yet; main waits for 0 before the
// pool shuts down, so no worker leaves while a fiber is still running.
std::atomic<std::int64_t> g_live{0};

void skynet(bf::fixedsize_stack& salloc, SkynetChan& out, std::int64_t num, std::int64_t size) {
  if (size == 1) {
    out.push(num);
  } else {
    SkynetChan rc(kSkynetChanCap);
    const std::int64_t child = size / 10;
    g_live.fetch_add(10, std::memory_order_relaxed);  // a count: the channel orders the data
    for (int i = 0; i < 10; i++)
      bf::fiber(std::allocator_arg, salloc, [&salloc, &rc, n = num + i * child, child] {
        skynet(salloc, rc, n, child);
      }).detach();
    std::int64_t sum = 0;
    for (int i = 0; i < 10; i++) sum += rc.value_pop();
    out.push(sum);
  }
  g_live.fetch_sub(1, std::memory_order_release);  // pairs with main's acquire load
}

}  // namespace

int main(int argc, char** argv) {
  auto a = gmpkit_peers::parse(
      argc, argv, "fiber_peer yield|pingpong|skynet [--procs N] [--t S] [--size N] [--timeout S]");
  gmpkit_peers::arm_watchdog("fiber_peer", a);
  const std::string version = std::to_string(BOOST_VERSION / 100000) + "." +
                              std::to_string(BOOST_VERSION / 100 % 1000) + "." +
                              std::to_string(BOOST_VERSION % 100);
  if (a.workload == "yield") {
    Pool pool(1);
    std::atomic<bool> stop{false};
    bf::fiber partner([&] {
      while (!stop.load(std::memory_order_relaxed)) boost::this_fiber::yield();
    });
    boost::this_fiber::yield();
    auto [ns, n] = gmpkit_peers::loop(a.min_s, [](std::int64_t k) {
      for (std::int64_t i = 0; i < k; i++) boost::this_fiber::yield();
    });
    stop = true;
    partner.join();
    gmpkit_peers::emit("boost_fiber", version, "yield/procs:1", ns / 2, n * 2, 1);
  } else if (a.workload == "pingpong") {
    Pool pool(a.procs);
    bf::buffered_channel<int> ping(2), pong(2);
    bf::fiber partner([&] {
      int v;
      while (ping.pop(v) == bf::channel_op_status::success) pong.push(v + 1);
    });
    int v = 0;
    std::int64_t sent = 0;
    auto [ns, n] = gmpkit_peers::loop(a.min_s, [&](std::int64_t k) {
      sent += k;
      for (std::int64_t i = 0; i < k; i++) {
        ping.push(v);
        v = pong.value_pop();
      }
    });
    ping.close();
    partner.join();
    if (v != static_cast<int>(sent)) {
      std::fprintf(stderr, "fiber_peer pingpong: lost a message\n");
      return 1;
    }
    gmpkit_peers::emit("boost_fiber", version, "chan_pingpong/procs:" + std::to_string(a.procs), ns,
                       n, a.procs);
  } else if (a.workload == "skynet") {
    a.procs = static_cast<int>(std::thread::hardware_concurrency());
    if (a.procs < 1) a.procs = 1;
    const std::int64_t nodes = (a.size * 10 - 1) / 9;
    const std::int64_t want = a.size * (a.size - 1) / 2;
    Pool pool(a.procs);
    bf::fixedsize_stack salloc(kSkynetStack);
    bool ok = true;
    auto [ns, n] = gmpkit_peers::loop(a.min_s, [&](std::int64_t k) {
      for (std::int64_t i = 0; i < k; i++) {
        SkynetChan out(2);
        g_live.fetch_add(1, std::memory_order_relaxed);  // a count, as in skynet()
        bf::fiber(std::allocator_arg, salloc, [&] { skynet(salloc, out, 0, a.size); }).detach();
        ok &= out.value_pop() == want;
        // The root's last act is its decrement, after the send main received.
        while (g_live.load(std::memory_order_acquire) != 0) boost::this_fiber::yield();
      }
    });
    if (!ok) {
      std::fprintf(stderr, "fiber_peer skynet: wrong sum\n");
      return 1;
    }
    gmpkit_peers::emit("boost_fiber", version, "skynet/size:" + std::to_string(a.size),
                       ns / static_cast<double>(nodes), n * nodes, a.procs);
  } else {
    std::fprintf(stderr, "fiber_peer: unknown workload %s\n", a.workload.c_str());
    return 2;
  }
  return 0;
}
