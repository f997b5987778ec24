# gmpkit-gdb.py — gdb support for gmpkit goroutines (Go's runtime-gdb.py, for
# gmpkit's C++ runtime).
#
#   (gdb) source /usr/share/gmpkit/gdb/gmpkit-gdb.py     # or put that line in ~/.gdbinit
#   (gdb) info goroutines
#   * 1 running   [locked to thread]  main::{lambda()#1}::operator()() const
#     2 waiting   [chan receive]      gmpkit::core::mcall(...)
#   (gdb) goroutine 2 bt
#
# Where the goroutines are: the runtime's global scheduler pointer
# `gmpkit::core::sched` (nullptr outside gmpkit::run) holds `allgs`, a
# std::vector<G*> of every G of the run; a G's status is `atomicstatus`
# (Go's numbering), its wait reason `waitreason`, and the registers it was
# suspended with are `sched` (rip/rsp/rbp/rbx/r12-r15; core/context.hpp).
# The program needs debug info (-g; RelWithDebInfo and Debug builds have it).
#
# `goroutine N bt`, live process: the selected thread's registers are
# replaced by the G's saved ones for the duration of `bt` and then put back
# (gdb's own DWARF unwinder walks the stack: inlined frames, arguments and
# file:line included). A core file's registers cannot be written: the command
# then falls back to a scan of the G's stack for return addresses into code
# (heuristic, like a "stack dump": may show stale frames) and says so.
# A G that is running (on some M) has no saved registers: use `thread N` +
# `bt` on its thread instead.

import gdb

STATUS = {0: "idle", 1: "runnable", 2: "running", 3: "syscall", 4: "waiting", 6: "dead", 9: "preempted"}

# gmpkit::core::WaitReason enumerator -> Go's string (core/gstatus.cpp).
WAIT_REASONS = {
    "zero": "", "io_wait": "IO wait", "chan_receive_nil": "chan receive (nil chan)",
    "chan_send_nil": "chan send (nil chan)", "panic_wait": "panicwait", "select": "select",
    "select_no_cases": "select (no cases)", "chan_receive": "chan receive", "chan_send": "chan send",
    "semacquire": "semacquire", "sleep": "sleep", "sync_cond_wait": "sync.Cond.Wait",
    "sync_mutex_lock": "sync.Mutex.Lock", "sync_rwmutex_rlock": "sync.RWMutex.RLock",
    "sync_rwmutex_lock": "sync.RWMutex.Lock", "sync_waitgroup_wait": "sync.WaitGroup.Wait",
    "timer_goroutine_idle": "timer goroutine (idle)", "trace_reader_blocked": "trace reader (blocked)",
    "preempted": "preempted", "debug_call": "debug call", "stopping_the_world": "stopping the world",
    "gomaxprocs": "GOMAXPROCS",
}

REGS = ["rip", "rsp", "rbp", "rbx", "r12", "r13", "r14", "r15"]


def _u(value, ctype):
    """The raw bits of a (possibly atomic-wrapped) field, read as ctype."""
    return int(value.address.cast(gdb.lookup_type(ctype).pointer()).dereference())


def _wait_reason_name(value):
    n = _u(value, "unsigned char")
    try:
        for f in gdb.lookup_type("gmpkit::core::WaitReason").fields():
            if f.enumval == n:
                name = f.name.rsplit("::", 1)[-1]  # gdb may qualify: gmpkit::core::WaitReason::sleep
                return WAIT_REASONS.get(name, name.replace("_", " "))
    except gdb.error:
        pass
    return str(n)


def allgs():
    """Every G* of the current run, in creation order."""
    try:
        sched = gdb.parse_and_eval("gmpkit::core::sched")
    except gdb.error as e:
        raise gdb.GdbError("gmpkit: no runtime symbols (%s); is the program built with -g?" % e)
    if int(sched) == 0:
        return []
    v = sched["allgs"]["_M_impl"]
    start, finish = v["_M_start"], v["_M_finish"]
    return [(start + i).dereference() for i in range(int(finish - start))]


def g_info(gp):
    g = gp.dereference()
    st = _u(g["atomicstatus"], "unsigned int")
    return {
        "goid": int(g["goid"]),
        "status": STATUS.get(st, str(st)),
        "reason": _wait_reason_name(g["waitreason"]) if st == 4 else "",
        "on_m": int(g["m"]) != 0,
        "locked": int(g["lockedm"]) != 0,
        "started": bool(g["started"]),
        "regs": {r: int(g["sched"][r]) for r in REGS},
        "stack": (int(g["stack"]["lo"]), int(g["stack"]["hi"])),
    }


def _symbol(pc):
    b = gdb.block_for_pc(pc) if pc else None
    while b is not None and b.function is None:
        b = b.superblock
    if b is not None and b.function is not None:
        return b.function.print_name
    try:
        s = gdb.execute("info symbol 0x%x" % pc, to_string=True).strip()
        return s.split(" in section")[0] if not s.startswith("No symbol") else "0x%x" % pc
    except gdb.error:
        return "0x%x" % pc


def find_g(goid):
    for gp in allgs():
        if int(gp.dereference()["goid"]) == goid:
            return gp
    raise gdb.GdbError("gmpkit: no goroutine %d" % goid)


class InfoGoroutines(gdb.Command):
    """List gmpkit goroutines: id, status, wait reason, the pc it is suspended at.
A '*' marks goroutines that are on an M (running or in a system call)."""

    def __init__(self):
        super().__init__("info goroutines", gdb.COMMAND_STACK, gdb.COMPLETE_NONE)

    def invoke(self, arg, from_tty):
        for gp in allgs():
            i = g_info(gp)
            if i["status"] in ("dead", "idle"):
                continue
            extra = []
            if i["reason"]:
                extra.append(i["reason"])
            if i["locked"]:
                extra.append("locked to thread")
            tag = "[%s]" % ", ".join(extra) if extra else ""
            if i["on_m"]:
                where = "(on an M: see its thread)"
            elif not i["started"]:
                where = "(not started)"
            else:
                where = _symbol(i["regs"]["rip"])
            gdb.write("%s %d %-9s %-22s %s\n" % ("*" if i["on_m"] else " ", i["goid"], i["status"], tag, where))


class GoroutineCmd(gdb.Command):
    """goroutine N bt — backtrace of goroutine N from its saved registers.
(Only `bt` is supported; other commands: `goroutine N <cmd>` runs <cmd>
with the goroutine's registers in place, on a live process.)"""

    def __init__(self):
        super().__init__("goroutine", gdb.COMMAND_STACK, gdb.COMPLETE_NONE)

    def invoke(self, arg, from_tty):
        parts = arg.split(None, 1)
        if len(parts) < 2:
            raise gdb.GdbError("usage: goroutine N bt")
        goid, cmd = int(parts[0]), parts[1]
        i = g_info(find_g(goid))
        if i["on_m"]:
            gdb.write("goroutine %d is on an M (%s): its registers are the thread's; use `thread N` + `bt`\n"
                      % (goid, i["status"]))
            return
        if not i["started"]:
            gdb.write("goroutine %d has not started yet\n" % goid)
            return
        gdb.execute("frame 0", to_string=True)
        saved = {r: int(gdb.parse_and_eval("$" + r)) for r in REGS}
        try:
            for r in REGS:
                gdb.execute("set $%s = 0x%x" % (r, i["regs"][r]), to_string=True)
        except gdb.error as e:
            self._restore(saved)
            gdb.write("(registers not writable here: %s; heuristic stack scan of goroutine %d)\n" % (e, goid))
            self._scan(i, cmd)
            return
        try:
            gdb.execute(cmd, from_tty)
        finally:
            self._restore(saved)

    @staticmethod
    def _restore(saved):
        for r in REGS:
            try:
                gdb.execute("set $%s = 0x%x" % (r, saved[r]), to_string=True)
            except gdb.error:
                pass

    @staticmethod
    def _scan(i, cmd):
        lo, hi = i["stack"]
        sp = i["regs"]["rsp"]
        gdb.write("#0  0x%016x in %s\n" % (i["regs"]["rip"], _symbol(i["regs"]["rip"])))
        inf = gdb.selected_inferior()
        n = 1
        while lo <= sp < hi and n < 64:
            try:
                word = int.from_bytes(bytes(inf.read_memory(sp, 8)), "little")
            except gdb.MemoryError:
                break
            b = gdb.block_for_pc(word) if word > 4096 else None
            if b is not None and word != 0:
                gdb.write("#%-2d 0x%016x in %s (stack slot 0x%x)\n" % (n, word, _symbol(word), sp))
                n += 1
            sp += 8


InfoGoroutines()
GoroutineCmd()
