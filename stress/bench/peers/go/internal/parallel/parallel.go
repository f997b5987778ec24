// Package parallel is Go's b.RunParallel as gmpkit's benchmark ports use it
// (stress/bench/bench_util.hpp run_parallel): GOMAXPROCS goroutines share n
// iterations, taking them in grains of 100 (testing.B sizes its grain from
// the previous run; a fixed grain keeps both sides the same workload).
package parallel

import (
	"runtime"
	"sync/atomic"
)

const grain = 100

// Run starts GOMAXPROCS goroutines running body(next) and waits for them;
// next reports whether the caller owns one more of the n iterations.
func Run(n int64, body func(next func() bool)) {
	procs := runtime.GOMAXPROCS(0)
	var counter int64
	done := make(chan bool, procs)
	for p := 0; p < procs; p++ {
		go func() {
			left := int64(0)
			body(func() bool {
				if left > 0 {
					left--
					return true
				}
				start := atomic.AddInt64(&counter, grain) - grain
				if start >= n {
					return false
				}
				left = n - start
				if left > grain {
					left = grain
				}
				left--
				return true
			})
			done <- true
		}()
	}
	for p := 0; p < procs; p++ {
		<-done
	}
}
