// hoglate — Go 1.19 peer of preempt_bench's BM_HogTimerLateness: every P
// runs a call-free loop; one more goroutine does time.Sleep(1ms) in a loop
// and reports the lateness (wake time - 1 ms) percentiles, plus the loops'
// throughput. Run: GOMAXPROCS=2 go run ./stress/go/hoglate [-n 200]
package main

import (
	"flag"
	"fmt"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

//go:noinline
func hog(stop *int32, out *uint64) {
	var n uint64
	for atomic.LoadInt32(stop) == 0 { // call-free: atomic.Load is an intrinsic
		n++
	}
	*out = n
}

func main() {
	n := flag.Int("n", 200, "sleeps")
	flag.Parse()
	procs := runtime.GOMAXPROCS(0)
	var stop int32
	counts := make([]uint64, procs)
	var wg sync.WaitGroup
	for i := 0; i < procs; i++ {
		wg.Add(1)
		go func(i int) { defer wg.Done(); hog(&stop, &counts[i]) }(i)
	}
	time.Sleep(20 * time.Millisecond)
	late := make([]float64, 0, *n)
	start := time.Now()
	for i := 0; i < *n; i++ {
		t0 := time.Now()
		time.Sleep(time.Millisecond)
		late = append(late, float64(time.Since(t0)-time.Millisecond)/1e3)
	}
	secs := time.Since(start).Seconds()
	atomic.StoreInt32(&stop, 1)
	wg.Wait()
	var total uint64
	for _, c := range counts {
		total += c
	}
	sort.Float64s(late)
	pct := func(q float64) float64 { return late[int(q*float64(len(late)-1)+0.5)] }
	fmt.Printf("go %s procs=%d sleeps=%d lateness_us p50=%.0f p99=%.0f max=%.0f hog_loops_per_s=%.3g\n",
		runtime.Version(), procs, *n, pct(0.5), pct(0.99), late[len(late)-1], float64(total)/(secs+0.02))
}
