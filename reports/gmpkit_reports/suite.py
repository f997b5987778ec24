"""The benchmark suite ci/report runs: each workload is one gmpkit Google
Benchmark row plus the peer programs that run the same workload. The runner
executes them interleaved (for each repetition: every workload, gmpkit then its
peers), so every ratio compares runs of one invocation.

How a value is read (always ns, lower is better):
- gmpkit: `real_time` (Google Benchmark's time per iteration, to ns) or a
  counter times `scale` (counters in seconds: 1e9);
- peers: `ns_per_op` of the peer's JSON line, or one of its counters.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class GBench:
    exe: str  # stress/bench executable
    filter: str  # --benchmark_filter regex selecting exactly one row
    value: str = "real_time"  # or a counter name
    scale: float = 1.0  # counter -> ns
    counters: tuple[str, ...] = ()  # kept per repetition
    histograms: tuple[str, ...] = ()  # names written through $GMPKIT_BENCH_HIST_OUT


@dataclass(frozen=True)
class Peer:
    impl: str  # go | tbb | boost_fiber | std_thread
    program: str  # go/<name> or a C++ peer executable name
    args: tuple[str, ...] = ()
    env: tuple[tuple[str, str], ...] = ()
    value: str = "ns_per_op"  # or a counter of the peer's line
    histograms: tuple[str, ...] = ()
    counters: tuple[str, ...] = ()  # counters of the peer's line kept per repetition


@dataclass(frozen=True)
class Workload:
    name: str
    section: str
    metric: str
    gmpkit: GBench
    peers: tuple[Peer, ...] = ()
    profiles: tuple[str, ...] = ("quick", "full")


def _lat(name: str) -> tuple[str, ...]:
    return (f"{name}_p50_ns", f"{name}_p99_ns", f"{name}_p999_ns", f"{name}_max_ns")


def _go(program: str, procs: int, *args: str, value: str = "ns_per_op", hist: tuple[str, ...] = (),
        counters: tuple[str, ...] = ()) -> Peer:
    return Peer("go", f"go/{program}", args, (("GOMAXPROCS", str(procs)),), value, hist, counters)


def workloads(profile: str) -> list[Workload]:
    w: list[Workload] = []
    # --- preemption
    for arg, kind in ((1, "async"), (0, "cooperative")):
        w.append(Workload(f"preempt/request_to_switch/{kind}", "preemption",
                          f"p50 request->switch ({'call-free hog, signal' if arg else 'hog calls preempt_point'})",
                          GBench("preempt_bench", f"^BM_PreemptLatency/{arg}/", "request_to_switch_p50_ns",
                                 counters=_lat("request_to_switch"), histograms=("request_to_switch",))))
    for procs in (1, 2):
        w.append(Workload(f"hog_timer_lateness/procs:{procs}", "preemption",
                          "p50 lateness of a 1 ms sleep, every P hogged (gmpkit: wake-up preemption on)",
                          GBench("preempt_bench", f"^BM_HogTimerLateness/{procs}/1000/", "lateness_p50_ns",
                                 counters=_lat("lateness") + ("hog_loops_per_s",), histograms=("lateness",)),
                          (_go("hoglate", procs, "-n", "200", value="lateness_p50_ns", hist=("lateness",)),)))
        w.append(Workload(f"hog_timer_lateness/procs:{procs}/go119_mode", "preemption",
                          "p50 lateness of a 1 ms sleep, every P hogged (gmpkit: min_slice 0, Go 1.19's policy)",
                          GBench("preempt_bench", f"^BM_HogTimerLateness/{procs}/0/", "lateness_p50_ns",
                                 counters=_lat("lateness") + ("hog_loops_per_s",), histograms=("lateness",)),
                          (_go("hoglate", procs, "-n", "200", value="lateness_p50_ns", hist=("lateness",)),),
                          profiles=("full",)))  # ~10 s a repetition: the quick profile skips it
    # --- stop the world
    kinds = {0: "cooperative loops", 1: "call-free hogs", 2: "idle Ps", 3: "goroutines in syscalls"}
    for procs in ((2,) if profile == "quick" else (2, 4)):
        for hog, what in kinds.items():
            w.append(Workload(f"stw/procs:{procs}/hog:{hog}", "stw", f"p50 pause, other Ps: {what}",
                              GBench("stw_bench", f"^BM_StopStartTheWorld/procs:{procs}/hog:{hog}/",
                                     "pause_p50_ns", counters=_lat("stop") + _lat("pause"),
                                     histograms=("stop", "pause")),
                              (_go("stw", procs, "-hog", str(hog), "-n", "2000", value="pause_p50_ns",
                                   hist=("pause",)),)))
        w.append(Workload(f"stw/gomaxprocs_flip/procs:{procs}", "stw", "gomaxprocs(n) (STW + procresize)",
                          GBench("stw_bench", f"^BM_Gomaxprocs/{procs}/")))
    # --- run-queue fast path (per op)
    for name, flt, metric in (
        ("runq/put_get", "^BM_LocalRunq_PutGet/0$", "runqput + runqget pair"),
        ("runq/put_get/prefill:128", "^BM_LocalRunq_PutGet/128$", "runqput + runqget pair, 128 queued"),
        ("runq/runnext_swap", "^BM_LocalRunq_PutNextGet$", "runqput(next) + runqget (runnext)"),
        ("runq/putslow_batch", "^BM_LocalRunq_PutSlow/", "runqputslow: half the ring + 1 G to the global runq"),
        ("runq/steal_half/n:2", "^BM_LocalRunq_StealHalf/2/", "runqsteal of a victim holding 2 Gs"),
        ("runq/steal_half/n:128", "^BM_LocalRunq_StealHalf/128/", "runqsteal of a victim holding 128 Gs"),
        ("runq/steal_half/n:256", "^BM_LocalRunq_StealHalf/256/", "runqsteal of a victim holding 256 Gs"),
        ("runq/global_put_pop", "^BM_GlobalRunq_PutGet$", "globrunqput + pop, lock each"),
        ("runq/global_get_batch/n:128", "^BM_GlobalRunq_GetBatch/128/", "globrunqget of a 128-G batch"),
    ):
        w.append(Workload(name, "runq", metric, GBench("runq_bench", flt)))
    # --- scheduling
    for procs in (1, 2):
        w.append(Workload(f"spawn_join/procs:{procs}", "scheduling", "spawn + run + exit + join, per goroutine",
                          GBench("proc_bench", f"^BM_SpawnJoin/procs:{procs}/batch:100/"),
                          (_go("spawnjoin", procs, "-batch", "100"),
                           Peer("tbb", "tbb_peer", ("spawn_join", "--procs", str(procs))),
                           Peer("std_thread", "thread_peer", ("spawn_join", "--procs", str(procs))))))
        w.append(Workload(f"chan_pingpong/procs:{procs}", "scheduling", "unbuffered channel round trip",
                          GBench("chan_bench", f"^BM_ChanPingPong/procs:{procs}/"),
                          (_go("pingpong", procs),
                           Peer("boost_fiber", "fiber_peer", ("pingpong", "--procs", str(procs))))))
        w.append(Workload(f"go_exit_latency/procs:{procs}", "scheduling", "go() one goroutine and wait for it",
                          GBench("proc_bench", f"^BM_GoExitLatency/procs:{procs}/")))
    w.append(Workload("yield/procs:1", "scheduling", "one yield (two goroutines yielding in turn)",
                      GBench("proc_bench", "^BM_YieldRoundTrip/", "per_yield", 1e9),
                      (_go("yield", 1), Peer("boost_fiber", "fiber_peer", ("yield",)))))
    sizes = (100000,) if profile == "quick" else (100000, 1000000)
    for size in sizes:
        w.append(Workload(f"skynet/size:{size}", "scheduling", "skynet tree, per goroutine (all Ps)",
                          GBench("proc_bench", f"^BM_Skynet/size:{size}/"),
                          (_go("skynet", 0, "-size", str(size)),
                           Peer("tbb", "tbb_peer", ("skynet", "--size", str(size))),
                           Peer("boost_fiber", "fiber_peer", ("skynet", "--size", str(size))))))
    w.append(Workload("spawn_tree/procs:2", "scheduling", "binary spawn tree, per goroutine",
                      GBench("proc_bench", "^BM_SpawnTree/procs:2/")))
    w.append(Workload("fan_out_steal/procs:2", "scheduling", "4096 x 1 us goroutines spread by stealing, per G",
                      GBench("proc_bench", "^BM_FanOutWork/procs:2/")))
    w.append(Workload("ping_pong_hog", "scheduling", "Go's BenchmarkPingPongHog (procs 1), per op",
                      GBench("chan_bench", "^PingPongHog/"), (_go("pingponghog", 1),)))
    w.append(Workload("chan_contended", "scheduling", "Go's BenchmarkChanContended, per op",
                      GBench("chan_bench", "^ChanContended/"), (_go("chancontended", 0),)))
    w.append(Workload("select_contended", "scheduling", "Go's BenchmarkSelectSyncContended, per op",
                      GBench("select_bench", "^SelectSyncContended/"), (_go("selectcontended", 0),)))
    # Go's proc_test.go benchmarks at Go's default GOMAXPROCS (all Ps: procs 0)
    w.append(Workload("create_goroutines", "scheduling",
                      "Go's BenchmarkCreateGoroutines: a chain of goroutines each starting the next, per G",
                      GBench("proc_bench", "^CreateGoroutines/"), (_go("creategoroutines", 0),)))
    w.append(Workload("create_goroutines_parallel", "scheduling",
                      "Go's BenchmarkCreateGoroutinesParallel: gomaxprocs chains at once, per G",
                      GBench("proc_bench", "^CreateGoroutinesParallel/"),
                      (_go("creategoroutines", 0, "-parallel"),)))
    delays_us = (0, 10) if profile == "quick" else (0, 2, 10, 50)
    for kind, what, exe in (("spinning", "spinning", "Spinning"), ("syscall", "a blocking nanosleep syscall", "Syscall")):
        for us in delays_us:
            w.append(Workload(f"wakeup_parallel_{kind}/delay:{us}us", "scheduling",
                              f"Go's BenchmarkWakeupParallel{exe}: channel ping-pong, {us} us (+5 us before a send) "
                              f"of {what} between wake-ups, per round trip",
                              GBench("proc_bench", f"^WakeupParallel{exe}/delay_ns:{us * 1000}/"),
                              (_go("wakeupparallel", 0, "-spin", kind, "-delay", f"{us}us"),)))
    for n in ((128,) if profile == "quick" else (128, 256)):
        w.append(Workload(f"matmult/n:{n}", "scheduling",
                          "Go's BenchmarkMatmult: fork-join divide-and-conquer C += A*B (cutoff 8), per multiply-add",
                          GBench("proc_bench", f"^Matmult/n:{n}/", counters=("serial_ns_per_op",)),
                          (_go("matmult", 0, "-n", str(n), counters=("serial_ns_per_op",)), Peer("tbb", "tbb_peer", ("matmult", "--size", str(n))))))
    # --- system calls
    # Go peer: runtime.entersyscall + exitsyscall around nothing (syscall.Syscall minus its trap)
    w.append(Workload("syscall/fast_path", "syscalls", "gmpkit::syscall of an empty call",
                      GBench("stw_bench", "^BM_SyscallFastPath/"), (_go("syscallfast", 2, counters=("syscall_getpid_ns", "rawsyscall_getpid_ns", "difference_ns")),)))
    w.append(Workload("syscall/block", "syscalls", "gmpkit::syscall_block of an empty call (handoff)",
                      GBench("stw_bench", "^BM_SyscallBlock/")))
    w.append(Workload("syscall/handoff_stall", "syscalls",
                      "largest progress gap of a goroutine while its P's M sleeps 50 ms in a syscall",
                      GBench("stw_bench", "^BM_SyscallHandoffStall/", "gap_max_us", 1e3)))
    return [x for x in w if profile in x.profiles]


@dataclass
class Profile:
    name: str
    repetitions: int
    min_time: float  # seconds, --benchmark_min_time and the peers' -t
    extra: dict[str, str] = field(default_factory=dict)


PROFILES = {"quick": Profile("quick", 5, 0.05), "full": Profile("full", 15, 0.3)}
