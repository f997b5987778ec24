#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>

#include "platform/epoll.hpp"

namespace gmpkit::rt {

static_assert(kPollIn == EPOLLIN && kPollOut == EPOLLOUT && kPollErr == EPOLLERR &&
              kPollHup == EPOLLHUP && kPollRdHup == EPOLLRDHUP && kPollEt == EPOLLET);

int epoll_create() noexcept { return ::epoll_create1(EPOLL_CLOEXEC); }
int eventfd_create() noexcept { return ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK); }

bool epoll_add(int epfd, int fd, std::uint32_t events, void* data) noexcept {
  epoll_event ev{};
  ev.events = events;
  ev.data.ptr = data;
  return ::epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) == 0;
}

bool epoll_mod(int epfd, int fd, std::uint32_t events, void* data) noexcept {
  epoll_event ev{};
  ev.events = events;
  ev.data.ptr = data;
  return ::epoll_ctl(epfd, EPOLL_CTL_MOD, fd, &ev) == 0;
}

bool epoll_del(int epfd, int fd) noexcept {
  epoll_event ev{};
  return ::epoll_ctl(epfd, EPOLL_CTL_DEL, fd, &ev) == 0;
}

int epoll_wait(int epfd, PollEvent* out, int max, int timeout_ms) noexcept {
  epoll_event evs[128];
  if (max > 128) max = 128;
  int n = ::epoll_wait(epfd, evs, max, timeout_ms);
  if (n < 0) return 0;  // EINTR: the caller re-checks and polls again
  for (int i = 0; i < n; i++) out[i] = PollEvent{evs[i].events, evs[i].data.ptr};
  return n;
}

void eventfd_signal(int fd) noexcept {
  std::uint64_t one = 1;
  // EAGAIN (counter saturated) still leaves the fd readable: fine.
  while (::write(fd, &one, sizeof one) < 0 && errno == EINTR) {}
}

void eventfd_drain(int fd) noexcept {
  std::uint64_t v;
  while (::read(fd, &v, sizeof v) < 0 && errno == EINTR) {}
}

void close_fd(int fd) noexcept { ::close(fd); }

}  // namespace gmpkit::rt
