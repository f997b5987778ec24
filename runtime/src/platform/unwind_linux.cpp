// platform/unwind_linux.cpp — libunwind, loaded at run time (design comment
// in unwind.hpp): a local-only DWARF walk from a built ucontext.
#include <dlfcn.h>
#include <ucontext.h>

#include <cstring>
#include <string>
#include <unordered_map>

#include "platform/mutex.hpp"
#include "platform/unwind.hpp"

#if defined(__x86_64__) && __has_include(<libunwind.h>)
#define UNW_LOCAL_ONLY
#include <libunwind.h>
#define GMPKIT_HAVE_LIBUNWIND 1
#else
#define GMPKIT_HAVE_LIBUNWIND 0
#endif

namespace gmpkit::rt {

#if GMPKIT_HAVE_LIBUNWIND
namespace {

// The few entry points we use, by their real (macro-expanded) names:
// UNW_LOCAL_ONLY maps unw_init_local to _ULx86_64_init_local and so on.
struct Lib {
  int (*getcontext)(unw_context_t*) = nullptr;
  int (*init_local)(unw_cursor_t*, unw_context_t*) = nullptr;
  int (*step)(unw_cursor_t*) = nullptr;
  int (*get_reg)(unw_cursor_t*, unw_regnum_t, unw_word_t*) = nullptr;
  int (*get_proc_name)(unw_cursor_t*, char*, std::size_t, unw_word_t*) = nullptr;
  const char* why = nullptr;  // non-null: unavailable

  Lib() {
    // RTLD_LOCAL: its _Unwind_* must not interpose libgcc's (unwind.hpp).
    void* h = ::dlopen("libunwind.so.8", RTLD_NOW | RTLD_LOCAL);
    if (h == nullptr) h = ::dlopen("libunwind.so", RTLD_NOW | RTLD_LOCAL);
    if (h == nullptr) {
      why = "libunwind.so.8 not found";
      return;
    }
    getcontext = reinterpret_cast<decltype(getcontext)>(::dlsym(h, "_Ux86_64_getcontext"));
    init_local = reinterpret_cast<decltype(init_local)>(::dlsym(h, "_ULx86_64_init_local"));
    step = reinterpret_cast<decltype(step)>(::dlsym(h, "_ULx86_64_step"));
    get_reg = reinterpret_cast<decltype(get_reg)>(::dlsym(h, "_ULx86_64_get_reg"));
    get_proc_name =
        reinterpret_cast<decltype(get_proc_name)>(::dlsym(h, "_ULx86_64_get_proc_name"));
    if (!getcontext || !init_local || !step || !get_reg || !get_proc_name)
      why = "libunwind lacks the x86-64 local API";
  }
};

Lib& lib() {
  static Lib l;  // C++ magic static: loaded once, thread-safe
  return l;
}

// pc -> symbol: unw_get_proc_name reads the object's .symtab on every call
// (~4 ms a goroutine without this), and a dump's stacks share most pcs.
// try_lock only: a fatal-error dump must not wait on a lock its own crash
// may hold; without the lock the name is just looked up again.
struct NameCache {
  struct Entry {
    std::string name;
    unw_word_t off;
  };
  rt::Mutex mu;
  std::unordered_map<unw_word_t, Entry> map GMPKIT_GUARDED_BY(mu);
  static constexpr std::size_t kMax = 4096;
};
NameCache& name_cache() {
  static NameCache* c = new NameCache;  // never destroyed: a dump may run during exit
  return *c;
}

void proc_name(Lib& l, unw_cursor_t* cur, unw_word_t ip, UnwindFrame* f) GMPKIT_NO_TSA {
  NameCache& c = name_cache();
  const bool locked = c.mu.try_lock();
  if (locked) {
    auto it = c.map.find(ip);
    if (it != c.map.end()) {
      std::strncpy(f->name, it->second.name.c_str(), sizeof f->name - 1);
      f->off = it->second.off;
      c.mu.unlock();
      return;
    }
  }
  unw_word_t off = 0;
  if (l.get_proc_name(cur, f->name, sizeof f->name, &off) >= 0 || f->name[0] != '\0') {
    f->name[sizeof f->name - 1] = '\0';
    f->off = off;
  } else {
    f->name[0] = '\0';
  }
  if (locked) {
    if (c.map.size() >= NameCache::kMax) c.map.clear();
    c.map.emplace(ip, NameCache::Entry{f->name, f->off});
    c.mu.unlock();
  }
}

int walk(unw_context_t* uc, std::uintptr_t lo, std::uintptr_t hi, UnwindFrame* out, int max,
         int skip) {
  Lib& l = lib();
  unw_cursor_t cur;
  if (l.init_local(&cur, uc) < 0) return 0;
  int n = 0;
  std::uintptr_t prev_sp = 0;
  for (int i = 0; n < max; i++) {
    unw_word_t ip = 0, sp = 0;
    if (l.get_reg(&cur, UNW_REG_IP, &ip) < 0 || l.get_reg(&cur, UNW_REG_SP, &sp) < 0) break;
    if (ip == 0) break;
    // Stay on this stack, moving up: anything else is a corrupted chain.
    if (sp < lo || sp > hi || (i > 0 && sp <= prev_sp)) break;
    prev_sp = sp;
    if (i >= skip) {
      UnwindFrame& f = out[n++];
      f.pc = ip;
      f.sp = sp;
      proc_name(l, &cur, ip, &f);
    }
    if (l.step(&cur) <= 0) break;  // 0: bottom (gmpkit_ctx_entry's undefined rip); <0: error
  }
  return n;
}

}  // namespace

bool unwinder_available() noexcept { return lib().why == nullptr; }
const char* unwinder_unavailable_reason() noexcept { return lib().why ? lib().why : ""; }

int unwind_from(const UnwindRegs& r, std::uintptr_t lo, std::uintptr_t hi, UnwindFrame* out,
                int max) noexcept {
  if (!unwinder_available() || r.rsp < lo || r.rsp > hi) return 0;
  unw_context_t uc;
  std::memset(&uc, 0, sizeof uc);
  greg_t* g = uc.uc_mcontext.gregs;
  g[REG_RIP] = static_cast<greg_t>(r.rip);
  g[REG_RSP] = static_cast<greg_t>(r.rsp);
  g[REG_RBP] = static_cast<greg_t>(r.rbp);
  g[REG_RBX] = static_cast<greg_t>(r.rbx);
  g[REG_R12] = static_cast<greg_t>(r.r12);
  g[REG_R13] = static_cast<greg_t>(r.r13);
  g[REG_R14] = static_cast<greg_t>(r.r14);
  g[REG_R15] = static_cast<greg_t>(r.r15);
  return walk(&uc, lo, hi, out, max, 0);
}

__attribute__((noinline)) int unwind_self(std::uintptr_t lo, std::uintptr_t hi, UnwindFrame* out,
                                          int max) noexcept {
  if (!unwinder_available()) return 0;
  unw_context_t uc;
  if (lib().getcontext(&uc) < 0) return 0;
  // Frame 0 is this function: start with our caller.
  int n = walk(&uc, lo, hi, out, max, 1);
  asm volatile("" ::: "memory");  // keep this frame (and uc) alive: no tail call
  return n;
}

bool symbolize(std::uintptr_t pc, UnwindFrame* out) noexcept {
  // A cursor at pc, never stepped (a step would read a frame that does not
  // exist): only its procedure lookup is used.
  if (!unwinder_available()) return false;
  Lib& l = lib();
  unw_context_t uc;
  std::memset(&uc, 0, sizeof uc);
  uc.uc_mcontext.gregs[REG_RIP] = static_cast<greg_t>(pc);
  uc.uc_mcontext.gregs[REG_RSP] = static_cast<greg_t>(reinterpret_cast<std::uintptr_t>(&uc));
  unw_cursor_t cur;
  if (l.init_local(&cur, &uc) < 0) return false;
  out->pc = pc;
  proc_name(l, &cur, pc, out);
  return out->name[0] != '\0';
}

#else  // no libunwind header or not x86-64

bool unwinder_available() noexcept { return false; }
const char* unwinder_unavailable_reason() noexcept { return "built without libunwind"; }
int unwind_from(const UnwindRegs&, std::uintptr_t, std::uintptr_t, UnwindFrame*, int) noexcept {
  return 0;
}
int unwind_self(std::uintptr_t, std::uintptr_t, UnwindFrame*, int) noexcept { return 0; }
bool symbolize(std::uintptr_t, UnwindFrame*) noexcept { return false; }

#endif

const char* module_of(std::uintptr_t pc) noexcept {
  Dl_info info;
  if (::dladdr(reinterpret_cast<void*>(pc), &info) == 0 || info.dli_fname == nullptr) return "";
  return info.dli_fname;
}

}  // namespace gmpkit::rt
