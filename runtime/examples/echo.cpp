// examples/echo.cpp — a TCP echo server and its clients on 127.0.0.1, all
// goroutines in one gmpkit runtime, blocking only goroutines (never
// threads) on sockets through the netpoller.
//
//   gmpkit_echo [clients=200] [messages=50]      self-test: server + clients,
//                                                verifies every echo, exits 0
//   gmpkit_echo --serve PORT                     echo server until killed
//                                                (try: nc 127.0.0.1 PORT)
//
// The pattern every socket call follows: try the non-blocking call; on
// EAGAIN park the goroutine with wait_readable / wait_writable; retry.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <system_error>

#include "gmpkit/gmpkit.hpp"

namespace {

[[noreturn]] void die(const char* what) {
  throw std::system_error(errno, std::generic_category(), what);
}

// A socket fd closed by its destructor, so goroutines unwound at shutdown
// (gmpkit::forced_unwind) close theirs too.
struct Fd {
  int fd = -1;
  explicit Fd(int f) : fd(f) {}
  Fd(Fd&& o) noexcept : fd(o.fd) { o.fd = -1; }
  Fd(const Fd&) = delete;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

Fd listen_on(int port) {
  Fd s(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (s.fd < 0) die("socket");
  int one = 1;
  ::setsockopt(s.fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  if (::bind(s.fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) die("bind");
  if (::listen(s.fd, 1024) != 0) die("listen");
  return s;
}

int port_of(int fd) {
  sockaddr_in a{};
  socklen_t len = sizeof a;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) die("getsockname");
  return ntohs(a.sin_port);
}

Fd accept_g(int lfd) {
  for (;;) {
    int c = ::accept4(lfd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (c >= 0) return Fd(c);
    if (errno == EAGAIN || errno == EINTR) {
      gmpkit::wait_readable(lfd);
      continue;
    }
    die("accept4");
  }
}

// read() that parks the goroutine; returns 0 at EOF.
std::size_t read_g(int fd, char* buf, std::size_t len) {
  for (;;) {
    ssize_t n = ::read(fd, buf, len);
    if (n >= 0) return static_cast<std::size_t>(n);
    if (errno == EAGAIN || errno == EINTR) {
      gmpkit::wait_readable(fd);
      continue;
    }
    if (errno == ECONNRESET) return 0;
    die("read");
  }
}

void write_all_g(int fd, const char* buf, std::size_t len) {
  while (len > 0) {
    ssize_t n = ::write(fd, buf, len);
    if (n > 0) {
      buf += n;
      len -= static_cast<std::size_t>(n);
    } else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
      gmpkit::wait_writable(fd);
    } else {
      die("write");
    }
  }
}

Fd connect_g(int port) {
  Fd s(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (s.fd < 0) die("socket");
  int one = 1;
  ::setsockopt(s.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  if (::connect(s.fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    if (errno != EINPROGRESS) die("connect");
    gmpkit::wait_writable(s.fd);  // connected (or failed: check SO_ERROR)
    int err = 0;
    socklen_t len = sizeof err;
    ::getsockopt(s.fd, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) {
      errno = err;
      die("connect");
    }
  }
  return s;
}

// One goroutine per connection, as a Go server would.
void serve_conn(Fd c, std::atomic<long>* bytes) {
  char buf[4096];
  for (;;) {
    std::size_t n = read_g(c.fd, buf, sizeof buf);
    if (n == 0) return;
    write_all_g(c.fd, buf, n);
    bytes->fetch_add(static_cast<long>(n), std::memory_order_relaxed);
  }
}

void accept_loop(int lfd, std::atomic<long>* bytes) {
  for (;;) {
    Fd c = accept_g(lfd);
    gmpkit::go([c = std::move(c), bytes]() mutable { serve_conn(std::move(c), bytes); });
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 3 && std::strcmp(argv[1], "--serve") == 0) {
    int port = std::atoi(argv[2]);
    gmpkit::run([port] {
      Fd l = listen_on(port);
      std::printf("gmpkit_echo: serving on 127.0.0.1:%d (%d Ps)\n", port_of(l.fd),
                  gmpkit::gomaxprocs());
      std::fflush(stdout);
      std::atomic<long> bytes{0};
      accept_loop(l.fd, &bytes);
    });
    return 0;
  }

  const int clients = argc > 1 ? std::atoi(argv[1]) : 200;
  const int messages = argc > 2 ? std::atoi(argv[2]) : 50;
  std::atomic<long> echoed{0}, verified{0}, mismatches{0};
  int procs = 0;
  auto t0 = std::chrono::steady_clock::now();
  gmpkit::run([&] {
    procs = gmpkit::gomaxprocs();
    Fd l = listen_on(0);
    const int port = port_of(l.fd);
    gmpkit::go([lfd = l.fd, &echoed] { accept_loop(lfd, &echoed); });

    gmpkit::WaitGroup wg;
    wg.add(clients);
    for (int i = 0; i < clients; i++) {
      gmpkit::go([&, i] {
        Fd s = connect_g(port);
        char in[128];
        for (int m = 0; m < messages; m++) {
          std::string msg = "client " + std::to_string(i) + " message " + std::to_string(m) + "\n";
          write_all_g(s.fd, msg.data(), msg.size());
          std::size_t got = 0;
          while (got < msg.size()) {
            std::size_t n = read_g(s.fd, in + got, msg.size() - got);
            if (n == 0) break;
            got += n;
          }
          if (got == msg.size() && std::memcmp(in, msg.data(), got) == 0)
            verified.fetch_add(1);
          else
            mismatches.fetch_add(1);
        }
        wg.done();
      });
    }
    wg.wait();
    // main returns: the accept loop and the idle connection goroutines are
    // unwound, closing their sockets.
  });
  double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  long expect = static_cast<long>(clients) * messages;
  std::printf(
      "gmpkit_echo: %d clients x %d messages over TCP 127.0.0.1, %d Ps: %ld/%ld round trips "
      "verified, "
      "%ld bytes echoed, %.1f ms (%.1f us per round trip)\n",
      clients, messages, procs, verified.load(), expect, echoed.load(), ms,
      expect ? ms * 1000 / static_cast<double>(expect) : 0.0);
  if (verified.load() != expect || mismatches.load() != 0) {
    std::fprintf(stderr, "gmpkit_echo: FAILED: %ld mismatches\n", mismatches.load());
    return 1;
  }
  return 0;
}
