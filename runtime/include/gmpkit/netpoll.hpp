// gmpkit/netpoll.hpp — waiting for file descriptors without blocking the
// thread (Go's netpoller: runtime_pollWait).
//
//   while ((n = ::read(fd, buf, len)) < 0 && errno == EAGAIN)
//     gmpkit::wait_readable(fd);
//
// The fd must be non-blocking. wait_readable/wait_writable park the calling
// goroutine (wait reason "IO wait") until epoll reports the fd ready (true)
// or the timeout expires (false). Readiness is edge-triggered, re-armed at
// each wait, so the usual pattern is: try the operation, and wait only after
// EAGAIN. A wait may return true spuriously (e.g. the first wait on an fd
// number that was closed and reused); retry the operation.
// One goroutine at a time may wait per fd and direction: a second
// concurrent waiter gets gmpkit::usage_error.
#pragma once

#include <chrono>
#include <optional>

namespace gmpkit {

bool wait_readable(int fd, std::optional<std::chrono::nanoseconds> timeout = {});
bool wait_writable(int fd, std::optional<std::chrono::nanoseconds> timeout = {});

}  // namespace gmpkit
