// observe/trace.cpp — the execution tracer's buffers, start/stop and the
// scheduler hooks (Go's trace.go / traceback-free part of trace2*.go).
//
// Buffers. Every thread that records an event (each M, sysmon, a foreign
// thread calling goready) owns one ThreadBuf: a chunk of fixed size that only
// that thread appends to. Go 1.22 moved from per-P to per-M buffers for the
// same reason: an M without a P (syscall exit, sysmon, netpoll) records too,
// and a thread-owned buffer needs no P hand-over protocol. The P each event
// concerns is a field of the event. A full chunk goes to the session's list
// of full chunks; the export sorts everything by `seq`.
//
// Bounded memory. A trace may hold at most max_chunks chunks (default 256 x
// 8192 events x 48 B = 96 MiB). When a thread needs a chunk and none is left,
// recording stops (the "overflowed" flag): every later event is dropped and
// counted. The export keeps exactly the events whose seq is below the first
// dropped one (each dropped event lowers `cut` to its seq), so the file is a
// consistent prefix of the run, ends with a "lost events" record and closes
// every open slice. No writer thread: the file is written by stop().
//
// Locks. g_control > g_trace_next_limits.lock (start). ThreadBuf::mu (held
// for one append) > Session::lock (the list of full chunks); the registry
// lock > ThreadBuf::mu (stop's collection). All are leaves with respect to
// the scheduler's locks: a hook may run under sched.lock. None is held
// across a goroutine switch.
//
// start/stop. start opens the file, resets the session, then sets the flag
// (release). Writers re-check the flag (acquire) under their buffer's lock,
// so after stop cleared the flag and took each buffer's lock once, no writer
// can append again: the collected chunks are complete.
#include "observe/trace.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "core/m.hpp"
#include "core/p.hpp"
#include "core/proc.hpp"
#include "core/sched.hpp"
#include "gmpkit/error.hpp"
#include "gmpkit/trace.hpp"
#include "observe/trace_buf.hpp"
#include "platform/clock.hpp"
#include "platform/mutex.hpp"
#include "platform/diag_word.hpp"

namespace gmpkit::observe {

#if GMPKIT_TRACE
rt::Atomic<bool> g_trace_enabled{false};
#endif
TraceBufferLimits g_trace_next_limits;

namespace {

struct Chunk {
  std::uint32_t n = 0;
  std::uint32_t cap = 0;
  TraceEvent* ev = nullptr;
  explicit Chunk(std::uint32_t c) : cap(c), ev(new TraceEvent[c]) {}
  ~Chunk() { delete[] ev; }
};

struct ThreadBuf {
  rt::Mutex mu;
  std::uint64_t session = 0;  // under mu: the session `cur` belongs to
  Chunk* cur = nullptr;  // under mu
  bool owned = false;  // under the registry lock: a live thread uses it
  ThreadBuf* next = nullptr;  // registry list (never unlinked: buffers live for the process)
};

struct Registry {
  rt::Mutex lock;
  ThreadBuf* head = nullptr;
};
Registry g_registry;

struct Session {
  rt::Mutex lock;  // guards full and strings
  std::vector<Chunk*> full;
  std::vector<std::string> strings;
  std::uint32_t chunk_events = kDefaultChunkEvents;  // fixed while a session runs
  std::uint32_t max_chunks = kDefaultMaxChunks;
  rt::Atomic<std::int64_t> chunks{0};  // chunks allocated (budget)
  rt::Atomic<std::int64_t> lost{0};
  rt::Atomic<std::uint64_t> cut{~0ull};
  rt::Atomic<bool> overflowed{false};
};
Session g_s;

// Controls start/stop (never held while converting).
rt::Mutex g_control;
std::uint64_t g_session_id = 0;  // under g_control; copied into g_cur_session
rt::Atomic<std::uint64_t> g_cur_session{0};
rt::Atomic<std::uint64_t> g_seq{1};
std::FILE* g_file = nullptr;  // under g_control
std::string g_path;  // under g_control
std::int64_t g_t0 = 0;  // under g_control
trace::Summary g_summary;  // under g_control
bool g_env_started = false;  // run()'s GMPKIT_TRACE (m0 only)

thread_local TraceStopReason tls_stop_reason = TraceStopReason::yield;
thread_local bool tls_stop_reason_set = false;

ThreadBuf* claim_buf() {
  rt::LockGuard g(g_registry.lock);
  for (ThreadBuf* b = g_registry.head; b; b = b->next) {
    if (!b->owned) {
      b->owned = true;
      return b;
    }
  }
  auto* b = new ThreadBuf;  // lives for the process (reachable from the registry)
  b->owned = true;
  b->next = g_registry.head;
  g_registry.head = b;
  return b;
}

// A thread's buffer; on thread exit its chunk joins the full list (Ms end
// before run() returns, and their events must stay in the trace).
struct TlsBuf {
  ThreadBuf* b = nullptr;
  ~TlsBuf() {
    if (!b) return;
    {
      rt::LockGuard g(b->mu);
      if (b->cur) {
        if (b->session ==
            g_cur_session.load(
                rt::relaxed)) {  // relaxed: under mu, ordered against stop's collection
          rt::LockGuard s(g_s.lock);
          g_s.full.push_back(b->cur);
        } else {
          delete b->cur;  // cannot happen (stop collects every chunk); harmless
          g_s.chunks.fetch_sub(1, rt::relaxed);  // relaxed: budget counter
        }
        b->cur = nullptr;
      }
    }
    rt::LockGuard g(g_registry.lock);
    b->owned = false;
  }
};
thread_local TlsBuf tls_buf;

__attribute__((noinline)) ThreadBuf* my_buf() {
  if (tls_buf.b == nullptr) tls_buf.b = claim_buf();
  return tls_buf.b;
}

void note_dropped(std::uint64_t seq) {
  // The lowest dropped seq is the cut: everything below it was recorded.
  std::uint64_t c =
      g_s.cut.load(rt::relaxed);  // relaxed: a CAS-min; the export reads it after stop's locks
  while (seq < c && !g_s.cut.cas(c, seq, rt::relaxed))
    c = g_s.cut.load(rt::relaxed);  // relaxed: as above
  g_s.overflowed.store(
      true, rt::relaxed);  // relaxed: later writers may still record, the cut removes them
  g_s.lost.fetch_add(1, rt::relaxed);  // relaxed: a counter
}

// Appends one event. reserved: a seq taken earlier (GoCreate), or 0.
__attribute__((noinline)) void emit(TraceEv type, std::int64_t g, std::int64_t arg,
                                    std::int64_t arg2, std::int32_t m, std::int32_t p,
                                    std::uint8_t trans = 0, std::uint64_t reserved = 0) {
  ThreadBuf* b = my_buf();
  rt::LockGuard lk(b->mu);
#if GMPKIT_TRACE
  // acquire: pairs with start's release store, so the session fields are set.
  if (!g_trace_enabled.load(rt::acquire)) return;
#endif
  const std::uint64_t sid =
      g_cur_session.load(rt::relaxed);  // relaxed: published by the acquire above
  if (b->session != sid) {
    b->cur = nullptr;  // stop took (or freed) it
    b->session = sid;
  }
  if (g_s.overflowed.load(rt::relaxed)) {  // relaxed: see note_dropped
    g_s.lost.fetch_add(1, rt::relaxed);  // relaxed: a counter
    return;
  }
  if (b->cur == nullptr || b->cur->n == b->cur->cap) {
    if (b->cur) {
      rt::LockGuard s(g_s.lock);
      g_s.full.push_back(b->cur);
      b->cur = nullptr;
    }
    if (g_s.chunks.fetch_add(1, rt::relaxed) >= g_s.max_chunks) {  // relaxed: a budget counter
      g_s.chunks.fetch_sub(1, rt::relaxed);  // relaxed: as above
      // relaxed: the seq counter's modification order is all the order needs.
      note_dropped(reserved ? reserved : g_seq.fetch_add(1, rt::relaxed));
      return;
    }
    b->cur = new Chunk(g_s.chunk_events);
  }
  TraceEvent& e = b->cur->ev[b->cur->n++];
  // relaxed: a single atomic's modification order agrees with happens-before,
  // which is the order the export needs.
  e.seq = reserved ? reserved : g_seq.fetch_add(1, rt::relaxed);
  e.ts = rt::nanotime();
  e.g = g;
  e.arg = arg;
  e.arg2 = arg2;
  e.m = m;
  e.p = static_cast<std::int16_t>(p);
  e.type = static_cast<std::uint8_t>(type);
  e.trans = trans;
}

struct Where {
  std::int32_t m = -1, p = -1;
};
Where where() {
  Where w;
  if (core::M* mp = core::getm()) {
    w.m = static_cast<std::int32_t>(mp->id);
    if (mp->p) w.p = mp->p->id;
  }
  return w;
}

// GoStatus for every live G (Go 1.22 emits these when a G is first seen in
// a generation): the checker's starting state for Gs created before start.
void snapshot_gs() GMPKIT_NO_TSA {
  // trace::start may run on any thread while run() ends: pin the scheduler.
  rt::Published<core::Sched>::Pin pin(core::sched_pub);
  core::Sched* s = pin.get();
  if (s == nullptr) return;
  std::vector<std::pair<std::int64_t, core::GStatus>> gs;
  {
    rt::LockGuard g(s->allglock);
    for (core::G* gp : s->allgs) {
      core::GStatus st = gp->status();
      if (st != core::GStatus::dead && st != core::GStatus::idle) gs.emplace_back(rt::diag_load(gp->goid), st);
    }
  }
  Where w = where();
  for (auto& [id, st] : gs) emit(TraceEv::GoStatus, id, static_cast<std::int64_t>(st), 0, w.m, -1);
}

}  // namespace

// ---- hooks (observe/hooks.hpp; inline no-ops without GMPKIT_TRACE) ----

#if GMPKIT_TRACE
void traceTransition(core::G* gp, core::GStatus from, core::GStatus to) {
  using core::GStatus;
  TraceEv ev;
  std::int64_t arg = 0;
  Where w = where();
  if (from == GStatus::runnable && to == GStatus::running) {
    return;  // GoStart: traceGoStart, from execute
  } else if (from == GStatus::running && (to == GStatus::runnable || to == GStatus::preempted)) {
    ev = TraceEv::GoStop;
    TraceStopReason r =
        to == GStatus::preempted ? TraceStopReason::suspend : TraceStopReason::yield;
    if (tls_stop_reason_set && to == GStatus::runnable) r = tls_stop_reason;
    tls_stop_reason_set = false;
    arg = static_cast<std::int64_t>(r);
  } else if (from == GStatus::running && to == GStatus::waiting) {
    ev = TraceEv::GoBlock;
    arg = static_cast<std::int64_t>(
        gp->waitreason.load(rt::relaxed));  // relaxed: set by this G before it parked
  } else if ((from == GStatus::waiting || from == GStatus::preempted) && to == GStatus::runnable) {
    ev = TraceEv::GoUnblock;
  } else if (from == GStatus::running && to == GStatus::syscall) {
    ev = TraceEv::GoSyscallBegin;
  } else if (from == GStatus::syscall && to == GStatus::running) {
    ev = TraceEv::GoSyscallEnd;
  } else if (from == GStatus::syscall && to == GStatus::runnable) {
    ev = TraceEv::GoSyscallEndBlocked;
  } else if (from == GStatus::running && to == GStatus::dead) {
    ev = TraceEv::GoDestroy;
  } else {
    return;  // idle -> dead (malg), dead -> runnable (GoCreate, from newproc)
  }
  emit(ev, gp->goid, arg, 0, w.m, w.p,
       static_cast<std::uint8_t>(static_cast<unsigned>(from) << 4 | static_cast<unsigned>(to)));
}

void traceGoStart(core::M* mp, core::G* gp) {
  core::P* pp = mp->p;
  std::int64_t tick = pp ? pp->schedtick.load(rt::relaxed) : 0;  // relaxed: our own P's counter
  emit(TraceEv::GoStart, gp->goid, tick, 0, static_cast<std::int32_t>(mp->id), pp ? pp->id : -1,
       static_cast<std::uint8_t>(static_cast<unsigned>(core::GStatus::runnable) << 4 |
                                 static_cast<unsigned>(core::GStatus::running)));
}

std::uint64_t traceGoCreateReserve() {
  // relaxed: as in emit.
  return trace_enabled() ? g_seq.fetch_add(1, rt::relaxed) : 0;
}

void traceGoCreate(std::uint64_t reserved, core::P* pp, core::G* newg, const core::G* parent) {
  if (reserved == 0) return;  // tracing started between the two calls
  Where w = where();
  std::int64_t tick =
      pp ? pp->schedtick.load(rt::relaxed) : 0;  // relaxed: the creating P's own counter
  emit(TraceEv::GoCreate, newg->goid, parent ? parent->goid : 0, tick, w.m, pp ? pp->id : -1,
       static_cast<std::uint8_t>(static_cast<unsigned>(core::GStatus::dead) << 4 |
                                 static_cast<unsigned>(core::GStatus::runnable)),
       reserved);
}

void traceProcStart(core::M* mp, core::P* pp) {
  emit(TraceEv::ProcStart, 0, mp->id, 0, static_cast<std::int32_t>(mp->id), pp->id);
}
void traceProcStop(core::M* mp, core::P* pp) {
  emit(TraceEv::ProcStop, 0, mp->id, 0, static_cast<std::int32_t>(mp->id), pp->id);
}
void traceProcSteal(core::P* pp) {
  Where w = where();
  emit(TraceEv::ProcSteal, 0, w.m, 0, w.m, pp->id);
}
void traceRunqSteal(core::P* thief, core::P* victim) {
  Where w = where();
  emit(TraceEv::RunqSteal, 0, victim->id, 0, w.m, thief->id);
}
void traceSTWBegin(const char* reason) {
  std::int64_t idx;
  {
    rt::LockGuard g(g_s.lock);
    g_s.strings.emplace_back(reason ? reason : "");
    idx = static_cast<std::int64_t>(g_s.strings.size() - 1);
  }
  Where w = where();
  emit(TraceEv::STWBegin, 0, idx, 0, w.m, w.p);
}
void traceSTWEnd() {
  Where w = where();
  emit(TraceEv::STWEnd, 0, 0, 0, w.m, w.p);
}
void traceNotePreempt(TraceStopReason r) {
  // An async preemption calls gopreempt, whose handler notes preempt_coop
  // afterwards: keep the more specific reason.
  if (tls_stop_reason_set && tls_stop_reason == TraceStopReason::preempt_async) return;
  tls_stop_reason = r;
  tls_stop_reason_set = true;
}
#endif  // GMPKIT_TRACE

void trace_run_begin() {
  const char* path = std::getenv("GMPKIT_TRACE");
  if (path == nullptr || *path == 0 || trace::running()) return;
  trace::start(path);
  g_env_started = true;
}

void trace_run_end() {
  if (!g_env_started) return;
  g_env_started = false;
  try {
    trace::stop();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "gmpkit: GMPKIT_TRACE: %s\n", e.what());
  }
}

}  // namespace gmpkit::observe

namespace gmpkit::trace {

using namespace gmpkit::observe;

bool compiled_in() noexcept { return GMPKIT_TRACE != 0; }

bool running() noexcept {
#if GMPKIT_TRACE
  return g_trace_enabled.load(rt::acquire);  // acquire: a caller that sees true may call stop()
#else
  return false;
#endif
}

void start(const std::string& path) {
  if (!compiled_in())
    throw gmpkit::error("gmpkit: trace::start: this build has no trace code (GMPKIT_TRACE=OFF)");
  {
    rt::LockGuard c(g_control);
    if (running()) throw usage_error("gmpkit: trace::start: a trace is already running");
    std::FILE* f = std::fopen(path.c_str(), "w");
    if (f == nullptr)
      throw gmpkit::error("gmpkit: trace::start: cannot open " + path + ": " +
                          std::strerror(errno));
    g_file = f;
    g_path = path;
    {
      rt::LockGuard s(g_s.lock);
      g_s.full.clear();
      g_s.strings.clear();
      rt::LockGuard l(g_trace_next_limits.lock);
      g_s.chunk_events =
          g_trace_next_limits.chunk_events ? g_trace_next_limits.chunk_events : kDefaultChunkEvents;
      g_s.max_chunks =
          g_trace_next_limits.max_chunks ? g_trace_next_limits.max_chunks : kDefaultMaxChunks;
    }
    g_s.chunks.store(0, rt::relaxed);  // relaxed: published by the release store below
    g_s.lost.store(0, rt::relaxed);  // relaxed: as above
    g_s.cut.store(~0ull, rt::relaxed);  // relaxed: as above
    g_s.overflowed.store(false, rt::relaxed);  // relaxed: as above
    g_cur_session.store(++g_session_id, rt::relaxed);  // relaxed: as above
    g_t0 = rt::nanotime();
#if GMPKIT_TRACE
    g_trace_enabled.store(true, rt::release);  // release: writers' acquire sees the session set up
#endif
  }
  snapshot_gs();
}

void stop() {
  std::vector<Chunk*> chunks;
  TraceExportInfo info;
  std::FILE* f;
  std::string path;
  {
    rt::LockGuard c(g_control);
    if (!running()) throw usage_error("gmpkit: trace::stop: no trace is running");
#if GMPKIT_TRACE
    g_trace_enabled.store(
        false, rt::seq_cst);  // seq_cst: before we take each buffer's lock (see the top comment)
#endif
    info.t_end = rt::nanotime();
    const std::uint64_t sid = g_cur_session.load(rt::relaxed);  // relaxed: written under g_control
    {
      rt::LockGuard r(g_registry.lock);
      for (ThreadBuf* b = g_registry.head; b; b = b->next) {
        rt::LockGuard l(b->mu);
        if (b->cur && b->session == sid)
          chunks.push_back(b->cur);
        else
          delete b->cur;
        b->cur = nullptr;
        b->session = 0;
      }
    }
    {
      rt::LockGuard s(g_s.lock);
      chunks.insert(chunks.end(), g_s.full.begin(), g_s.full.end());
      g_s.full.clear();
      info.strings = std::move(g_s.strings);
      g_s.strings.clear();
      info.bytes = static_cast<std::int64_t>(chunks.size()) * g_s.chunk_events *
                   static_cast<std::int64_t>(sizeof(TraceEvent));
    }
    info.t0 = g_t0;
    info.cut = g_s.cut.load(rt::relaxed);  // relaxed: every writer is done (buffer locks above)
    info.lost = g_s.lost.load(rt::relaxed);  // relaxed: as above
    f = g_file;
    g_file = nullptr;
    path = g_path;
  }
  // Convert without holding g_control (a new trace may start meanwhile).
  // On a goroutine this keeps its P busy for the conversion. (Running it as
  // a syscall would free the P; an attempt coincided with "notewakeup -
  // double wakeup" aborts in ASan runs, cause not pinned down: not done yet.)
  std::int64_t written = 0;
  bool write_error = false, close_error = false;
  try {
    std::vector<TraceEvent> evs;
    std::size_t n = 0;
    for (Chunk* c : chunks) n += c->n;
    evs.reserve(n);
    for (Chunk*& c : chunks) {
      evs.insert(evs.end(), c->ev, c->ev + c->n);
      delete c;
      c = nullptr;
    }
    written = trace_export_json(f, evs, info);
    write_error = std::ferror(f) != 0;
  } catch (...) {
    for (Chunk* c : chunks) delete c;
    std::fclose(f);
    throw;
  }
  close_error = std::fclose(f) != 0;
  {
    rt::LockGuard c(g_control);
    g_summary = trace::Summary{path, written, info.lost, info.bytes};
  }
  if (write_error || close_error) throw gmpkit::error("gmpkit: trace::stop: error writing " + path);
}

Summary last_summary() {
  rt::LockGuard c(g_control);
  return g_summary;
}

}  // namespace gmpkit::trace
