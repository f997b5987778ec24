// platform/epoll.hpp — the poller primitives (epoll + eventfd on Linux).
#pragma once
#include <cstdint>

namespace gmpkit::rt {

struct PollEvent {
  std::uint32_t events;
  void* data;
};

int epoll_create() noexcept;  // -1 on failure
int eventfd_create() noexcept;  // non-blocking eventfd
bool epoll_add(int epfd, int fd, std::uint32_t events, void* data) noexcept;
bool epoll_mod(int epfd, int fd, std::uint32_t events, void* data) noexcept;
bool epoll_del(int epfd, int fd) noexcept;
// Waits up to timeout_ms (-1 forever). Returns the number of events, 0 on
// timeout or EINTR.
int epoll_wait(int epfd, PollEvent* out, int max, int timeout_ms) noexcept;
void eventfd_signal(int fd) noexcept;
void eventfd_drain(int fd) noexcept;
void close_fd(int fd) noexcept;

inline constexpr std::uint32_t kPollIn = 0x001;
inline constexpr std::uint32_t kPollOut = 0x004;
inline constexpr std::uint32_t kPollErr = 0x008;
inline constexpr std::uint32_t kPollHup = 0x010;
inline constexpr std::uint32_t kPollRdHup = 0x2000;
inline constexpr std::uint32_t kPollEt = 1u << 31;

}  // namespace gmpkit::rt
