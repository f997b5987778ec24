#include "interpreter.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "gmpkit/gmpkit.hpp"
#if GMPKIT_FUZZ_SIM
#include "gmpkit/testing/sim.hpp"
#endif

namespace gmpkit::fuzz::ops {

namespace {

using namespace std::chrono_literals;

struct ProgramThrow {};

constexpr std::uint32_t kSeqBits = 16;
std::uint32_t make_value(int producer, int seq) {
  return (static_cast<std::uint32_t>(producer) << kSeqBits) | static_cast<std::uint32_t>(seq);
}

// The program's shared state. Goroutines of fuzz_ops_threads run on
// several OS threads: what they share is atomic or written by one goroutine
// and read after run() returned (run() joins every thread).
struct State {
  const Program& p;
  void (*fail)(const std::string&);
  std::vector<std::unique_ptr<Chan<std::uint32_t>>> sinks, sources;
  std::unique_ptr<Chan<int>> bcast;
  std::vector<std::vector<std::uint32_t>> sink_got;  // written by that sink's drainer
  std::vector<std::vector<std::vector<std::uint32_t>>> source_got;  // [source][receiver]
  std::vector<std::vector<std::uint32_t>> sent;  // [producer]: values it sent (to any sink)
  Mutex mu[2];
  std::atomic<int> mu_owner[2] = {-1, -1};
  long mu_count[2] = {0, 0};  // guarded by mu
  std::atomic<long> mu_ops[2] = {0, 0};
  RWMutex rw;
  std::atomic<int> rw_readers{0}, rw_writer{0};
  long rw_count = 0;  // guarded by rw (write side)
  std::atomic<long> rw_wops{0};
  Mutex cond_mu;
  std::unique_ptr<Cond> cond;
  bool cond_flag = false;  // guarded by cond_mu
  WaitGroup wg;  // workers and their spawned children
  std::atomic<int> next_producer{0};
  std::atomic<long> started{0}, ended{0}, spawned{0};
  std::atomic<int> violations{0};
  std::string first_violation;  // written once, under violation_mu
  std::mutex violation_mu;
  // Per worker (two goroutines may not wait on one fd): the fd wait_fd
  // polls and the one fd_ready makes readable (a simulated fd, or a pipe).
  std::vector<int> rfd, wfd;
  // Per worker: fd_ready ops that targeted its fd so far (counted before
  // the fd is made ready), so a wait_fd that reports "readable" is checked.
  std::unique_ptr<std::atomic<int>[]> fd_readies;

  explicit State(const Program& prog, void (*f)(const std::string&)) : p(prog), fail(f) {}

  void violation(const std::string& what) {
    if (violations.fetch_add(1) == 0) {
      std::lock_guard<std::mutex> g(violation_mu);
      first_violation = what;
    }
  }
};

// Every goroutine body runs inside this: counts starts and ends (an
// unwound goroutine ends through its destructors too).
template <class F>
void spawn(State* st, F&& body) {
  st->spawned.fetch_add(1);
  go([st, body = std::forward<F>(body)]() mutable {
    st->started.fetch_add(1);
    struct End {
      State* st;
      ~End() { st->ended.fetch_add(1); }
    } end{st};
    body();
  });
}

void sleep_small(int units) { sleep_for(std::chrono::microseconds(20 * (units % 64))); }

// The clock sleep_for measures against: virtual under the simulator.
std::int64_t op_clock_ns() {
#if GMPKIT_FUZZ_SIM
  return testing::sim::now();
#else
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
#endif
}

void critical_section(State* st, int m, int me, bool yield_inside) {
  std::lock_guard<Mutex> g(st->mu[m]);
  if (st->mu_owner[m].exchange(me) != -1) st->violation("Mutex: two goroutines inside");
  if (yield_inside) gmpkit::yield();
  // The increment as a read and a write with a runtime call between them:
  // under the simulator its atomics are scheduling points, so a Mutex that
  // let two goroutines in loses an update here even without the yield.
  const long count = st->mu_count[m];
  gmpkit::preempt_point();
  st->mu_count[m] = count + 1;
  if (st->mu_owner[m].exchange(-1) != me) st->violation("Mutex: owner changed inside");
}

void run_op(State* st, const Instr& in, int me, int* seq) {
  const Program& p = st->p;
  switch (in.op) {
    case Op::yield:
      gmpkit::yield();
      break;
    case Op::sleep: {
      // sleep_for sleeps at least its duration (virtual time under the
      // simulator: a timer that fired early, or a wakeup of the wrong G,
      // shows here).
      const std::int64_t want = 20'000 * (in.a % 64);
      const std::int64_t t0 = op_clock_ns();
      sleep_small(in.a);
      const std::int64_t slept = op_clock_ns() - t0;
      if (slept < want)
        st->violation("sleep_for(" + std::to_string(want) + " ns) returned after " +
                      std::to_string(slept) + " ns");
      break;
    }
    case Op::preempt_point:
      gmpkit::preempt_point();
      break;
    case Op::busy: {
      volatile unsigned x = 0;
      for (unsigned i = 0; i < 16u * in.a; i++) x = x + i;
      break;
    }
    case Op::send: {
      const std::size_t s = in.a % p.sinks.size();
      const std::uint32_t v = make_value(me, (*seq)++);
      st->sent[static_cast<std::size_t>(me)].push_back(v);
      st->sinks[s]->send(v);
      break;
    }
    case Op::recv: {
      if (p.sources.empty()) break;
      const std::size_t s = in.a % p.sources.size();
      if (auto v = st->sources[s]->recv())
        st->source_got[s][static_cast<std::size_t>(me)].push_back(*v);
      break;
    }
    case Op::select: {
      const std::size_t s1 = in.a % p.sinks.size(), s2 = in.b % p.sinks.size();
      const std::uint32_t v1 = make_value(me, *seq), v2 = make_value(me, *seq);
      // Both send cases carry the same value (one is chosen); it is
      // recorded as sent before it can be received, and taken back if the
      // select chose another case.
      const bool with_src = (in.b & 0x80) && !p.sources.empty();
      const std::size_t src = with_src ? in.a % p.sources.size() : 0;
      std::optional<std::uint32_t> got;
      bool got_closed = false;
      std::size_t idx;
      const std::size_t before = st->sent[static_cast<std::size_t>(me)].size();
      st->sent[static_cast<std::size_t>(me)].push_back(
          v1);  // provisional: the value either case sends
      if (in.a & 0x80) {
        if (with_src)
          idx = select(send_case(*st->sinks[s1], v1), send_case(*st->sinks[s2], v2),
                       recv_case(*st->sources[src],
                                 [&](std::optional<std::uint32_t> v) {
                                   got = v;
                                   got_closed = !v;
                                 }),
                       default_case());
        else
          idx =
              select(send_case(*st->sinks[s1], v1), send_case(*st->sinks[s2], v2), default_case());
      } else {
        if (with_src)
          idx = select(send_case(*st->sinks[s1], v1), send_case(*st->sinks[s2], v2),
                       recv_case(*st->sources[src], [&](std::optional<std::uint32_t> v) {
                         got = v;
                         got_closed = !v;
                       }));
        else
          idx = select(send_case(*st->sinks[s1], v1), send_case(*st->sinks[s2], v2));
      }
      if (idx <= 1) {
        (*seq)++;
      } else {
        st->sent[static_cast<std::size_t>(me)].resize(before);  // nothing was sent
        if (got) st->source_got[src][static_cast<std::size_t>(me)].push_back(*got);
        (void)got_closed;
      }
      break;
    }
    case Op::lock:
      st->mu_ops[in.a % 2].fetch_add(1);
      critical_section(st, in.a % 2, me, in.b & 1);
      break;
    case Op::rlock: {
      st->rw.rlock();
      st->rw_readers.fetch_add(1);
      if (st->rw_writer.load() != 0) st->violation("RWMutex: reader inside with a writer");
      if (in.b & 1) gmpkit::yield();
      st->rw_readers.fetch_sub(1);
      st->rw.runlock();
      break;
    }
    case Op::wlock: {
      st->rw_wops.fetch_add(1);
      st->rw.lock();
      if (st->rw_writer.exchange(1) != 0) st->violation("RWMutex: two writers inside");
      if (st->rw_readers.load() != 0) st->violation("RWMutex: writer inside with readers");
      if (in.b & 1) gmpkit::yield();
      st->rw_count++;
      st->rw_writer.store(0);
      st->rw.unlock();
      break;
    }
    case Op::wg_children: {
      WaitGroup local;
      const int n = 1 + in.a % 3;
      for (int i = 0; i < n; i++) {
        local.add(1);
        const int units = (in.b + i) % 4;
        spawn(st, [&local, units] {
          if (units == 0)
            gmpkit::yield();
          else
            sleep_small(units);
          local.done();
        });
      }
      local.wait();  // must end: every child calls done()
      break;
    }
    case Op::spawn: {
      const int child = st->next_producer.fetch_add(1);
      const std::size_t s = in.a % p.sinks.size();
      st->wg.add(1);
      spawn(st, [st, child, s, n = 1 + in.b % 3] {
        struct Done {
          State* st;
          ~Done() { st->wg.done(); }
        } done{st};
        for (int k = 0; k < n; k++) {
          const std::uint32_t v = make_value(child, k);
          st->sent[static_cast<std::size_t>(child)].push_back(v);
          st->sinks[s]->send(v);
          gmpkit::yield();
        }
      });
      break;
    }
    case Op::syscall:
      gmpkit::syscall([ns = 1000 * (1 + in.a % 64)] {
#if GMPKIT_FUZZ_SIM
        testing::sim::block_for(ns);  // a blocking call of strategy-chosen virtual length
#else
        ::usleep(static_cast<useconds_t>(ns / 1000));
#endif
      });
      break;
    case Op::wait_fd: {
      // Readable only after an fd_ready for this worker (the fd then stays
      // readable: nothing reads it); a timeout only after the timeout.
      const auto timeout = std::chrono::microseconds(10 * (1 + in.a % 32));
      const std::int64_t t0 = op_clock_ns();
      const bool ready = wait_readable(st->rfd[static_cast<std::size_t>(me)], timeout);
      const std::int64_t waited = op_clock_ns() - t0;
      if (ready && st->fd_readies[static_cast<std::size_t>(me)].load() == 0)
        st->violation("wait_readable reported a never-readied fd readable");
      if (!ready && waited < std::chrono::nanoseconds(timeout).count())
        st->violation("wait_readable timed out after " + std::to_string(waited) + " ns of " +
                      std::to_string(std::chrono::nanoseconds(timeout).count()));
      break;
    }
    case Op::fd_ready: {
      const std::size_t w = in.a % p.workers.size();
      st->fd_readies[w].fetch_add(1);
#if GMPKIT_FUZZ_SIM
      testing::sim::fd_make_ready(st->rfd[w], 1);
#else
      const char c = 1;
      (void)!::write(st->wfd[w], &c, 1);
#endif
      break;
    }
    case Op::gomaxprocs:
      gmpkit::gomaxprocs(1 + in.a % 4);
      break;
    case Op::stw: {
      WorldStopped w("fuzz_ops");
      break;
    }
    case Op::lock_thread:
      lock_os_thread();
      if (in.a & 1) gmpkit::yield();
      if (in.a & 2) sleep_small(1);
      unlock_os_thread();
      break;
    case Op::checkpoint: {
      const debug::InvariantReport r = debug::verify_invariants(debug::InvariantMode::report);
      if (!r.ok()) st->violation("verify_invariants at a checkpoint:\n" + r.str());
      break;
    }
    case Op::bcast_wait:
      if (st->bcast && st->bcast->recv()) st->violation("broadcast channel delivered a value");
      break;
    case Op::cond_wait: {
      std::lock_guard<Mutex> g(st->cond_mu);
      while (!st->cond_flag) st->cond->wait();
      break;
    }
    case Op::cond_signal: {
      {
        std::lock_guard<Mutex> g(st->cond_mu);
        st->cond_flag = true;
      }
      if (in.a & 1)
        st->cond->broadcast();
      else
        st->cond->signal();
      break;
    }
    case Op::throw_exc:
      throw ProgramThrow{};
    case Op::count_:
      break;
  }
}

// Checks after run() returned: every value exactly once, FIFO per producer.
void check_delivery(State* st, Outcome* out) {
  const Program& p = st->p;
  const int producers = st->next_producer.load();
  // Sinks: per producer, the values received across all sinks, in each
  // sink's order, must be a subsequence-merge of what it sent: each value
  // once, and in one sink a producer's sequence numbers increase.
  std::vector<std::vector<int>> seen(static_cast<std::size_t>(producers));
  for (std::size_t s = 0; s < p.sinks.size(); s++) {
    std::vector<int> last(static_cast<std::size_t>(producers), -1);
    for (std::uint32_t v : st->sink_got[s]) {
      const int prod = static_cast<int>(v >> kSeqBits), seq = static_cast<int>(v & 0xffff);
      if (prod >= producers) {
        st->violation("sink received a value no producer sent");
        continue;
      }
      if (seq <= last[static_cast<std::size_t>(prod)])
        st->violation("sink " + std::to_string(s) + ": producer " + std::to_string(prod) +
                      "'s values out of FIFO order (" + std::to_string(seq) + " after " +
                      std::to_string(last[static_cast<std::size_t>(prod)]) + ")");
      last[static_cast<std::size_t>(prod)] = seq;
      seen[static_cast<std::size_t>(prod)].push_back(seq);
      out->values++;
    }
  }
  for (int prod = 0; prod < producers; prod++) {
    auto& got = seen[static_cast<std::size_t>(prod)];
    std::sort(got.begin(), got.end());
    std::vector<int> want;
    for (std::uint32_t v : st->sent[static_cast<std::size_t>(prod)])
      want.push_back(static_cast<int>(v & 0xffff));
    std::sort(want.begin(), want.end());
    if (got != want)
      st->violation("producer " + std::to_string(prod) + ": sent " + std::to_string(want.size()) +
                    " value(s), " + std::to_string(got.size()) +
                    " received (each value must arrive exactly once)");
  }
  for (std::size_t s = 0; s < p.sources.size(); s++) {
    std::vector<std::uint32_t> all;
    for (const auto& r : st->source_got[s]) {
      for (std::size_t i = 1; i < r.size(); i++)
        if (r[i] <= r[i - 1]) st->violation("source " + std::to_string(s) + ": out of order");
      all.insert(all.end(), r.begin(), r.end());
    }
    std::sort(all.begin(), all.end());
    std::vector<std::uint32_t> want;
    for (int i = 1; i <= p.sources[s].count; i++) want.push_back(static_cast<std::uint32_t>(i));
    if (all != want)
      st->violation("source " + std::to_string(s) + ": " + std::to_string(p.sources[s].count) +
                    " value(s) sent, " + std::to_string(all.size()) +
                    " received (each exactly once)");
    out->values += static_cast<long>(all.size());
  }
  for (int m = 0; m < 2; m++)
    if (st->mu_count[m] != st->mu_ops[m].load())
      st->violation("Mutex " + std::to_string(m) + ": " + std::to_string(st->mu_ops[m].load()) +
                    " critical sections, counter " + std::to_string(st->mu_count[m]));
  if (st->rw_count != st->rw_wops.load()) st->violation("RWMutex: lost write-side updates");
}

void program_main(State* st) {
  const Program& p = st->p;
  WaitGroup helpers;  // drainers, feeders, the closers
  for (std::size_t s = 0; s < p.sinks.size(); s++) {
    helpers.add(1);
    spawn(st, [st, s, &helpers] {
      while (auto v = st->sinks[s]->recv()) st->sink_got[s].push_back(*v);
      helpers.done();
    });
  }
  for (std::size_t s = 0; s < p.sources.size(); s++) {
    helpers.add(1);
    spawn(st, [st, s, &helpers, n = p.sources[s].count] {
      for (int i = 1; i <= n; i++) st->sources[s]->send(static_cast<std::uint32_t>(i));
      st->sources[s]->close();
      helpers.done();
    });
  }
  if (st->bcast) {
    helpers.add(1);
    spawn(st, [st, &helpers] {
      sleep_small(st->p.bcast_delay);
      st->bcast->close();  // wakes every waiter
      helpers.done();
    });
  }
  helpers.add(1);
  spawn(st, [st, &helpers] {  // the Cond's flag is set eventually whatever the workers do
    sleep_small(st->p.bcast_delay + 3);
    {
      std::lock_guard<Mutex> g(st->cond_mu);
      st->cond_flag = true;
    }
    st->cond->broadcast();
    helpers.done();
  });
  for (std::size_t w = 0; w < p.workers.size(); w++) {
    st->wg.add(1);
    spawn(st, [st, w] {
      struct Done {
        State* st;
        ~Done() { st->wg.done(); }
      } done{st};
      int seq = 0;
      for (const Instr& in : st->p.workers[w]) run_op(st, in, static_cast<int>(w), &seq);
    });
  }
  st->wg.wait();  // must end: every worker and child ends
  for (auto& c : st->sinks) c->close();
  for (std::size_t s = 0; s < p.sources.size(); s++)  // what the workers left
    while (auto v = st->sources[s]->recv()) st->source_got[s][p.workers.size()].push_back(*v);
  helpers.wait();
  const debug::InvariantReport r = debug::verify_invariants(debug::InvariantMode::report);
  if (!r.ok()) st->violation("verify_invariants at the end:\n" + r.str());
  if (p.deadlock_end) {
    Chan<int> never(0);
    (void)never.recv();  // nobody else is left: the runtime must report a deadlock
    st->violation("receive on a channel no goroutine can send to returned");
  }
}

}  // namespace

Outcome execute(const Program& p, void (*fail)(const std::string&)) {
  auto st = std::make_unique<State>(p, fail);
  // Producer ids: workers first, spawned children after; the sent lists are
  // sized for the most producers the program can create (one per op).
  st->next_producer.store(static_cast<int>(p.workers.size()));
  st->sent.resize(p.workers.size() + p.ops() + 1);
  st->sink_got.resize(p.sinks.size());
  st->source_got.assign(p.sources.size(),
                        std::vector<std::vector<std::uint32_t>>(p.workers.size() + 1));
  st->fd_readies = std::make_unique<std::atomic<int>[]>(p.workers.size());
  for (std::size_t w = 0; w < p.workers.size(); w++) {
#if GMPKIT_FUZZ_SIM
    st->rfd.push_back(100 + static_cast<int>(w));  // simulated: ready after an fd_ready op
    st->wfd.push_back(-1);
#else
    int fds[2];
    if (::pipe2(fds, O_NONBLOCK | O_CLOEXEC) != 0) fail("pipe2 failed");
    st->rfd.push_back(fds[0]);
    st->wfd.push_back(fds[1]);
#endif
  }
  Outcome out;
  Config cfg;
  cfg.procs = p.procs;
  cfg.stack_size = 64 * 1024;
  {
    // Channels and sync objects live outside run() (as globals would).
    for (const ChanSpec& c : p.sinks)
      st->sinks.push_back(std::make_unique<Chan<std::uint32_t>>(static_cast<std::size_t>(c.cap)));
    for (const ChanSpec& c : p.sources)
      st->sources.push_back(std::make_unique<Chan<std::uint32_t>>(static_cast<std::size_t>(c.cap)));
    if (p.bcast) st->bcast = std::make_unique<Chan<int>>(0);
    st->cond = std::make_unique<Cond>(st->cond_mu);
  }
  bool main_ended = false;  // the main goroutine ended or was unwound
  try {
    run(cfg, [&] {
      struct End {
        bool* ended;
        ~End() { *ended = true; }
      } end{&main_ended};
      program_main(st.get());
    });
  } catch (const deadlock_error& e) {
    out.deadlocked = true;
    if (!p.deadlock_end) fail(std::string("unexpected deadlock error: ") + e.what());
  } catch (const ProgramThrow&) {
    out.threw = true;
    if (!p.throws()) fail("run() rethrew an exception the program never threw");
  }
#if !GMPKIT_FUZZ_SIM
  for (std::size_t w = 0; w < p.workers.size(); w++) {
    ::close(st->rfd[w]);
    ::close(st->wfd[w]);
  }
#endif
  // Every goroutine that started ended, was unwound, or (only when the
  // runtime exits while it is stopped by the preemption signal in user
  // code) was retired without unwinding, which the runtime counts; the
  // main goroutine is the one retired goroutine spawn() did not count.
  const std::int64_t retired = metrics().goroutines_retired - (main_ended ? 0 : 1);
  if (st->started.load() != st->ended.load() + retired)
    fail(std::to_string(st->started.load()) + " goroutine(s) started but only " +
         std::to_string(st->ended.load()) + " ended or were unwound and " +
         std::to_string(retired) + " retired (metrics().goroutines_retired)");
  if (out.threw) return out;  // shutdown unwound the rest: nothing more is promised
  if (p.deadlock_end && !out.deadlocked)
    fail("a deadlocked program ended without the deadlock error");
  if (st->spawned.load() != st->started.load())
    fail(std::to_string(st->spawned.load()) + " goroutine(s) spawned, " +
         std::to_string(st->started.load()) + " ran");
  check_delivery(st.get(), &out);
  if (st->violations.load() != 0) fail(st->first_violation + "\nprogram:\n" + p.describe());
  return out;
}

}  // namespace gmpkit::fuzz::ops
