#include <linux/futex.h>
#include <sched.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "platform/futex.hpp"

namespace gmpkit::rt {

void futexsleep(std::atomic<std::uint32_t>* addr, std::uint32_t val, std::int64_t ns) noexcept {
  static_assert(sizeof(std::atomic<std::uint32_t>) == sizeof(std::uint32_t));
  timespec ts;
  timespec* tsp = nullptr;
  if (ns >= 0) {
    ts.tv_sec = ns / 1000000000;
    ts.tv_nsec = ns % 1000000000;
    tsp = &ts;
  }
  // EINTR, EAGAIN and ETIMEDOUT are all "return and let the caller re-check".
  ::syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(addr), FUTEX_WAIT_PRIVATE, val, tsp,
            nullptr, 0);
}

void futexwakeup(std::atomic<std::uint32_t>* addr, std::uint32_t cnt) noexcept {
  ::syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(addr), FUTEX_WAKE_PRIVATE, cnt, nullptr,
            nullptr, 0);
}

void procyield(std::uint32_t cycles) noexcept {
  for (std::uint32_t i = 0; i < cycles; i++) {
#if defined(__x86_64__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    asm volatile("yield");
#endif
  }
}

void osyield() noexcept { ::sched_yield(); }

void usleep(std::uint32_t us) noexcept {
  timespec ts{static_cast<time_t>(us / 1000000), static_cast<long>(us % 1000000) * 1000};
  ::nanosleep(&ts, nullptr);
}

}  // namespace gmpkit::rt
