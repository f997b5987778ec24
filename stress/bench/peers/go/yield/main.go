// yield — Go 1.19 peer of proc_bench's BM_YieldRoundTrip: at GOMAXPROCS=1
// two goroutines call runtime.Gosched in turn. ns per yield.
package main

import (
	"flag"
	"runtime"
	"sync/atomic"
	"time"

	"gmpkit/peers/internal/result"
)

func main() {
	minTime := flag.Duration("t", 200*time.Millisecond, "minimum measured time")
	flag.Parse()
	runtime.GOMAXPROCS(1)
	var stop int32
	done := make(chan bool)
	go func() {
		for atomic.LoadInt32(&stop) == 0 {
			runtime.Gosched()
		}
		done <- true
	}()
	runtime.Gosched()
	ns, n := result.Loop(*minTime, func(n int64) {
		for i := int64(0); i < n; i++ {
			runtime.Gosched()
		}
	})
	atomic.StoreInt32(&stop, 1)
	<-done
	result.Emit("yield/procs:1", ns/2, n*2, nil, nil) // one main Gosched = main's + partner's yield
}
