// creategoroutines — Go 1.19 peer of proc_bench's CreateGoroutines and
// CreateGoroutinesParallel (-parallel): Go's benchmarkCreateGoroutines
// (runtime/proc_test.go). One chain (or GOMAXPROCS chains) of goroutines,
// each starting the next and exiting. ns per goroutine.
package main

import (
	"flag"
	"runtime"
	"time"

	"gmpkit/peers/internal/result"
)

func main() {
	parallel := flag.Bool("parallel", false, "GOMAXPROCS chains (BenchmarkCreateGoroutinesParallel)")
	minTime := flag.Duration("t", 200*time.Millisecond, "minimum measured time")
	flag.Parse()
	procs, workload := 1, "create_goroutines"
	if *parallel {
		procs, workload = runtime.GOMAXPROCS(-1), "create_goroutines_parallel"
	}
	ns, n := result.Loop(*minTime, func(n int64) {
		c := make(chan bool)
		var f func(n int64)
		f = func(n int64) {
			if n == 0 {
				c <- true
				return
			}
			go f(n - 1)
		}
		for i := 0; i < procs; i++ {
			go f(n / int64(procs))
		}
		for i := 0; i < procs; i++ {
			<-c
		}
	})
	result.Emit(workload, ns, n, nil, nil)
}
