// wakeupparallel — Go 1.19 peer of proc_bench's WakeupParallelSpinning and
// WakeupParallelSyscall (-spin syscall): Go's benchmarkWakeupParallel
// (runtime/proc_test.go) for one -delay. Two goroutines alternate as sender
// and receiver on unbuffered channels, spinning (or sleeping in a blocking
// nanosleep, Go's sysNanosleep) for delay before receiving and delay + 5 us
// before sending. ns per iteration (each side sends and receives once).
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"syscall"
	"time"

	"gmpkit/peers/internal/result"
)

func spinning(d time.Duration) {
	end := time.Now().Add(d)
	for time.Now().Before(end) {
		// do nothing
	}
}

func sysNanosleep(d time.Duration) {
	ts := syscall.NsecToTimespec(d.Nanoseconds())
	for {
		if err := syscall.Nanosleep(&ts, &ts); err != syscall.EINTR {
			return
		}
	}
}

func main() {
	kind := flag.String("spin", "spinning", "spinning | syscall")
	delay := flag.Duration("delay", 0, "delay before each receive (each send: delay + 5us)")
	minTime := flag.Duration("t", 200*time.Millisecond, "minimum measured time")
	flag.Parse()
	spin := spinning
	switch *kind {
	case "spinning":
	case "syscall":
		spin = sysNanosleep
	default:
		fmt.Fprintln(os.Stderr, "wakeupparallel: -spin must be spinning or syscall")
		os.Exit(2)
	}
	if runtime.GOMAXPROCS(0) == 1 {
		fmt.Fprintln(os.Stderr, "wakeupparallel: needs GOMAXPROCS > 1 (Go's benchmark skips)")
		os.Exit(1)
	}
	const wakeDelay = 5 * time.Microsecond
	ns, n := result.Loop(*minTime, func(n int64) {
		ping, pong := make(chan struct{}), make(chan struct{})
		start := make(chan struct{})
		done := make(chan struct{})
		go func() {
			<-start
			for i := int64(0); i < n; i++ {
				spin(*delay + wakeDelay) // sender
				ping <- struct{}{}
				spin(*delay) // receiver
				<-pong
			}
			done <- struct{}{}
		}()
		go func() {
			for i := int64(0); i < n; i++ {
				spin(*delay) // receiver
				<-ping
				spin(*delay + wakeDelay) // sender
				pong <- struct{}{}
			}
			done <- struct{}{}
		}()
		start <- struct{}{}
		<-done
		<-done
	})
	result.Emit(fmt.Sprintf("wakeup_parallel_%s/delay:%dus", *kind, delay.Microseconds()), ns, n, nil, nil)
}
