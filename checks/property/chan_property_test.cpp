// chan_property_test.cpp — model-based test (rapidcheck rc::state) of
// channels and select (sync/chan.cpp, sync/select.cpp) against Go's
// semantics (runtime/chan.go, select.go).
//
// Two channels with a capacity each drawn from {0, 1, 3}. "Actor"
// goroutines are spawned one per blocking operation: a send, a receive, or
// a two-case select (recv/recv or send/recv); main performs the
// operations that cannot block (try-send / try-recv through a select with a
// default case, a send or receive the model says proceeds at once, close).
//
// The model is Go's hchan per channel: the buffer (FIFO), the closed flag,
// and the FIFO queues of blocked senders (with their values) and receivers
// (a blocked select sits in the queue of each of its channels until one
// case wins). It says, for every operation, whether it blocks, which value
// it gets (nullopt: closed and drained), and which error it raises
// ("send on closed channel", "close of closed channel").
//
// After every command, once the actors it woke have run (a bounded wait
// for the runtime to settle, never a timing assertion): every actor the
// model says is blocked is parked with Go's wait reason ("chan send",
// "chan receive", "select") and every other actor has finished with the
// model's result (case index, value, or the error); len(ch) is the model's
// buffer size. A select whose cases are ready for more than one case at the
// time it starts would choose at random, so the generator only starts
// selects with at most one ready case (checkPreconditions).
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>
#include <rapidcheck/state.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <deque>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "gmpkit/gmpkit.hpp"
#include "property/property_util.hpp"
#include "test_util.hpp"

namespace {

GMPKIT_PROPERTY_DEFAULTS("max_success=100 max_size=50");

using namespace std::chrono_literals;
constexpr int kChans = 2;

struct Case {
  int ch = 0;
  bool send = false;
  int value = 0;  // send cases
};
std::ostream& operator<<(std::ostream& os, const Case& c) {
  if (c.send) return os << "c" << c.ch << "<-" << c.value;
  return os << "<-c" << c.ch;
}

// What an operation ended with.
struct Outcome {
  int chosen = -1;  // case index; -1: default (try-ops) or raised an error
  std::optional<int> value;  // recv cases: nullopt means closed and drained
  std::string error;  // chan_error message, if it raised one
  bool operator==(const Outcome& o) const {
    return chosen == o.chosen && value == o.value && error == o.error;
  }
};
std::ostream& operator<<(std::ostream& os, const Outcome& o) {
  os << "{case " << o.chosen;
  if (o.value) os << ", value " << *o.value;
  if (!o.error.empty()) os << ", error '" << o.error << "'";
  return os << "}";
}
std::string str(const Outcome& o) {
  std::ostringstream os;
  os << o;
  return os.str();
}

struct ModelChan {
  std::size_t cap = 0;
  std::deque<int> buf;
  bool closed = false;
  std::deque<int> sendq, recvq;  // blocked actors, oldest first
};

struct Actor {
  std::vector<Case> cases;
  std::optional<Outcome> outcome;  // nullopt: blocked
};

struct Model {
  std::array<ModelChan, kChans> ch;
  std::vector<Actor> actors;
  int procs = 1;

  // Whether case c would proceed now (a send on a closed channel proceeds: it raises).
  bool ready(const Case& c) const {
    const ModelChan& k = ch[static_cast<std::size_t>(c.ch)];
    if (c.send) return k.closed || !k.recvq.empty() || k.buf.size() < k.cap;
    return !k.buf.empty() || !k.sendq.empty() || k.closed;
  }
  int nready(const std::vector<Case>& cs) const {
    int n = 0;
    for (const auto& c : cs) n += ready(c);
    return n;
  }
  // A blocked actor wins one case: it leaves every queue.
  void complete(int actor, Outcome o) {
    for (auto& k : ch) {
      k.sendq.erase(std::remove(k.sendq.begin(), k.sendq.end(), actor), k.sendq.end());
      k.recvq.erase(std::remove(k.recvq.begin(), k.recvq.end(), actor), k.recvq.end());
    }
    actors[static_cast<std::size_t>(actor)].outcome = o;
  }
  int case_of(int actor, int chan, bool send) const {
    const auto& cs = actors[static_cast<std::size_t>(actor)].cases;
    for (std::size_t i = 0; i < cs.size(); i++)
      if (cs[i].ch == chan && cs[i].send == send) return static_cast<int>(i);
    return -1;
  }
  // Go's chansend / chanrecv for a case that is ready; returns its outcome.
  Outcome proceed(const Case& c, int index) {
    ModelChan& k = ch[static_cast<std::size_t>(c.ch)];
    Outcome o;
    o.chosen = index;
    if (c.send) {
      if (k.closed) {
        o.chosen = -1;  // raised: no case completed
        o.error = "send on closed channel";
      } else if (!k.recvq.empty()) {
        const int r = k.recvq.front();  // direct handoff to the oldest receiver
        Outcome ro;
        ro.chosen = case_of(r, c.ch, false);
        ro.value = c.value;
        complete(r, ro);
      } else {
        k.buf.push_back(c.value);
      }
      return o;
    }
    if (!k.buf.empty()) {
      o.value = k.buf.front();
      k.buf.pop_front();
      if (!k.sendq.empty()) {  // the oldest blocked sender's value moves into the buffer
        const int s = k.sendq.front();
        const int ci = case_of(s, c.ch, true);
        k.buf.push_back(
            actors[static_cast<std::size_t>(s)].cases[static_cast<std::size_t>(ci)].value);
        Outcome so;
        so.chosen = ci;
        complete(s, so);
      }
    } else if (!k.sendq.empty()) {  // unbuffered: straight from the oldest sender
      const int s = k.sendq.front();
      const int ci = case_of(s, c.ch, true);
      o.value = actors[static_cast<std::size_t>(s)].cases[static_cast<std::size_t>(ci)].value;
      Outcome so;
      so.chosen = ci;
      complete(s, so);
    }  // else closed: nullopt
    return o;
  }
  Outcome close(int chan) {
    ModelChan& k = ch[static_cast<std::size_t>(chan)];
    Outcome o;
    if (k.closed) {
      o.error = "close of closed channel";
      return o;
    }
    k.closed = true;
    // Every blocked receiver gets "closed", every blocked sender raises.
    const std::deque<int> rq = k.recvq, sq = k.sendq;
    for (int r : rq) {
      Outcome ro;
      ro.chosen = case_of(r, chan, false);
      complete(r, ro);
    }
    for (int s : sq) {
      Outcome so;
      so.error = "send on closed channel";  // raised: chosen stays -1
      complete(s, so);
    }
    return o;
  }
  // An actor starts: it proceeds on its (only) ready case or blocks.
  void start(std::vector<Case> cases) {
    const int id = static_cast<int>(actors.size());
    actors.push_back(Actor{cases, std::nullopt});
    for (std::size_t i = 0; i < cases.size(); i++)
      if (ready(cases[i])) {
        Outcome o = proceed(cases[i], static_cast<int>(i));
        actors[static_cast<std::size_t>(id)].outcome = o;
        return;
      }
    for (const auto& c : cases) {
      ModelChan& k = ch[static_cast<std::size_t>(c.ch)];
      (c.send ? k.sendq : k.recvq).push_back(id);
    }
  }
};

// What the actor goroutines report (shared with them).
struct ActorState {
  std::atomic<std::int64_t> goid{0};
  std::atomic<bool> done{false};
  Outcome outcome;  // written before done (release)
};

struct Sut {
  std::vector<gmpkit::Chan<int>> ch;
  std::vector<std::shared_ptr<ActorState>> actors;
};

using Cmd = rc::state::Command<Model, Sut>;

// Runs the operation with the cases (1 or 2) and reports its outcome;
// with_default makes it a try-operation.
Outcome perform(std::vector<gmpkit::Chan<int>> ch, const std::vector<Case>& cs, bool with_default) {
  Outcome o;
  auto rc = [&o](int i) {
    return [&o, i](std::optional<int> v) {
      o.chosen = i;
      o.value = v;
    };
  };
  auto sc = [&o](int i) { return [&o, i] { o.chosen = i; }; };
  auto ccase = [&](int i) {
    const Case& c = cs[static_cast<std::size_t>(i)];
    return c;
  };
  try {
    if (cs.size() == 1) {
      const Case c = ccase(0);
      auto& k = ch[static_cast<std::size_t>(c.ch)];
      if (c.send) {
        if (with_default)
          gmpkit::select(gmpkit::send_case(k, c.value, sc(0)), gmpkit::default_case());
        else
          gmpkit::select(gmpkit::send_case(k, c.value, sc(0)));
      } else {
        if (with_default)
          gmpkit::select(gmpkit::recv_case(k, rc(0)), gmpkit::default_case());
        else
          gmpkit::select(gmpkit::recv_case(k, rc(0)));
      }
    } else {
      const Case a = ccase(0), b = ccase(1);
      auto& ka = ch[static_cast<std::size_t>(a.ch)];
      auto& kb = ch[static_cast<std::size_t>(b.ch)];
      // b is always a receive (the generator's shapes: recv/recv, send/recv).
      if (a.send)
        gmpkit::select(gmpkit::send_case(ka, a.value, sc(0)), gmpkit::recv_case(kb, rc(1)));
      else
        gmpkit::select(gmpkit::recv_case(ka, rc(0)), gmpkit::recv_case(kb, rc(1)));
    }
  } catch (const gmpkit::chan_error& e) {
    o.error = e.what();
  }
  return o;
}

const char* wait_reason(const std::vector<Case>& cs) {
  if (cs.size() > 1) return "select";
  return cs[0].send ? "chan send" : "chan receive";
}

// Waits (bounded) until every actor is where the model puts it, then
// checks it: blocked ones parked with the right wait reason, finished ones
// with the model's outcome; len(ch) as the model's buffer.
void settle_and_check(const Model& m, Sut& s) {
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  std::string why;
  for (;;) {
    why.clear();
    const auto gs = gmpkit::debug::goroutines();
    for (std::size_t i = 0; i < m.actors.size() && why.empty(); i++) {
      const Actor& a = m.actors[i];
      ActorState& st = *s.actors[i];
      if (a.outcome) {
        if (!st.done.load(std::memory_order_acquire))
          why = "actor " + std::to_string(i) + " has not finished";
        continue;
      }
      if (st.done.load(std::memory_order_acquire)) {
        why = "actor " + std::to_string(i) + " finished with " + str(st.outcome) +
              " but the model has it blocked";
        break;
      }
      const std::int64_t id = st.goid.load(std::memory_order_acquire);
      bool parked = false;
      for (const auto& g : gs)
        if (g.id == id && g.status == "waiting" && g.wait_reason == wait_reason(a.cases))
          parked = true;
      if (!parked) why = "actor " + std::to_string(i) + " is not parked in " + wait_reason(a.cases);
    }
    if (why.empty() || std::chrono::steady_clock::now() > deadline) break;
    gmpkit::sleep_for(20us);
  }
  if (!why.empty()) gmpkit_property::fail(why);
  for (std::size_t i = 0; i < m.actors.size(); i++)
    if (m.actors[i].outcome && !(s.actors[i]->outcome == *m.actors[i].outcome))
      gmpkit_property::fail("actor " + std::to_string(i) + ": got " + str(s.actors[i]->outcome) +
                            ", model " + str(*m.actors[i].outcome));
  for (int c = 0; c < kChans; c++)
    RC_ASSERT(s.ch[static_cast<std::size_t>(c)].size() ==
              m.ch[static_cast<std::size_t>(c)].buf.size());
}

rc::Gen<Case> gen_case(bool send) {
  return rc::gen::map(rc::gen::pair(rc::gen::inRange(0, kChans), rc::gen::inRange(0, 100)),
                      [send](std::pair<int, int> p) {
                        return Case{p.first, send, p.second};
                      });
}

// An actor goroutine with one operation or a two-case select (may block).
struct Spawn : Cmd {
  std::vector<Case> cases = *rc::gen::oneOf(
      rc::gen::container<std::vector<Case>>(1, gen_case(true)),
      rc::gen::container<std::vector<Case>>(1, gen_case(false)),
      rc::gen::map(rc::gen::pair(gen_case(false), gen_case(false)),
                   [](std::pair<Case, Case> p) {
                     return std::vector<Case>{p.first, p.second};
                   }),
      rc::gen::map(rc::gen::pair(gen_case(true), gen_case(false)), [](std::pair<Case, Case> p) {
        return std::vector<Case>{p.first, p.second};
      }));
  void checkPreconditions(const Model& m) const override {
    RC_PRE(m.nready(cases) <= 1);  // otherwise Go picks one at random
    // Two cases on one channel: Go's lock order does not say which one a
    // waker finds first.
    // RC_PRE decomposes its expression (operator overloading), so `a || b`
    // inside it evaluates both sides: compute the bool first.
    const bool distinct_channels = cases.size() == 1 || cases[0].ch != cases[1].ch;
    RC_PRE(distinct_channels);
    RC_PRE(m.actors.size() < 24u);
  }
  void apply(Model& m) const override { m.start(cases); }
  void run(const Model& m, Sut& s) const override {
    auto st = std::make_shared<ActorState>();
    s.actors.push_back(st);
    gmpkit::go([st, ch = s.ch, cs = cases] {
      st->goid.store(gmpkit::goroutine_id(), std::memory_order_release);
      st->outcome = perform(ch, cs, false);
      st->done.store(true, std::memory_order_release);
    });
    Model after = m;
    apply(after);
    settle_and_check(after, s);
  }
  void show(std::ostream& os) const override {
    os << "Spawn(" << (cases.size() > 1 ? "select " : "") << gmpkit_property::join(cases) << ")";
  }
};

// main: a non-blocking send or receive (select with a default case).
struct Try : Cmd {
  Case c = *rc::gen::arbitrary<bool>() ? *gen_case(true) : *gen_case(false);
  void apply(Model& m) const override {
    if (m.ready(c)) (void)m.proceed(c, 0);
  }
  void run(const Model& m, Sut& s) const override {
    Model after = m;
    Outcome want;
    if (after.ready(c)) want = after.proceed(c, 0);
    const Outcome got = perform(s.ch, {c}, true);
    if (!(got == want))
      gmpkit_property::fail("try " +
                            [&] {
                              std::ostringstream o;
                              o << c;
                              return o.str();
                            }() +
                            ": got " + str(got) + ", model " + str(want));
    settle_and_check(after, s);
  }
  void show(std::ostream& os) const override { os << "Try(" << c << ")"; }
};

// main: a blocking send or receive that the model says proceeds at once.
struct Op : Cmd {
  Case c = *rc::gen::arbitrary<bool>() ? *gen_case(true) : *gen_case(false);
  void checkPreconditions(const Model& m) const override { RC_PRE(m.ready(c)); }
  void apply(Model& m) const override { (void)m.proceed(c, 0); }
  void run(const Model& m, Sut& s) const override {
    Model after = m;
    const Outcome want = after.proceed(c, 0);
    const Outcome got = perform(s.ch, {c}, false);
    if (!(got == want)) gmpkit_property::fail("op: got " + str(got) + ", model " + str(want));
    settle_and_check(after, s);
  }
  void show(std::ostream& os) const override { os << "Op(" << c << ")"; }
};

struct Close : Cmd {
  int c = *rc::gen::inRange(0, kChans);
  void apply(Model& m) const override { (void)m.close(c); }
  void run(const Model& m, Sut& s) const override {
    Model after = m;
    const Outcome want = after.close(c);
    Outcome got;
    try {
      s.ch[static_cast<std::size_t>(c)].close();
    } catch (const gmpkit::chan_error& e) {
      got.error = e.what();
    }
    RC_ASSERT(got.error == want.error);
    settle_and_check(after, s);
  }
  void show(std::ostream& os) const override { os << "Close(c" << c << ")"; }
};

RC_GTEST_PROP(ChanModel, ChannelsAndSelectMatchGoSemantics, ()) {
  Model m0;
  m0.procs = *rc::gen::inRange(1, 4);
  for (auto& k : m0.ch) k.cap = *rc::gen::element<std::size_t>(0, 1, 3);
  const auto cmds = *rc::state::gen::commands(
      m0, rc::state::gen::execOneOfWithArgs<Spawn, Spawn, Spawn, Try, Op, Close>());
  RC_TAG("caps " + std::to_string(m0.ch[0].cap) + "," + std::to_string(m0.ch[1].cap));
  gmpkit::Config cfg;
  cfg.procs = m0.procs;
  gmpkit_property::run_case(cfg, [&] {
    Sut s;
    for (const auto& k : m0.ch) s.ch.emplace_back(k.cap);
    Model m = m0;
    auto teardown = [&] {
      // Closing both channels releases every blocked actor (receivers get
      // "closed", senders raise): none outlives the run.
      for (auto& k : s.ch) try {
          k.close();
        } catch (const gmpkit::chan_error&) {}
    };
    try {
      rc::state::runAll(cmds, m, s);
    } catch (...) {
      teardown();
      throw;
    }
    // The end state, then the teardown itself checked against the model.
    Model end = m0;
    rc::state::applyAll(cmds, end);
    for (int c = 0; c < kChans; c++)
      if (!end.ch[static_cast<std::size_t>(c)].closed) {
        (void)end.close(c);
        s.ch[static_cast<std::size_t>(c)].close();
      }
    settle_and_check(end, s);
    // The released actors finish before run() returns (see await_others_exited).
    gmpkit::test::await_others_exited();
  });
}

}  // namespace
