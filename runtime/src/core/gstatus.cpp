#include "core/gstatus.hpp"

namespace gmpkit::core {

const char* gstatus_name(GStatus s) noexcept {
  switch (s) {
    case GStatus::idle:
      return "idle";
    case GStatus::runnable:
      return "runnable";
    case GStatus::running:
      return "running";
    case GStatus::syscall:
      return "syscall";
    case GStatus::waiting:
      return "waiting";
    case GStatus::dead:
      return "dead";
    case GStatus::preempted:
      return "preempted";
  }
  return "???";
}

namespace {
constexpr unsigned bit(GStatus s) { return 1u << static_cast<unsigned>(s); }

// kLegal[from] is the set of states `from` may move to. One row per line of
// the table in docs/ARCHITECTURE.md §3; the right-hand comment says who does it.
constexpr unsigned kLegal[10] = {
    /* idle      */ bit(GStatus::dead),  // malg
    /* runnable  */ bit(GStatus::running),  // execute
    /* running   */ bit(GStatus::runnable)  // gosched / preempt
        | bit(GStatus::waiting)  // gopark
        | bit(GStatus::syscall)  // entersyscall
        | bit(GStatus::preempted)  // suspendG (preemptPark)
        | bit(GStatus::dead),  // goexit0
    /* syscall   */ bit(GStatus::running)  // exitsyscall fast path
        | bit(GStatus::runnable),  // exitsyscall0 (slow path)
    /* waiting   */ bit(GStatus::runnable),  // goready / injectglist / timer
    /* 5 unused  */ 0,
    /* dead      */ bit(GStatus::runnable),  // newproc
    /* 7 unused  */ 0,
    /* 8 unused  */ 0,
    /* preempted */ bit(GStatus::runnable),  // resumeG
};
}  // namespace

bool gstatus_transition_legal(GStatus from, GStatus to) noexcept {
  auto f = static_cast<unsigned>(from);
  return f < 10 && (kLegal[f] & bit(to)) != 0;
}

const char* wait_reason_string(WaitReason r) noexcept {
  static constexpr const char* kStrings[] = {
      "",
      "GC assist marking",
      "IO wait",
      "chan receive (nil chan)",
      "chan send (nil chan)",
      "dumping heap",
      "garbage collection",
      "garbage collection scan",
      "panicwait",
      "select",
      "select (no cases)",
      "GC assist wait",
      "GC sweep wait",
      "GC scavenge wait",
      "chan receive",
      "chan send",
      "finalizer wait",
      "force gc (idle)",
      "semacquire",
      "sleep",
      "sync.Cond.Wait",
      "sync.Mutex.Lock",
      "sync.RWMutex.RLock",
      "sync.RWMutex.Lock",
      "sync.WaitGroup.Wait",
      "timer goroutine (idle)",
      "trace reader (blocked)",
      "wait for GC cycle",
      "GC worker (idle)",
      "preempted",
      "debug call",
      "stopping the world",
      "GOMAXPROCS",
  };
  static_assert(sizeof(kStrings) / sizeof(kStrings[0]) ==
                static_cast<unsigned>(WaitReason::count_));
  auto i = static_cast<unsigned>(r);
  return i < static_cast<unsigned>(WaitReason::count_) ? kStrings[i] : "?";
}

}  // namespace gmpkit::core
