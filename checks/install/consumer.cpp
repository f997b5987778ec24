#include <gmpkit/gmpkit.hpp>

#include <atomic>
#include <cstdio>
#include <memory>

int main() {
  std::atomic<int> n{0};
  auto owned = std::make_unique<int>(7);
  gmpkit::run(gmpkit::Config{.procs = 2}, [&n, p = std::move(owned)] {
    gmpkit::WaitGroup wg;
    wg.add(100);
    for (int i = 0; i < 100; i++)
      gmpkit::go([&] {
        n += *p;
        wg.done();
      });
    wg.wait();
  });
  std::printf("consumer: %d\n", n.load());
  return n.load() == 700 ? 0 : 1;
}
