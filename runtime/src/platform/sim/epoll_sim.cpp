// platform/sim/epoll_sim.cpp — the poller against a simulated fd table
// (platform/epoll.hpp). eventfds are counters; any other fd is ready only
// when the test says so (testing::sim::fd_make_ready). epoll_wait blocks
// the simulated thread until a registered fd is ready or its timeout.
#include "platform/epoll.hpp"
#include "platform/sim/simulator.hpp"

namespace gmpkit::rt {

namespace simpoll {
std::uint32_t readiness(sim::Simulator* s, int fd) {
  if (auto e = s->eventfds.find(fd); e != s->eventfds.end()) return e->second ? kPollIn : 0;
  if (auto r = s->ready.find(fd); r != s->ready.end()) return r->second;
  return 0;
}

// Wakes pollers of every epoll instance that has fd registered.
void notify(sim::Simulator* s, int fd) {
  for (auto& [epfd, regs] : s->polls) {
    auto it = regs.find(fd);
    if (it == regs.end()) continue;
    if (readiness(s, fd) & it->second.events) {
      it->second.edge = true;
      s->wake(&regs, 1 << 30);
    }
  }
}
}  // namespace simpoll

using simpoll::notify;
using simpoll::readiness;

int epoll_create() noexcept {
  sim::Simulator* s = sim::g_sim;
  if (s == nullptr) return -1;
  const int fd = s->next_fd++;
  s->polls[fd];
  return fd;
}

int eventfd_create() noexcept {
  sim::Simulator* s = sim::g_sim;
  if (s == nullptr) return -1;
  const int fd = s->next_fd++;
  s->eventfds[fd] = 0;
  return fd;
}

bool epoll_add(int epfd, int fd, std::uint32_t events, void* data) noexcept {
  sim::Simulator* s = sim::g_sim;
  if (s == nullptr) return false;
  s->point(sim::Point::poll);
  auto p = s->polls.find(epfd);
  if (p == s->polls.end() || p->second.count(fd)) return false;
  p->second[fd] = sim::Simulator::PollReg{events, data, (readiness(s, fd) & events) != 0};
  return true;
}

bool epoll_mod(int epfd, int fd, std::uint32_t events, void* data) noexcept {
  sim::Simulator* s = sim::g_sim;
  if (s == nullptr) return false;
  s->point(sim::Point::poll);
  auto p = s->polls.find(epfd);
  if (p == s->polls.end()) return false;
  auto r = p->second.find(fd);
  if (r == p->second.end()) return false;
  // EPOLL_CTL_MOD re-evaluates readiness: a ready fd yields a new edge.
  r->second = sim::Simulator::PollReg{events, data, (readiness(s, fd) & events) != 0};
  return true;
}

bool epoll_del(int epfd, int fd) noexcept {
  sim::Simulator* s = sim::g_sim;
  if (s == nullptr) return false;
  s->point(sim::Point::poll);
  auto p = s->polls.find(epfd);
  return p != s->polls.end() && p->second.erase(fd) == 1;
}

int epoll_wait(int epfd, PollEvent* out, int max, int timeout_ms) noexcept {
  sim::Simulator* s = sim::g_sim;
  if (s == nullptr) return 0;
  s->point(sim::Point::poll);
  if (s->buggify()) return 0;  // interrupted (EINTR; Params::faults)
  auto p = s->polls.find(epfd);
  if (p == s->polls.end()) return 0;
  auto& regs = p->second;
  const std::int64_t deadline =
      timeout_ms < 0 ? -1 : s->now + static_cast<std::int64_t>(timeout_ms) * 1000000;
  for (;;) {
    int n = 0;
    for (auto& [fd, reg] : regs) {
      if (n == max) break;
      const std::uint32_t ev = readiness(s, fd) & (reg.events | kPollErr | kPollHup);
      if (ev == 0) continue;
      if ((reg.events & kPollEt) != 0) {
        if (!reg.edge) continue;
        reg.edge = false;
      }
      out[n++] = PollEvent{ev, reg.data};
    }
    if (n > 0 || timeout_ms == 0) return n;
    if (!s->block(&regs, deadline)) return 0;  // timed out
    if (s->frozen) return 0;
  }
}

void eventfd_signal(int fd) noexcept {
  sim::Simulator* s = sim::g_sim;
  if (s == nullptr) return;
  s->point(sim::Point::poll);
  auto e = s->eventfds.find(fd);
  if (e == s->eventfds.end()) return;
  e->second++;
  notify(s, fd);
}

void eventfd_drain(int fd) noexcept {
  sim::Simulator* s = sim::g_sim;
  if (s == nullptr) return;
  s->point(sim::Point::poll);
  if (auto e = s->eventfds.find(fd); e != s->eventfds.end()) e->second = 0;
}

void close_fd(int fd) noexcept {
  sim::Simulator* s = sim::g_sim;
  if (s == nullptr) return;
  s->polls.erase(fd);
  s->eventfds.erase(fd);
  for (auto& [epfd, regs] : s->polls) regs.erase(fd);
}

}  // namespace gmpkit::rt

namespace gmpkit::testing::sim {
void fd_make_ready(int fd, std::uint32_t events) noexcept {
  rt::sim::Simulator* s = rt::sim::g_sim;
  if (s == nullptr) return;
  s->point(rt::sim::Point::poll);
  if (events == 0) {
    s->ready.erase(fd);
    return;
  }
  s->ready[fd] |= events;
  rt::simpoll::notify(s, fd);
}
}  // namespace gmpkit::testing::sim
