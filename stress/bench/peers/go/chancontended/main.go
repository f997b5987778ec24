// chancontended — Go 1.19 peer of chan_bench's ChanContended: Go's
// BenchmarkChanContended (runtime/chan_test.go). GOMAXPROCS goroutines fill
// and drain one shared channel of capacity 100*GOMAXPROCS, 100 values at a
// time; ns per op (100 sends + 100 receives by one goroutine).
package main

import (
	"flag"
	"runtime"
	"time"

	"gmpkit/peers/internal/parallel"
	"gmpkit/peers/internal/result"
)

func main() {
	minTime := flag.Duration("t", 200*time.Millisecond, "minimum measured time")
	flag.Parse()
	const C = 100
	ns, n := result.Loop(*minTime, func(n int64) {
		myc := make(chan int, C*runtime.GOMAXPROCS(0))
		parallel.Run(n, func(next func() bool) {
			for next() {
				for i := 0; i < C; i++ {
					myc <- 0
				}
				for i := 0; i < C; i++ {
					<-myc
				}
			}
		})
	})
	result.Emit("chan_contended", ns, n, nil, nil)
}
