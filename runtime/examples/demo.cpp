// gmpkit_demo — the runtime at work: fan out goroutines, let them sleep,
// yield and hand work around, then print what the scheduler did.
#include <gmpkit/gmpkit.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>

int main(int argc, char** argv) {
  int n = argc > 1 ? std::atoi(argv[1]) : 100000;
  gmpkit::Config cfg;
  auto t0 = std::chrono::steady_clock::now();
  std::atomic<long> sum{0};
  gmpkit::Metrics st;
  int procs = 0;
  gmpkit::run(cfg, [&] {
    procs = gmpkit::gomaxprocs();
    gmpkit::WaitGroup wg;
    wg.add(n);
    for (int i = 0; i < n; i++) {
      gmpkit::go([&, i] {
        if (i % 1000 == 0) gmpkit::sleep_for(std::chrono::milliseconds(1));
        if (i % 7 == 0) gmpkit::yield();
        sum.fetch_add(i, std::memory_order_relaxed);
        wg.done();
      });
    }
    wg.wait();
    st = gmpkit::metrics();
  });
  double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  long want = static_cast<long>(n) * (n - 1) / 2;
  std::printf("gmpkit demo: %d goroutines on %d Ps in %.1f ms (%.0f ns/goroutine)\n", n, procs, ms,
              ms * 1e6 / n);
  std::printf(
      "  sum=%ld (expected %ld) threads=%lld steals=%lld runqputslow=%lld stacks guarded=%lld "
      "canary=%lld\n",
      sum.load(), want, (long long)st.threads, (long long)st.steals, (long long)st.runqputslow,
      (long long)st.stacks_guarded, (long long)st.stacks_canary);
  return sum.load() == want ? 0 : 1;
}
