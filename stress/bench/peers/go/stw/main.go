// stw — Go 1.19 peer of stw_bench's BM_StopStartTheWorld/procs:P/hog:K: the
// pause of runtime.ReadMemStats (stopTheWorld + a small copy + startTheWorld)
// while the other Ps run: -hog 0 loops calling a function (cooperative
// preemption), 1 call-free loops (async preemption), 2 nothing (idle Ps),
// 3 loops in short blocking syscalls. Histogram "pause"; ns_per_op is the
// mean pause. GOMAXPROCS sets procs.
package main

import (
	"flag"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"gmpkit/peers/internal/result"
)

var sink int64

//go:noinline
func work(x int64) int64 { return x + 1 }

func main() {
	hog := flag.Int("hog", 1, "0 cooperative, 1 call-free, 2 idle, 3 syscalls")
	iters := flag.Int("n", 2000, "pauses")
	flag.Parse()
	procs := runtime.GOMAXPROCS(0)
	var stop int32
	var wg sync.WaitGroup
	hogs := procs - 1
	if *hog == 2 {
		hogs = 0
	} else if *hog == 3 {
		hogs = procs
	}
	for i := 0; i < hogs; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var x int64
			switch *hog {
			case 0:
				for atomic.LoadInt32(&stop) == 0 {
					x = work(x)
				}
			case 1:
				for atomic.LoadInt32(&stop) == 0 { // call-free
					x++
				}
			case 3:
				ts := syscall.Timespec{Nsec: 20000}
				for atomic.LoadInt32(&stop) == 0 {
					syscall.Nanosleep(&ts, nil)
					x++
				}
			}
			atomic.AddInt64(&sink, x)
		}()
	}
	time.Sleep(5 * time.Millisecond)
	var h result.Hist
	var ms runtime.MemStats
	t0 := time.Now()
	for i := 0; i < *iters; i++ {
		s := time.Now()
		runtime.ReadMemStats(&ms)
		h.Add(time.Since(s))
	}
	total := time.Since(t0)
	atomic.StoreInt32(&stop, 1)
	wg.Wait()
	result.Emit(fmt.Sprintf("stw/procs:%d/hog:%d", procs, *hog), float64(total.Nanoseconds())/float64(*iters),
		int64(*iters), map[string]float64{"pause_p50_ns": h.Quantile(0.5), "pause_p99_ns": h.Quantile(0.99),
			"pause_p999_ns": h.Quantile(0.999), "pause_max_ns": float64(h.Quantile(1))},
		map[string]*result.Hist{"pause": &h})
}
