// observe/trace_export.cpp — the execution trace as Chrome/Perfetto JSON
// (the "JSON Object Format": {"traceEvents": [...], ...}).
//
// Layout:
//   pid 1 "Ps"       one track (tid = P id + 1) per P: a slice per goroutine
//                    run ("G12", B/E), GoCreate / GoUnblock as 0-length X
//                    slices (flow sources), Proc and steal instants;
//   pid 2 "Ms"       one track (tid = M id + 1; tid 0: threads that are not
//                    Ms) per M: syscall slices, P acquire/release instants,
//                    unblocks made without a P;
//   pid 3 "runtime"  stop-the-world slices, goroutine states at trace start
//                    (GoStatus), the lost-events record.
// Flow arrows (ph "s" -> "f", "bp":"e") go from a GoCreate or GoUnblock to
// the next start of that goroutine. Every event carries args.ev (Go's event
// name), args.seq (the global order) and args.g where it concerns a G, so a
// checker can replay the per-G order exactly.
//
// Invariants of the output: events are written in seq order with
// non-decreasing timestamps; every B has its E on the same track (slices
// still open at the end of the trace are closed there); each flow id has
// exactly one "s" and one "f". The export is a state machine over the
// sorted events; it never trusts the input to be complete (a trace may start
// while a G runs, or end after lost events), so an end without a start gets
// a synthesized start where the track was last free.
#include <algorithm>
#include <cinttypes>
#include <map>
#include <set>
#include <string>
#include <unordered_map>

#include "core/gstatus.hpp"
#include "core/m.hpp"
#include "core/p.hpp"
#include "observe/trace.hpp"
#include "observe/trace_buf.hpp"

namespace gmpkit::observe {

namespace {

constexpr int kPidP = 1, kPidM = 2, kPidRuntime = 3;

const char* ev_name(TraceEv e) {
  static constexpr const char* kNames[] = {
      "GoCreate",  "GoStart",        "GoStop",       "GoBlock",
      "GoUnblock", "GoSyscallBegin", "GoSyscallEnd", "GoSyscallEndBlocked",
      "GoDestroy", "GoStatus",       "ProcStart",    "ProcStop",
      "ProcSteal", "RunqSteal",      "STWBegin",     "STWEnd"};
  static_assert(sizeof(kNames) / sizeof(kNames[0]) == static_cast<unsigned>(TraceEv::count_));
  auto i = static_cast<unsigned>(e);
  return i < static_cast<unsigned>(TraceEv::count_) ? kNames[i] : "?";
}

const char* stop_reason(std::int64_t r) {
  switch (static_cast<TraceStopReason>(r)) {
    case TraceStopReason::yield:
      return "yield";
    case TraceStopReason::preempt_coop:
      return "preempt-coop";
    case TraceStopReason::preempt_async:
      return "preempt-async";
    case TraceStopReason::suspend:
      return "suspend";
  }
  return "?";
}

std::string json_escape(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

struct Track {
  int pid, tid;
  bool operator<(const Track& o) const { return pid != o.pid ? pid < o.pid : tid < o.tid; }
};
Track ptrack(int p) { return {kPidP, p + 1}; }
Track mtrack(int m) { return {kPidM, m < 0 ? 0 : m + 1}; }
Track rtrack() { return {kPidRuntime, 1}; }

struct Open {
  Track t;
  std::int64_t g;
};

class Writer {
 public:
  Writer(std::FILE* f, TraceExportInfo& info) : f_(f), info_(info) {}

  std::int64_t run(std::vector<TraceEvent>& evs) {
    std::sort(evs.begin(), evs.end(),
              [](const TraceEvent& a, const TraceEvent& b) { return a.seq < b.seq; });
    std::fputs("{\"displayTimeUnit\":\"ns\",\"traceEvents\":[\n", f_);
    for (const TraceEvent& e : evs) {
      if (e.seq >= info_.cut) {
        info_.lost++;  // past the first dropped event: keep the prefix consistent
        continue;
      }
      step(e);
    }
    finish();
    std::fprintf(f_,
                 "\n],\"otherData\":{\"generator\":\"gmpkit\",\"lost_events\":%" PRId64
                 ",\"buffer_bytes\":%" PRId64 ",\"events\":%" PRId64 "}}\n",
                 info_.lost, info_.bytes, written_);
    return written_;
  }

 private:
  std::FILE* f_;
  TraceExportInfo& info_;
  std::int64_t written_ = 0;
  bool first_ = true;
  std::int64_t last_ts_ = 0;  // ns since t0, non-decreasing
  std::set<Track> tracks_;
  std::unordered_map<std::int64_t, Track> grun_;  // G -> P track of its open slice
  std::map<Track, std::int64_t> topen_;  // P track -> G whose slice is open there
  std::map<Track, std::int64_t> tfree_;  // track -> ts it was last free (for synthesized B)
  std::unordered_map<std::int64_t, Track> gsys_;  // G -> M track of its open syscall slice
  struct Flow {
    std::int64_t ts;
    Track t;
  };
  std::unordered_map<std::int64_t, Flow> pending_;  // G -> where its last create/unblock was
  std::int64_t next_flow_ = 1;
  bool stw_open_ = false;
  std::string stw_name_;

  void begin_line() {
    if (!first_) std::fputs(",\n", f_);
    first_ = false;
    written_++;
  }
  static void ts(char* buf, std::size_t n, std::int64_t ns) {
    std::snprintf(buf, n, "%" PRId64 ".%03" PRId64, ns / 1000, ns % 1000);
  }
  // One event line: ph, track, ts, name, and extra args (already JSON).
  void line(const char* ph, Track t, std::int64_t at, const std::string& name,
            const std::string& args, const char* extra = "") {
    tracks_.insert(t);
    char tb[32];
    ts(tb, sizeof tb, at);
    begin_line();
    std::fprintf(f_,
                 "{\"ph\":\"%s\",\"pid\":%d,\"tid\":%d,\"ts\":%s,\"name\":\"%s\"%s,\"args\":{%s}}",
                 ph, t.pid, t.tid, tb, json_escape(name).c_str(), extra, args.c_str());
  }
  static std::string base_args(const TraceEvent& e, TraceEv ev) {
    std::string a = "\"ev\":\"" + std::string(ev_name(ev)) + "\",\"seq\":" + std::to_string(e.seq);
    if (e.g != 0) a += ",\"g\":" + std::to_string(e.g);
    a += ",\"m\":" + std::to_string(e.m) + ",\"p\":" + std::to_string(e.p);
    if (e.trans != 0 || ev == TraceEv::GoCreate) {
      a += ",\"from\":\"" +
           std::string(core::gstatus_name(static_cast<core::GStatus>(e.trans >> 4))) +
           "\",\"to\":\"" + core::gstatus_name(static_cast<core::GStatus>(e.trans & 15)) + "\"";
    }
    return a;
  }
  static std::string gname(std::int64_t g) { return "G" + std::to_string(g); }

  void open_g(std::int64_t g, Track t, std::int64_t at, const std::string& args) {
    close_g(g, at, "\"ev\":\"(restarted)\"");  // defensive: never two open slices for one G
    auto it = topen_.find(t);
    if (it != topen_.end()) close_g(it->second, at, "\"ev\":\"(track reused)\"");
    line("B", t, at, gname(g), args);
    grun_[g] = t;
    topen_[t] = g;
    auto pf = pending_.find(g);
    if (pf != pending_.end()) {
      std::string id = ",\"id\":" + std::to_string(next_flow_++);
      line("s", pf->second.t, pf->second.ts, "wakeup", "", (",\"cat\":\"flow\"" + id).c_str());
      line("f", t, at, "wakeup", "", (",\"cat\":\"flow\",\"bp\":\"e\"" + id).c_str());
      pending_.erase(pf);
    }
  }
  // Ends g's slice, synthesizing its start if the trace began while it ran.
  void close_g(std::int64_t g, std::int64_t at, const std::string& args,
               const Track* where = nullptr) {
    auto it = grun_.find(g);
    if (it == grun_.end()) {
      if (where == nullptr) return;
      auto busy = topen_.find(*where);
      if (busy != topen_.end()) close_g(busy->second, at, "\"ev\":\"(track reused)\"");
      line("B", *where, tfree_[*where], gname(g),
           "\"ev\":\"(running at trace start)\",\"g\":" + std::to_string(g));
      line("E", *where, at, gname(g), args);
      tfree_[*where] = at;
      return;
    }
    line("E", it->second, at, gname(g), args);
    tfree_[it->second] = at;
    topen_.erase(it->second);
    grun_.erase(it);
  }

  void step(const TraceEvent& e) {
    std::int64_t at = e.ts - info_.t0;
    if (at < last_ts_) at = last_ts_;
    last_ts_ = at;
    const auto ev = static_cast<TraceEv>(e.type);
    std::string a = base_args(e, ev);
    const Track pt = ptrack(e.p), mt = mtrack(e.m);
    const Track here = e.p >= 0 ? pt : mt;
    switch (ev) {
      case TraceEv::GoCreate:
        line(
            "X", here, at, "GoCreate " + gname(e.g),
            a + ",\"parent\":" + std::to_string(e.arg) + ",\"schedtick\":" + std::to_string(e.arg2),
            ",\"dur\":0");
        pending_[e.g] = {at, here};
        break;
      case TraceEv::GoStart:
        open_g(e.g, pt, at, a + ",\"schedtick\":" + std::to_string(e.arg));
        break;
      case TraceEv::GoSyscallEnd: {
        auto s = gsys_.find(e.g);
        if (s != gsys_.end()) {
          line("E", s->second, at, "syscall", a);
          gsys_.erase(s);
        }
        open_g(e.g, pt, at, a);
        break;
      }
      case TraceEv::GoStop:
        close_g(e.g, at, a + ",\"reason\":\"" + stop_reason(e.arg) + "\"", &pt);
        break;
      case TraceEv::GoBlock:
        close_g(e.g, at,
                a + ",\"reason\":\"" +
                    json_escape(core::wait_reason_string(static_cast<core::WaitReason>(e.arg))) +
                    "\"",
                &pt);
        break;
      case TraceEv::GoDestroy:
        close_g(e.g, at, a, &pt);
        pending_.erase(e.g);
        break;
      case TraceEv::GoSyscallBegin:
        close_g(e.g, at, a, &pt);
        line("B", mt, at, "syscall", a);
        gsys_[e.g] = mt;
        break;
      case TraceEv::GoSyscallEndBlocked: {
        auto s = gsys_.find(e.g);
        if (s != gsys_.end()) {
          line("E", s->second, at, "syscall", a);
          gsys_.erase(s);
        }
        line("i", mt, at, "GoSyscallEndBlocked " + gname(e.g), a, ",\"s\":\"t\"");
        break;
      }
      case TraceEv::GoUnblock:
        line("X", here, at, "GoUnblock " + gname(e.g), a, ",\"dur\":0");
        pending_[e.g] = {at, here};
        break;
      case TraceEv::GoStatus:
        line("i", rtrack(), at, "GoStatus " + gname(e.g),
             a + ",\"status\":\"" + core::gstatus_name(static_cast<core::GStatus>(e.arg)) + "\"",
             ",\"s\":\"t\"");
        break;
      case TraceEv::ProcStart:
      case TraceEv::ProcStop:
        line("i", pt, at, std::string(ev_name(ev)) + " M" + std::to_string(e.arg), a,
             ",\"s\":\"t\"");
        // The M's side of the hand-over (same seq: one event).
        line(
            "i", mt, at,
            std::string(ev == TraceEv::ProcStart ? "acquire P" : "release P") + std::to_string(e.p),
            a, ",\"s\":\"t\"");
        break;
      case TraceEv::ProcSteal:
        line("i", pt, at, std::string(ev_name(ev)) + " M" + std::to_string(e.arg), a,
             ",\"s\":\"t\"");
        break;
      case TraceEv::RunqSteal:
        line("i", pt, at, "RunqSteal from P" + std::to_string(e.arg),
             a + ",\"victim\":" + std::to_string(e.arg), ",\"s\":\"t\"");
        break;
      case TraceEv::STWBegin: {
        std::string reason = e.arg >= 0 && static_cast<std::size_t>(e.arg) < info_.strings.size()
                                 ? info_.strings[static_cast<std::size_t>(e.arg)]
                                 : "";
        if (stw_open_) line("E", rtrack(), at, stw_name_, "\"ev\":\"(unpaired)\"");
        stw_name_ = "STW " + reason;
        line("B", rtrack(), at, stw_name_, a + ",\"reason\":\"" + json_escape(reason) + "\"");
        stw_open_ = true;
        break;
      }
      case TraceEv::STWEnd:
        if (stw_open_) line("E", rtrack(), at, stw_name_, a);
        stw_open_ = false;
        break;
      case TraceEv::count_:
        break;
    }
  }

  void finish() {
    std::int64_t end = info_.t_end - info_.t0;
    if (end < last_ts_) end = last_ts_;
    std::vector<std::int64_t> gs;
    for (auto& kv : grun_) gs.push_back(kv.first);
    std::sort(gs.begin(), gs.end());
    for (std::int64_t g : gs) close_g(g, end, "\"ev\":\"(trace end)\",\"g\":" + std::to_string(g));
    for (auto& kv : gsys_) line("E", kv.second, end, "syscall", "\"ev\":\"(trace end)\"");
    gsys_.clear();
    if (stw_open_) line("E", rtrack(), end, stw_name_, "\"ev\":\"(trace end)\"");
    if (info_.lost > 0)
      line("i", rtrack(), end, "lost events",
           "\"ev\":\"LostEvents\",\"count\":" + std::to_string(info_.lost), ",\"s\":\"g\"");
    tracks_.insert(rtrack());
    // Metadata: names for the processes and tracks.
    auto meta = [&](const char* what, int pid, int tid, const std::string& name, int sort) {
      if (!first_) std::fputs(",\n", f_);
      first_ = false;
      std::fprintf(
          f_,
          "{\"ph\":\"M\",\"pid\":%d,\"tid\":%d,\"name\":\"%s_name\",\"args\":{\"name\":\"%s\"}}",
          pid, tid, what, json_escape(name).c_str());
      std::fprintf(f_,
                   ",\n{\"ph\":\"M\",\"pid\":%d,\"tid\":%d,\"name\":\"%s_sort_index\",\"args\":{"
                   "\"sort_index\":%d}}",
                   pid, tid, what, sort);
    };
    meta("process", kPidP, 0, "Ps", kPidP);
    meta("process", kPidM, 0, "Ms", kPidM);
    meta("process", kPidRuntime, 0, "runtime", kPidRuntime);
    for (const Track& t : tracks_) {
      std::string name = t.pid == kPidP   ? "P" + std::to_string(t.tid - 1)
                         : t.pid == kPidM ? (t.tid == 0 ? std::string("not an M")
                                                        : "M" + std::to_string(t.tid - 1))
                                          : std::string("STW / status");
      meta("thread", t.pid, t.tid, name, t.tid);
    }
  }
};

}  // namespace

std::int64_t trace_export_json(std::FILE* f, std::vector<TraceEvent>& evs, TraceExportInfo& info) {
  std::setvbuf(f, nullptr, _IOFBF, 1 << 20);
  Writer w(f, info);
  return w.run(evs);
}

}  // namespace gmpkit::observe
