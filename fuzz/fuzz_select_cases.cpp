// fuzz/fuzz_select_cases.cpp — selectgo (sync/select.cpp) against a model:
// up to four cases over channels in known states (buffered with values or
// room, full, closed, nil, unbuffered with no partner), with or without a
// default case. The chosen case must be one the model says can proceed
// (default only when none can), a receive must get the model's front value
// (or "closed"), a send must land at the model's tail. Without a default
// and with no case ready the program would block: the harness skips those
// (that path is fuzz_ops_sim's). Runs on the deterministic simulator.
#include <FuzzedDataProvider.h>

#include <array>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>

#include "common/fuzz_support.hpp"
#include "gmpkit/gmpkit.hpp"
#include "gmpkit/testing/sim.hpp"

namespace {

namespace sim = gmpkit::testing::sim;
using U = std::uint32_t;

[[noreturn]] void mismatch(const std::string& what) {
  sim::fail(("select model mismatch: " + what).c_str());
}

struct ModelChan {
  gmpkit::Chan<U> c = gmpkit::Chan<U>::nil();  // made in drive() unless nil
  std::size_t cap = 0;
  bool nil = false, closed = false;
  std::deque<U> buf;
  bool can_send() const { return !nil && (closed || buf.size() < cap); }  // closed: throws
  bool can_recv() const { return !nil && (closed || !buf.empty()); }
};

template <class F>
std::size_t select4(ModelChan* ch, const int* which, const bool* is_send, const U* vals, bool dflt,
                    F&& on_recv) {
  auto rc = [&](int k) {
    return gmpkit::recv_case(ch[which[k]].c, [&, k](std::optional<U> v) { on_recv(k, v); });
  };
  auto sc = [&](int k) { return gmpkit::send_case(ch[which[k]].c, vals[k]); };
  // Every combination of send/recv for 2 cases (+ default): enough shapes for the
  // fuzzer, each a distinct selectgo call site.
  const int shape = (is_send[0] ? 1 : 0) | (is_send[1] ? 2 : 0);
  if (dflt) {
    switch (shape) {
      case 0:
        return gmpkit::select(rc(0), rc(1), gmpkit::default_case());
      case 1:
        return gmpkit::select(sc(0), rc(1), gmpkit::default_case());
      case 2:
        return gmpkit::select(rc(0), sc(1), gmpkit::default_case());
      default:
        return gmpkit::select(sc(0), sc(1), gmpkit::default_case());
    }
  }
  switch (shape) {
    case 0:
      return gmpkit::select(rc(0), rc(1));
    case 1:
      return gmpkit::select(sc(0), rc(1));
    case 2:
      return gmpkit::select(rc(0), sc(1));
    default:
      return gmpkit::select(sc(0), sc(1));
  }
}

void drive(FuzzedDataProvider& in) {
  std::array<ModelChan, 3> ch;
  U next = 1;
  for (auto& m : ch) {
    const int kind = in.ConsumeIntegralInRange<int>(0, 3);
    if (kind == 0) {
      m.nil = true;
      continue;
    }
    m.cap = kind == 1 ? 0 : in.ConsumeIntegralInRange<std::size_t>(1, 4);
    m.c = gmpkit::Chan<U>(m.cap);
    const std::size_t fill = m.cap ? in.ConsumeIntegralInRange<std::size_t>(0, m.cap) : 0;
    for (std::size_t i = 0; i < fill; i++) {
      m.c.send(next);
      m.buf.push_back(next++);
    }
  }
  while (in.remaining_bytes() > 0) {
    int which[2];
    bool is_send[2];
    U vals[2];
    for (int k = 0; k < 2; k++) {
      which[k] = in.ConsumeIntegralInRange<int>(0, 2);
      is_send[k] = in.ConsumeBool();
      vals[k] = next++;
    }
    const bool dflt = in.ConsumeBool();
    if (in.ConsumeIntegralInRange<int>(0, 7) == 0) {  // close one now and then
      ModelChan& m = ch[static_cast<std::size_t>(in.ConsumeIntegralInRange<int>(0, 2))];
      if (!m.nil && !m.closed) {
        m.c.close();
        m.closed = true;
      }
    }
    bool ready[2];
    bool any = false;
    for (int k = 0; k < 2; k++) {
      const ModelChan& m = ch[static_cast<std::size_t>(which[k])];
      ready[k] = is_send[k] ? m.can_send() : m.can_recv();
      any = any || ready[k];
    }
    if (!any && !dflt) continue;  // would block forever
    int recv_k = -1;
    std::optional<U> got;
    std::size_t i;
    try {
      i = select4(ch.data(), which, is_send, vals, dflt, [&](int k, std::optional<U> v) {
        recv_k = k;
        got = v;
      });
    } catch (const gmpkit::chan_error&) {
      // Only a send case on a closed channel may throw, and only if chosen.
      bool possible = false;
      for (int k = 0; k < 2; k++)
        possible = possible || (is_send[k] && ch[static_cast<std::size_t>(which[k])].closed);
      if (!possible) mismatch("select threw with no send case on a closed channel");
      continue;
    }
    if (i == 2) {
      if (!dflt || any) mismatch("default chosen while a case was ready");
      continue;
    }
    if (i > 1 || !ready[i]) mismatch("case " + std::to_string(i) + " chosen but not ready");
    ModelChan& m = ch[static_cast<std::size_t>(which[i])];
    if (is_send[i]) {
      if (m.closed) mismatch("send to a closed channel proceeded");
      m.buf.push_back(vals[i]);
    } else {
      if (recv_k != static_cast<int>(i)) mismatch("receive callback of another case ran");
      if (!m.buf.empty()) {
        if (!got || *got != m.buf.front()) mismatch("received a value out of FIFO order");
        m.buf.pop_front();
      } else if (got) {
        mismatch("received a value from a closed, drained channel");
      }
    }
    for (const auto& mc : ch)
      if (!mc.nil && mc.c.size() != mc.buf.size())
        mismatch("channel length differs from the model");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  sim::Params p;
  p.seed = in.ConsumeIntegral<std::uint16_t>();  // selectgo's random poll order comes from it
  sim::set_replay_command(gmpkit::fuzz::replay_command(data, size));
  sim::run(p, [&] {
    gmpkit::Config cfg;
    cfg.procs = 1;
    gmpkit::run(cfg, [&] { drive(in); });
  });
  return 0;
}
