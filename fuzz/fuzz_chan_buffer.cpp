// fuzz/fuzz_chan_buffer.cpp — a buffered channel's ring (sync/chan.cpp)
// against a deque model, one goroutine, non-blocking operations (select
// with a default case: Go's `select { case c <- v: default: }`): send,
// receive, close, len/cap, and the errors close and send-after-close raise.
// Runs on the deterministic simulator.
#include <FuzzedDataProvider.h>

#include <cstdint>
#include <deque>
#include <optional>
#include <string>

#include "common/fuzz_support.hpp"
#include "gmpkit/gmpkit.hpp"
#include "gmpkit/testing/sim.hpp"

namespace {

namespace sim = gmpkit::testing::sim;

[[noreturn]] void mismatch(const std::string& what) {
  sim::fail(("channel model mismatch: " + what).c_str());
}

void drive(FuzzedDataProvider& in) {
  const std::size_t cap = in.ConsumeIntegralInRange<std::size_t>(1, 64);
  gmpkit::Chan<std::uint32_t> c(cap);
  std::deque<std::uint32_t> model;
  bool closed = false;
  std::uint32_t next = 1;
  while (in.remaining_bytes() > 0) {
    switch (in.ConsumeIntegralInRange<int>(0, 4)) {
      case 0:
      case 1: {  // try-send
        const std::uint32_t v = next++;
        bool sent = false, threw = false;
        try {
          const std::size_t i =
              gmpkit::select(gmpkit::send_case(c, v, [&] { sent = true; }), gmpkit::default_case());
          if (sent != (i == 0)) mismatch("select index vs send callback");
        } catch (const gmpkit::chan_error&) {
          threw = true;
        }
        if (threw != closed)
          mismatch(closed ? "send on a closed channel did not throw" : "send threw");
        if (!closed && sent != (model.size() < cap))
          mismatch("send with " + std::to_string(model.size()) + "/" + std::to_string(cap) +
                   " buffered " + (sent ? "proceeded" : "did not proceed"));
        if (sent) model.push_back(v);
        break;
      }
      case 2: {  // try-receive
        std::optional<std::uint32_t> got;
        bool ran = false;
        const std::size_t i = gmpkit::select(gmpkit::recv_case(c,
                                                               [&](std::optional<std::uint32_t> v) {
                                                                 got = v;
                                                                 ran = true;
                                                               }),
                                             gmpkit::default_case());
        if (!model.empty()) {
          if (i != 0 || !got || *got != model.front())
            mismatch("receive: expected " + std::to_string(model.front()));
          model.pop_front();
        } else if (closed) {
          if (i != 0 || !ran || got) mismatch("receive on a closed, drained channel");
        } else if (i != 1) {
          mismatch("receive on an empty channel proceeded");
        }
        break;
      }
      case 3: {  // close
        bool threw = false;
        try {
          c.close();
        } catch (const gmpkit::chan_error&) {
          threw = true;
        }
        if (threw != closed) mismatch(closed ? "second close did not throw" : "close threw");
        closed = true;
        break;
      }
      case 4:  // len / cap
        if (c.size() != model.size() || c.capacity() != cap)
          mismatch("len " + std::to_string(c.size()) + " cap " + std::to_string(c.capacity()) +
                   ", model " + std::to_string(model.size()) + "/" + std::to_string(cap));
        break;
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  sim::Params p;
  p.seed = 1;
  sim::set_replay_command(gmpkit::fuzz::replay_command(data, size));
  sim::run(p, [&] {
    gmpkit::Config cfg;
    cfg.procs = 1;
    gmpkit::run(cfg, [&] { drive(in); });
  });
  return 0;
}
