// platform/signal_linux.cpp — signals on Linux: the stack-overflow fault
// handler, per-thread alternate signal stacks, and the preemption signal
// (SIGURG) with its call injection, the code-region table behind the async
// safe-point rule, and the XSAVE geometry for the injected call.
#include <cpuid.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <vector>

#include "platform/signal.hpp"

namespace gmpkit::rt {

namespace {
std::atomic<FaultHandler> g_handler{nullptr};
struct sigaction g_prev_segv, g_prev_bus;
std::once_flag g_once;

void on_fault(int sig, siginfo_t* info, void* uctx) {
  void* sp = nullptr;
#if defined(__x86_64__)
  sp = reinterpret_cast<void*>(static_cast<ucontext_t*>(uctx)->uc_mcontext.gregs[REG_RSP]);
#elif defined(__aarch64__)
  sp = reinterpret_cast<void*>(static_cast<ucontext_t*>(uctx)->uc_mcontext.sp);
#endif
  // acquire: pairs with the release store in install_fault_handler.
  FaultHandler h = g_handler.load(std::memory_order_acquire);
  if (h && h(info->si_addr, sp)) {
    std::abort();
  }
  // Not ours: restore the previous disposition and return, so the faulting
  // instruction re-executes and the previous handler (or the default
  // action: a core dump) takes it.
  sigaction(sig, sig == SIGSEGV ? &g_prev_segv : &g_prev_bus, nullptr);
}
}  // namespace

void install_fault_handler(FaultHandler h) noexcept {
  g_handler.store(h, std::memory_order_release);  // release: handler visible before it can fire
  std::call_once(g_once, [] {
    struct sigaction sa {};
    sa.sa_sigaction = on_fault;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGSEGV, &sa, &g_prev_segv);
    sigaction(SIGBUS, &sa, &g_prev_bus);
  });
}

void* signal_stack_enable() noexcept {
  const std::size_t size = 64 * 1024;
  void* mem = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED) return nullptr;
  stack_t ss{};
  ss.ss_sp = mem;
  ss.ss_size = size;
  if (sigaltstack(&ss, nullptr) != 0) {
    ::munmap(mem, size);
    return nullptr;
  }
  return mem;
}

void signal_stack_disable(void* handle) noexcept {
  if (!handle) return;
  stack_t ss{};
  ss.ss_flags = SS_DISABLE;
  sigaltstack(&ss, nullptr);
  ::munmap(handle, 64 * 1024);
}

// ---- preemption signal ----

const int kSigPreempt = SIGURG;

namespace {
std::atomic<PreemptHandler> g_preempt{nullptr};
struct sigaction g_prev_urg;
std::once_flag g_urg_once;
bool g_urg_ok = false;
constexpr int kSaRestorer = 0x04000000;  // <asm/signal.h>'s SA_RESTORER (not in glibc's headers)
// libc's signal return trampoline; 0 until install_preempt_handler found it.
std::atomic<std::uintptr_t> g_restorer{0};

void on_preempt(int sig, siginfo_t* info, void* uctx) {
  int saved_errno = errno;  // a handler must not change the interrupted code's errno
  // Forward first (with the untouched context): SIGURG may also be a
  // program's out-of-band-data notification.
  if ((g_prev_urg.sa_flags & SA_SIGINFO) != 0) {
    if (g_prev_urg.sa_sigaction != nullptr) g_prev_urg.sa_sigaction(sig, info, uctx);
  } else if (g_prev_urg.sa_handler != SIG_DFL && g_prev_urg.sa_handler != SIG_IGN &&
             g_prev_urg.sa_handler != nullptr) {
    g_prev_urg.sa_handler(sig);
  }
#if defined(__x86_64__)
  // acquire: pairs with the release store in install_preempt_handler.
  PreemptHandler h = g_preempt.load(std::memory_order_acquire);
  if (h != nullptr) {
    auto* uc = static_cast<ucontext_t*>(uctx);
    auto pc = static_cast<std::uintptr_t>(uc->uc_mcontext.gregs[REG_RIP]);
    auto sp = static_cast<std::uintptr_t>(uc->uc_mcontext.gregs[REG_RSP]);
    if (void* target = h(pc, sp)) {
      // Go's pushCall, minus the red zone Go does not have: the SysV ABI
      // lets leaf code keep data in the 128 bytes below rsp, so the return
      // address goes below them and the target ends with `ret $128`.
      std::uintptr_t nsp = sp - 128 - 8;
      *reinterpret_cast<std::uintptr_t*>(nsp) = pc;
      uc->uc_mcontext.gregs[REG_RSP] = static_cast<greg_t>(nsp);
      uc->uc_mcontext.gregs[REG_RIP] =
          static_cast<greg_t>(reinterpret_cast<std::uintptr_t>(target));
    }
  }
#else
  (void)uctx;
#endif
  errno = saved_errno;
}
}  // namespace

bool install_preempt_handler(PreemptHandler h) noexcept {
  g_preempt.store(h, std::memory_order_release);  // release: handler visible before it can fire
  std::call_once(g_urg_once, [] {
    struct sigaction sa {};
    sa.sa_sigaction = on_preempt;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESTART;
    sigemptyset(&sa.sa_mask);
    g_urg_ok = sigaction(SIGURG, &sa, &g_prev_urg) == 0;
#if defined(__x86_64__)
    // The return trampoline libc put into our sigaction (SA_RESTORER): the
    // one every handler installed through libc returns through, which marks
    // the signal frames in_signal_handler() looks for. Without it a handler
    // frame cannot be recognised, so no async preemption at all.
    struct sigaction cur {};
    if (g_urg_ok && sigaction(SIGURG, nullptr, &cur) == 0 && (cur.sa_flags & kSaRestorer) != 0 &&
        cur.sa_restorer != nullptr)
      // release: set before preempt_init turns async preemption on.
      g_restorer.store(reinterpret_cast<std::uintptr_t>(cur.sa_restorer),
                       std::memory_order_release);
    else
      g_urg_ok = false;
#endif
  });
  return g_urg_ok;
}

// Not instrumented: it reads every word of the goroutine's used stack,
// including ASan's redzones between live frames.
__attribute__((no_sanitize("address", "hwaddress"))) bool in_signal_handler(
    std::uintptr_t sp, std::uintptr_t hi) noexcept {
#if defined(__x86_64__)
  // A signal frame (the kernel's rt_sigframe) starts with the return
  // address of the handler, the restorer, at an address the handler sees as
  // its entry rsp: 8 mod 16 (SysV: rsp + 8 is 16-aligned at a call target).
  // The saved context follows it; a frame is accepted only if that context
  // is consistent: the interrupted rsp above the frame and on this stack,
  // the FPU-state pointer (if any) between the two. A stale copy left in a
  // dead slot of a live frame can only make us skip preemptions (safe),
  // never allow a wrong one.
  // acquire: pairs with the store in install_preempt_handler.
  const std::uintptr_t restorer = g_restorer.load(std::memory_order_acquire);
  if (restorer == 0) return true;  // cannot tell: treat as inside a handler
  // Bytes read at a candidate: the restorer and the context up to the end
  // of its register block (a real frame is larger: signal mask, siginfo, FPU state).
  constexpr std::uintptr_t kCtx = sizeof(std::uintptr_t) + offsetof(ucontext_t, uc_sigmask);
  // The first candidate is sp itself when sp = 8 mod 16: at a handler's
  // first instruction the frame starts exactly at sp.
  std::uintptr_t a = ((sp + 7) & ~std::uintptr_t{15}) + 8;
  if (a - 16 >= sp) a -= 16;
  for (; a + kCtx <= hi; a += 16) {
    if (*reinterpret_cast<const std::uintptr_t*>(a) != restorer) continue;
    const auto* uc = reinterpret_cast<const ucontext_t*>(a + sizeof(std::uintptr_t));
    const auto rsp = static_cast<std::uintptr_t>(uc->uc_mcontext.gregs[REG_RSP]);
    const auto fp = reinterpret_cast<std::uintptr_t>(uc->uc_mcontext.fpregs);
    if (rsp <= a || rsp > hi) continue;
    if (fp != 0 && (fp <= a || fp >= rsp)) continue;
    return true;
  }
  return false;
#else
  (void)sp;
  (void)hi;
  return true;
#endif
}

bool signal_thread(std::int64_t tid, int sig) noexcept {
  static const pid_t pid = ::getpid();
  return ::syscall(SYS_tgkill, pid, static_cast<pid_t>(tid), sig) == 0;
}

bool signal_preempt(std::int64_t tid) noexcept { return signal_thread(tid, SIGURG); }

__attribute__((noinline)) int thread_errno() noexcept {
  asm volatile("" ::: "memory");
  return errno;
}
__attribute__((noinline)) void set_thread_errno(int v) noexcept {
  asm volatile("" ::: "memory");
  errno = v;
}

// ---- code regions ----

extern "C" {
// Defined by the linker when some input has a section named gmpkit_text.
extern char __start_gmpkit_text[] __attribute__((weak, visibility("hidden")));
extern char __stop_gmpkit_text[] __attribute__((weak, visibility("hidden")));
}

namespace {
struct Range {
  std::uintptr_t lo, hi;
};
constexpr int kMaxRanges = 16;
struct CodeRegions {
  Range user[kMaxRanges];  // executable segments of the main program
  int nuser = 0;
  Range rt[kMaxRanges];  // the runtime's own text
  int nrt = 0;
};
CodeRegions g_regions;
std::atomic<bool> g_regions_ok{false};
std::once_flag g_regions_once;

struct Scan {
  std::uintptr_t self;  // an address inside the runtime
  bool first = true;
  bool self_in_main = false;
  CodeRegions* out;
  std::uintptr_t main_bias = 0;  // the main program's load address (PIE)
};

int scan_object(dl_phdr_info* info, std::size_t, void* data) {
  auto* sc = static_cast<Scan*>(data);
  bool is_main = sc->first;  // dl_iterate_phdr reports the main program first
  sc->first = false;
  Range segs[kMaxRanges];
  int n = 0;
  bool has_self = false;
  for (int i = 0; i < info->dlpi_phnum; i++) {
    const auto& ph = info->dlpi_phdr[i];
    if (ph.p_type != PT_LOAD || (ph.p_flags & PF_X) == 0 || n == kMaxRanges) continue;
    Range r{info->dlpi_addr + ph.p_vaddr, info->dlpi_addr + ph.p_vaddr + ph.p_memsz};
    if (sc->self >= r.lo && sc->self < r.hi) has_self = true;
    segs[n++] = r;
  }
  if (is_main) {
    sc->main_bias = info->dlpi_addr;
    for (int i = 0; i < n; i++) sc->out->user[i] = segs[i];
    sc->out->nuser = n;
    sc->self_in_main = has_self;
  } else if (has_self) {
    for (int i = 0; i < n; i++) sc->out->rt[i] = segs[i];
    sc->out->nrt = n;
  }
  return 0;
}

// The main program's linker-made stubs are not user code although they lie
// in its executable segment: .plt/.plt.sec/.plt.got hold the jumps through
// which *the runtime too* calls libc, libpthread and the sanitizer runtime
// (an async preemption on the PLT stub of __sanitizer_finish_switch_fiber,
// called between a start and a finish of a fiber switch, broke ASan's
// fiber bookkeeping), and .init/.fini run before/after any goroutine.
// They are added to the runtime ranges, read from /proc/self/exe's section
// headers. Returns false if the file cannot be read: then user code cannot
// be told from the stubs and async preemption stays off.
bool exclude_linker_stubs(std::uintptr_t bias, CodeRegions* out) {
  int fd = ::open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  auto pread_all = [fd](void* buf, std::size_t n, off_t off) {
    return ::pread(fd, buf, n, off) == static_cast<ssize_t>(n);
  };
  ElfW(Ehdr) eh;
  if (!pread_all(&eh, sizeof eh, 0) || std::memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0) return false;
  if (eh.e_shentsize != sizeof(ElfW(Shdr)) || eh.e_shnum == 0 || eh.e_shstrndx >= eh.e_shnum)
    return false;
  std::vector<ElfW(Shdr)> sh(eh.e_shnum);
  if (!pread_all(sh.data(), sh.size() * sizeof(ElfW(Shdr)), static_cast<off_t>(eh.e_shoff)))
    return false;
  const ElfW(Shdr)& strtab = sh[eh.e_shstrndx];
  std::vector<char> names(strtab.sh_size + 1, '\0');
  if (!pread_all(names.data(), strtab.sh_size, static_cast<off_t>(strtab.sh_offset))) return false;
  static constexpr const char* kStubs[] = {".plt",  ".plt.sec", ".plt.got",
                                           ".iplt", ".init",    ".fini"};
  for (const ElfW(Shdr) & s : sh) {
    if (s.sh_name >= strtab.sh_size || (s.sh_flags & SHF_EXECINSTR) == 0 || s.sh_size == 0)
      continue;
    const char* name = names.data() + s.sh_name;
    bool stub = false;
    for (const char* k : kStubs) stub = stub || std::strcmp(name, k) == 0;
    if (!stub) continue;
    if (out->nrt == kMaxRanges) return false;
    out->rt[out->nrt++] = Range{bias + s.sh_addr, bias + s.sh_addr + s.sh_size};
  }
  return true;
}
}  // namespace

bool code_regions_init() noexcept {
  std::call_once(g_regions_once, [] {
    Scan sc{reinterpret_cast<std::uintptr_t>(&code_regions_init), true, false, &g_regions};
    dl_iterate_phdr(scan_object, &sc);
    if (sc.self_in_main) {
      // Static runtime: only the renamed section tells it apart.
      g_regions.nrt = 0;
      if (__start_gmpkit_text == nullptr || __stop_gmpkit_text == nullptr) return;
      auto lo = reinterpret_cast<std::uintptr_t>(__start_gmpkit_text);
      auto hi = reinterpret_cast<std::uintptr_t>(__stop_gmpkit_text);
      auto self = reinterpret_cast<std::uintptr_t>(&code_regions_init);
      if (!(self >= lo && self < hi)) return;  // the rename did not cover us: cannot tell
      g_regions.rt[0] = Range{lo, hi};
      g_regions.nrt = 1;
    } else if (g_regions.nrt == 0) {
      return;  // runtime found nowhere: give up
    }
    if (g_regions.nuser == 0) return;
    if (!exclude_linker_stubs(sc.main_bias, &g_regions)) return;
    g_regions_ok.store(true, std::memory_order_release);  // release: publishes g_regions
  });
  return g_regions_ok.load(std::memory_order_acquire);  // acquire: pairs with the store above
}

bool pc_in_user_text(std::uintptr_t pc) noexcept {
  if (!g_regions_ok.load(std::memory_order_acquire))
    return false;  // acquire: g_regions is complete
  for (int i = 0; i < g_regions.nrt; i++)
    if (pc >= g_regions.rt[i].lo && pc < g_regions.rt[i].hi) return false;
  for (int i = 0; i < g_regions.nuser; i++)
    if (pc >= g_regions.user[i].lo && pc < g_regions.user[i].hi) return true;
  return false;
}

// ---- extended state geometry ----

extern "C" {
// Read by core/asyncpreempt_x86_64.S (hidden: RIP-relative, no GOT).
__attribute__((visibility("hidden"))) std::uint64_t gmpkit_xsave_size = 512;
__attribute__((visibility("hidden"))) std::uint64_t gmpkit_xsave_mask = 0;  // 0: use FXSAVE
}

std::size_t xstate_init() noexcept {
#if defined(__x86_64__)
  static std::once_flag once;
  std::call_once(once, [] {
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return;
    const bool xsave = (c & (1u << 26)) != 0, osxsave = (c & (1u << 27)) != 0;
    if (!xsave || !osxsave) return;
    unsigned lo, hi;
    asm volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    // CPUID.(EAX=0DH,ECX=0):EBX = size of the XSAVE area for the features
    // enabled in XCR0 right now (standard format, header included).
    __cpuid_count(0xd, 0, a, b, c, d);
    if (b < 576) return;
    gmpkit_xsave_size = b;
    gmpkit_xsave_mask = (static_cast<std::uint64_t>(hi) << 32) | lo;
  });
  return gmpkit_xsave_size;
#else
  return 0;
#endif
}

void write_stderr(const char* s, std::size_t n) noexcept {
  while (n > 0) {
    ssize_t w = ::write(2, s, n);
    if (w <= 0) return;
    s += w;
    n -= static_cast<std::size_t>(w);
  }
}

}  // namespace gmpkit::rt
