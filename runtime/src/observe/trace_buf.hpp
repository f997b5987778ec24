// observe/trace_buf.hpp — the execution tracer's event record and the
// interface between the buffers (trace.cpp) and the JSON export
// (trace_export.cpp). Internal.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace gmpkit::observe {

// Go 1.22's event names (internal/trace/v2), plus RunqSteal.
enum class TraceEv : std::uint8_t {
  GoCreate,  // g = new G, arg = parent goid (0: none), arg2 = creating P's schedtick
  GoStart,  // g, arg = P's schedtick
  GoStop,  // g, arg = TraceStopReason
  GoBlock,  // g, arg = WaitReason
  GoUnblock,  // g (made runnable by the M/P recorded)
  GoSyscallBegin,  // g
  GoSyscallEnd,  // g (back on a P: p)
  GoSyscallEndBlocked,  // g (no P: runnable on the global queue)
  GoDestroy,  // g
  GoStatus,  // g, arg = GStatus when tracing started
  ProcStart,  // p, arg = M id
  ProcStop,  // p, arg = M id
  ProcSteal,  // p (taken from the M in a syscall), arg = M id of the taker (-1: none)
  RunqSteal,  // p = thief, arg = victim P id
  STWBegin,  // arg = index into the session's strings (the reason)
  STWEnd,
  count_
};

// 48 bytes. `seq` is the global order (one counter for all threads: its
// modification order is consistent with happens-before, so the export can
// sort by it even when timestamps tie or a GoCreate's stamp is taken late).
struct TraceEvent {
  std::uint64_t seq;
  std::int64_t ts;  // rt::nanotime()
  std::int64_t g;  // goid, or 0
  std::int64_t arg;
  std::int64_t arg2;
  std::int32_t m;  // the M that recorded it (-1: not an M)
  std::int16_t p;  // the P it concerns (-1: none)
  std::uint8_t type;  // TraceEv
  std::uint8_t trans;  // G transitions: from << 4 | to (GStatus values)
};
static_assert(sizeof(TraceEvent) == 48);

struct TraceExportInfo {
  std::int64_t t0 = 0;  // trace start (nanotime)
  std::int64_t t_end = 0;  // trace stop (nanotime)
  std::uint64_t cut = ~0ull;  // events with seq >= cut are not written (lost-events prefix rule)
  std::int64_t lost = 0;  // events dropped while recording
  std::int64_t bytes = 0;  // peak bytes of event buffers
  std::vector<std::string> strings;
};

// Sorts `evs` and writes the Chrome/Perfetto JSON object to f. Returns the
// number of events written (trace events, not metadata) and adds the events
// cut off by the prefix rule to info.lost.
std::int64_t trace_export_json(std::FILE* f, std::vector<TraceEvent>& evs, TraceExportInfo& info);

}  // namespace gmpkit::observe
