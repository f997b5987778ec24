// stress/storms/netpoll.cpp — the netpoller: sequenced 8-byte values over
// non-blocking pipes and loopback TCP connections. Writers write in random
// batch sizes and wait_writable on EAGAIN; readers wait_readable, reassemble
// values across partial reads and check the exact sequence 0,1,2,...; at
// the end the writer closes and the reader drains to EOF. Every value sent
// must be received once, in order.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include <gmpkit/netpoll.hpp>

#include "storm.hpp"

namespace gmpkit::stress {

namespace {

void writer(StormContext& ctx, int fd, std::uint64_t stream) {
  auto rng = ctx.rng(5000 + stream);
  auto& l = ctx.ledger();
  std::uint64_t seq = 0;
  std::vector<std::uint64_t> buf;
  while (ctx.running()) {
    buf.resize(1 + rng() % 64);
    for (auto& v : buf) v = seq++;
    const char* p = reinterpret_cast<const char*>(buf.data());
    std::size_t left = buf.size() * sizeof(std::uint64_t);
    while (left > 0) {
      const ssize_t n = ::write(fd, p, left);
      if (n > 0) {
        p += n;
        left -= static_cast<std::size_t>(n);
      } else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
        gmpkit::wait_writable(fd);
      } else {
        l.violation("netpoll: write: " + std::string(std::strerror(errno)));
        ::close(fd);
        return;
      }
    }
    l.sent.fetch_add(static_cast<std::int64_t>(buf.size()), std::memory_order_relaxed);
  }
  ::close(fd);
}

void reader(StormContext& ctx, int fd, const std::string& what) {
  auto& l = ctx.ledger();
  std::uint64_t expect = 0;
  unsigned char buf[4096 + 8];
  std::size_t have = 0;  // bytes of a partial value kept at the front
  for (;;) {
    const ssize_t n = ::read(fd, buf + have, 4096);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
      gmpkit::wait_readable(fd);
      continue;
    }
    if (n < 0) {
      l.violation("netpoll: read " + what + ": " + std::strerror(errno));
      break;
    }
    if (n == 0) break;  // EOF: the writer closed after its last value
    have += static_cast<std::size_t>(n);
    std::size_t off = 0;
    for (; off + 8 <= have; off += 8) {
      std::uint64_t v;
      std::memcpy(&v, buf + off, 8);
      if (v == expect) {
        l.received.fetch_add(1, std::memory_order_relaxed);
        l.add_ops();
        expect++;
      } else if (v < expect) {
        l.duplicated.fetch_add(1, std::memory_order_relaxed);
      } else {
        l.violation("netpoll: " + what + " got " + std::to_string(v) + ", expected " +
                    std::to_string(expect));
        expect = v + 1;
      }
    }
    std::memmove(buf, buf + off, have - off);
    have -= off;
  }
  if (have != 0) l.violation("netpoll: " + what + " ended inside a value");
  ::close(fd);
}

// A connected loopback TCP pair (client, server), both non-blocking.
bool tcp_pair(int lfd, const sockaddr_in& addr, int out[2]) {
  const int c = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (c < 0) return false;
  if (::connect(c, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0 &&
      errno != EINPROGRESS) {
    ::close(c);
    return false;
  }
  int s;
  while ((s = ::accept4(lfd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC)) < 0) {
    if (errno != EAGAIN && errno != EINTR) {
      ::close(c);
      return false;
    }
    gmpkit::wait_readable(lfd);
  }
  gmpkit::wait_writable(c);
  int err = 0;
  socklen_t len = sizeof err;
  ::getsockopt(c, SOL_SOCKET, SO_ERROR, &err, &len);
  if (err != 0) {
    ::close(c);
    ::close(s);
    return false;
  }
  const int one = 1;
  ::setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  out[0] = c;
  out[1] = s;
  return true;
}

}  // namespace

void netpoll_storm(StormContext& ctx) {
  WaitGroup wg;
  std::uint64_t stream = 0;
  for (int i = 0; i < ctx.scaled(16); i++) {
    int fds[2];
    if (::pipe2(fds, O_NONBLOCK | O_CLOEXEC) != 0) {
      ctx.ledger().violation("netpoll: pipe2: " + std::string(std::strerror(errno)));
      break;
    }
    const std::uint64_t s = stream++;
    ctx.go(&wg, [&ctx, fd = fds[1], s] { writer(ctx, fd, s); });
    ctx.go(&wg, [&ctx, fd = fds[0], i] { reader(ctx, fd, "pipe " + std::to_string(i)); });
  }

  const int lfd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t alen = sizeof addr;
  if (lfd < 0 || ::bind(lfd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(lfd, 64) != 0 ||
      ::getsockname(lfd, reinterpret_cast<sockaddr*>(&addr), &alen) != 0) {
    ctx.ledger().violation("netpoll: loopback listener: " + std::string(std::strerror(errno)));
  } else {
    for (int i = 0; i < ctx.scaled(16); i++) {
      int fds[2];
      if (!tcp_pair(lfd, addr, fds)) {
        ctx.ledger().violation("netpoll: loopback connect: " + std::string(std::strerror(errno)));
        break;
      }
      const std::uint64_t s = stream++;
      // Even pairs send client -> server, odd ones server -> client.
      const int w = i % 2 ? fds[1] : fds[0], r = i % 2 ? fds[0] : fds[1];
      ::shutdown(r, SHUT_WR);
      ctx.go(&wg, [&ctx, w, s] { writer(ctx, w, s); });
      ctx.go(&wg, [&ctx, r, i] { reader(ctx, r, "tcp " + std::to_string(i)); });
    }
  }
  wait_until_stopped(ctx);
  wg.wait();
  if (lfd >= 0) ::close(lfd);
}

}  // namespace gmpkit::stress
