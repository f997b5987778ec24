// syscallfast — Go 1.19 peer of stw_bench's BM_SyscallFastPath (gmpkit::syscall
// of an empty call: entersyscall, the call, exitsyscall's fast path). Go has no
// public "syscall around nothing", but syscall.Syscall is, in Go 1.19,
// runtime.entersyscall + RawSyscall6 + runtime.exitsyscall (syscall/
// syscall_linux.go), reaching the runtime through the same linkname this
// program uses: emptySyscall is syscall.Syscall without the kernel trap. ns
// per call. As cross-checks the line also carries Syscall(SYS_GETPID) and
// RawSyscall(SYS_GETPID) (their difference estimates the same cost, plus noise
// of the trap) as counters, in ns.
package main

import (
	"flag"
	"syscall"
	"time"
	_ "unsafe" // go:linkname

	"gmpkit/peers/internal/result"
)

//go:linkname entersyscall runtime.entersyscall
func entersyscall()

//go:linkname exitsyscall runtime.exitsyscall
func exitsyscall()

// emptySyscall must not grow its stack between enter and exit (as Syscall).
//
//go:nosplit
//go:noinline
func emptySyscall() {
	entersyscall()
	exitsyscall()
}

func main() {
	minTime := flag.Duration("t", 200*time.Millisecond, "minimum measured time")
	flag.Parse()
	getpid, _ := result.Loop(*minTime, func(n int64) {
		for i := int64(0); i < n; i++ {
			syscall.Syscall(syscall.SYS_GETPID, 0, 0, 0)
		}
	})
	rawGetpid, _ := result.Loop(*minTime, func(n int64) {
		for i := int64(0); i < n; i++ {
			syscall.RawSyscall(syscall.SYS_GETPID, 0, 0, 0)
		}
	})
	ns, n := result.Loop(*minTime, func(n int64) {
		for i := int64(0); i < n; i++ {
			emptySyscall()
		}
	})
	result.Emit("syscall/fast_path", ns, n, map[string]float64{
		"syscall_getpid_ns": getpid, "rawsyscall_getpid_ns": rawGetpid,
		"difference_ns": getpid - rawGetpid,
	}, nil)
}
