// fiber_peer — Boost.Fiber peer of gmpkit's scheduling benchmarks, same
// workload, run by reports/ interleaved with gmpkit. The work_stealing
// scheduler on --procs threads (the calling thread plus procs-1 workers):
//   fiber_peer yield               two fibers yield in turn, 1 thread
//                                  (BM_YieldRoundTrip); ns per yield
//   fiber_peer pingpong --procs P  ping-pong over two buffered_channel<int>
//                                  (capacity 2: Boost's minimum) between the
//                                  main fiber and a partner
//                                  (BM_ChanPingPong/procs:P); ns per round trip
// Not here (yet): skynet and ping-pong on 2+ threads. Both hung (no progress
// in 30 s) with work_stealing on 2 threads on the 2-core dev VM (Boost 1.74);
// the cause is not known, so reports/ runs Boost.Fiber only where it works.
#include <boost/fiber/all.hpp>
#include <boost/version.hpp>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

#include "peer_result.hpp"

namespace {

namespace bf = boost::fibers;

// The worker threads of a work_stealing pool: each installs the scheduler and
// sleeps on a condition variable until main is done (Boost's example idiom).
class Pool {
 public:
  explicit Pool(int procs) : procs_(procs) {
    bf::use_scheduling_algorithm<bf::algo::work_stealing>(procs_, true);
    for (int i = 1; i < procs_; i++)
      threads_.emplace_back([this] {
        bf::use_scheduling_algorithm<bf::algo::work_stealing>(procs_, true);
        std::unique_lock<bf::mutex> l(mu_);
        cv_.wait(l, [this] { return done_; });
      });
  }
  ~Pool() {
    {
      std::unique_lock<bf::mutex> l(mu_);
      done_ = true;
    }
    cv_.notify_all();
    for (auto& t : threads_) t.join();
  }

 private:
  int procs_;
  std::vector<std::thread> threads_;
  bf::mutex mu_;
  bf::condition_variable_any cv_;
  bool done_ = false;
};

}  // namespace

int main(int argc, char** argv) {
  auto a = gmpkit_peers::parse(argc, argv,
                               "fiber_peer yield|pingpong [--procs N] [--t S]");
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
    auto [ns, n] = gmpkit_peers::loop(a.min_s, [&](std::int64_t k) {
      for (std::int64_t i = 0; i < k; i++) {
        ping.push(v);
        v = pong.value_pop();
      }
    });
    ping.close();
    partner.join();
    gmpkit_peers::emit("boost_fiber", version, "chan_pingpong/procs:" + std::to_string(a.procs), ns,
                       n, a.procs);
  } else {
    std::fprintf(stderr, "fiber_peer: unknown workload %s\n", a.workload.c_str());
    return 2;
  }
  return 0;
}
